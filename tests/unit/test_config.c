#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tests.h"
#include "../../mapping/config.h"

#define GOOD \
	"[cloudflare]\n" \
	"zone_id = 023e105f4ecef8ad9ca31a8372d0c353\n" \
	"[site]\n" \
	"base_url = https://example.com\n"

static int load(struct config *c, const char *text)
{
	config_init(c);
	return config_load_buffer(c, "t.ini", text, strlen(text));
}

/* Loads text, expects failure with one error containing want. */
static void check_error(const char *text, const char *want)
{
	struct config c;
	size_t i;
	int found = 0;

	CHECK(load(&c, text) < 0);
	for (i = 0; i < c.errors.n; i++)
		found |= strstr(c.errors.v[i], want) != NULL;
	if (!CHECK(found)) {
		fprintf(stderr, "  wanted '%s' among:\n", want);
		for (i = 0; i < c.errors.n; i++)
			fprintf(stderr, "    %s\n", c.errors.v[i]);
	}
	config_release(&c);
}

/*
 * Loads GOOD plus server, then the tree layer tree; returns what
 * config_load_tree returned.
 */
static int load_tree(struct config *c, const char *server, const char *tree)
{
	char *text = xasprintf(GOOD "%s", server);
	int rc;

	config_init(c);
	rc = config_load_buffer(c, "t.ini", text, strlen(text));
	free(text);
	if (!CHECK(rc == 0))
		return -2;
	return config_load_tree(c, "tree.ini", tree, strlen(tree));
}

/* What a pushed tree may set, and what is left out rather than fatal. */
static void test_tree(void)
{
	struct config c;

	/* Refused keys are left out; the rest of the layer applies. */
	if (CHECK_INT(load_tree(&c, "", "[map \"a\"]\ntags = t\n"
				"hosts = example.com\neverything = true\n"
				"[map \"b\"]\neverything = false\n[cloudflare]\n"
				"zone_id = x\n[site]\nroot = y\n"), 0) &&
	    CHECK_INT(c.refused.n, 4) && CHECK_INT(c.errors.n, 0) &&
	    CHECK_INT(c.n_maps, 2)) {
		CHECK_STR(c.refused.v[0], "'tree.ini': line 3: 'hosts' in "
			  "[map \"a\"] cannot come from the pushed tree: the "
			  "server's [hook] tree_may_purge does not list hosts; "
			  "left out, the rest of the file applies");
		CHECK(strstr(c.refused.v[1], "line 4: 'everything'") != NULL);
		CHECK(strstr(c.refused.v[2], "line 7: [cloudflare] cannot") != NULL);
		CHECK(strstr(c.refused.v[3], "line 10: 'root' in [site]") != NULL);
		CHECK_INT(c.maps[0].tags.n, 1);
		CHECK_INT(c.maps[0].hosts.n, 0);
		CHECK(!c.maps[0].everything);
		CHECK(c.maps[0].from_tree);
		CHECK_STR(c.zone_id, "023e105f4ecef8ad9ca31a8372d0c353");
	}
	config_release(&c);
	/* A typo still breaks the layer. */
	CHECK_INT(load_tree(&c, "", "[map \"a\"]\ntgas = t\n"), -1);
	CHECK_INT(c.errors.n, 1);
	config_release(&c);
	CHECK_INT(load_tree(&c, "", "[sitee]\n"), -1);
	config_release(&c);
	/* The server may widen it. */
	if (CHECK_INT(load_tree(&c, "[hook]\ntree_may_purge = tags, hosts, "
				"everything\n", "[map \"a\"]\n"
				"hosts = example.com\neverything = true\n"
				"url = {base}/x\n"), 0) &&
	    CHECK_INT(c.refused.n, 1)) {
		CHECK(strstr(c.refused.v[0], "line 4: 'url' in [map \"a\"] "
			     "cannot come from the pushed tree: the server's "
			     "[hook] tree_may_purge does not list urls") != NULL);
		CHECK_INT(c.maps[0].hosts.n, 1);
		CHECK(c.maps[0].everything);
	}
	config_release(&c);
	check_error(GOOD "[hook]\ntree_may_purge = tags, all\n",
		    "line 6: 'tree_may_purge' in [hook] takes urls, prefixes, "
		    "tags, hosts and everything, or none alone, not 'all'");
	if (CHECK_INT(load_tree(&c, "[hook]\ntree_may_purge = none\n",
				"[map \"a\"]\ntags = t\n"), 0))
		CHECK_INT(c.refused.n, 1);
	config_release(&c);
	/* urls and prefixes must stay within base_url. */
	if (CHECK_INT(load_tree(&c, "base_url = https://www.example.com/blog\n",
				"[map \"a\"]\n"
				"prefixes = example.com/x/, EXAMPLE.com/y, "
				"www.example.com/blogger, www.example.com/blog\n"
				"url = https://other.example/{path}\n"
				"url = https://exam{path}\n"
				"url = {base}/{path}\n"
				"url = http://example.com.evil.example/{path}\n"
				"prefixes = www.example.com/blog/{path}\n"), 0) &&
	    CHECK_INT(c.refused.n, 3)) {
		CHECK_STR(c.refused.v[0], "'tree.ini': line 2: prefix "
			  "'www.example.com/blogger' in [map \"a\"] is outside "
			  "the server's [site] base_url, and the pushed tree may "
			  "purge only its own site; left out, the rest of the "
			  "file applies");
		CHECK(strstr(c.refused.v[1], "line 3: url 'https://other.example/{path}'") != NULL);
		CHECK(strstr(c.refused.v[2], "line 6: url 'http://example.com.evil.example/{path}'") != NULL);
		CHECK_INT(c.maps[0].n_prefixes, 4);
		CHECK_INT(c.maps[0].n_urls, 2);
		CHECK(config_within_site(&c, "https://EXAMPLE.com/a"));
		CHECK(config_within_site(&c, "example.com"));
		CHECK(config_within_site(&c, "http://www.example.com/blog/x"));
		CHECK(!config_within_site(&c, "example.com.evil/"));
		CHECK(!config_within_site(&c, "example.com@evil.example/"));
		CHECK(!config_within_site(&c, "www.example.com/Blog/x"));
		CHECK(!config_within_site(&c, "https://www.example.com/"));
	}
	config_release(&c);
}

void test_config(void)
{
	test_tree();

	struct config c;

	if (CHECK(load(&c, GOOD) == 0)) {
		CHECK_STR(c.api_url, CONFIG_DEFAULT_API_URL);
		CHECK_STR(c.api_token_env, "CF_API_TOKEN");
		CHECK_INT(c.files_per_request, 30);
		CHECK_STR(c.root, "");
		CHECK_STR(c.index, "index.html");
		CHECK_INT(c.on_create, ON_CREATE_SKIP);
		CHECK(config_branch_wanted(&c, "main"));
		CHECK(config_branch_wanted(&c, "master"));
		CHECK(!config_branch_wanted(&c, "feature"));
	}
	config_release(&c);

	if (CHECK(load(&c, GOOD
		       "  root = public/   ; indented, with a comment\n"
		       "[hook]\n"
		       "branches = main, release/*\n"
		       "branches = prod\n"
		       "on_create = everything\n"
		       "[map \"layouts/**\"]\n"
		       "tags = html, css\n"
		       "prefixes = https://example.com/assets/, cdn.example.com/x\n"
		       "[map \"very/long/pattern/that/inih/would/truncate/at/fifty/bytes/*.html\"]\n"
		       "everything = true\n"
		       "[ignore]\n"
		       "paths = README.md, .github/**\n") == 0)) {
		CHECK_STR(c.root, "public");
		CHECK(config_branch_wanted(&c, "release/1.0"));
		CHECK(config_branch_wanted(&c, "prod"));
		CHECK(!config_branch_wanted(&c, "master"));
		CHECK(!config_branch_wanted(&c, "release/a/b"));
		CHECK_INT(c.on_create, ON_CREATE_EVERYTHING);
		if (CHECK_INT(c.n_maps, 2)) {
			CHECK_INT(c.maps[0].line, 10);
			CHECK_INT(c.maps[0].tags.n, 2);
			if (CHECK_INT(c.maps[0].n_prefixes, 2)) {
				CHECK_STR(template_text(c.maps[0].prefixes[0]),
					  "https://example.com/assets/");
				CHECK_STR(template_text(c.maps[0].prefixes[1]),
					  "cdn.example.com/x");
			}
			CHECK_STR(pattern_text(c.maps[1].pattern),
				  "very/long/pattern/that/inih/would/truncate/at/fifty/bytes/*.html");
			CHECK(c.maps[1].everything);
		}
		CHECK(pattern_list_match(&c.ignore, "README.md", 0));
		CHECK(pattern_list_match(&c.ignore, ".github/workflows/x.yml", 0));
	}
	config_release(&c);

	check_error(GOOD "bsae_url = x\n",
		    "cannot read 't.ini': line 5: unknown key 'bsae_url' in [site]");
	check_error(GOOD "[sitee]\nroot = x\n", "line 5: unknown section [sitee]");
	check_error(GOOD "[sitee]\n", "line 5: unknown section [sitee]");
	check_error(GOOD "just words\n", "line 5: expected '[section]' or 'key = value'");
	check_error(GOOD "[site\n", "line 5: section header [site has no closing ']'");
	check_error("[cloudflare]\nzone_id = 123\n[site]\nbase_url = https://e.com\n",
		    "line 2: 'zone_id' in [cloudflare] must be 32 lowercase hex digits");
	check_error(GOOD "index = a.html\nindex = b.html\n",
		    "line 6: 'index' in [site] is set twice (first on line 5)");
	/* A list may be split over lines by repeating its key. */
	if (CHECK(load(&c, GOOD "base_url = https://b.example/, "
		       "https://c.example\n") == 0) &&
	    CHECK_INT(c.base_urls.n, 3)) {
		CHECK_STR(c.base_urls.v[1], "https://b.example");
		CHECK_STR(c.base_urls.v[2], "https://c.example");
	}
	config_release(&c);
	check_error("[site]\nbase_url = example.com\n",
		    "line 2: 'base_url' in [site]: 'example.com': not an absolute");
	check_error("[site]\nbase_url = https://e.com\n", "'zone_id' (or 'zone_name') is missing");
	check_error(GOOD "[cloudflare]\nfiles_per_request = 501\n",
		    "line 6: 'files_per_request' in [cloudflare] must be a number from 1 to 500");
	check_error(GOOD "[cloudflare]\nfiles_per_request = 3x\n", "line 6:");
	/* The token: the variable when set, else the file; both may be set. */
	if (CHECK(load(&c, GOOD "[cloudflare]\napi_token_env = CF_API_TOKEN\n"
		       "api_token_file = /etc/cf-purge-hook/token\n") == 0)) {
		CHECK_STR(c.api_token_env, "CF_API_TOKEN");
		CHECK_STR(c.api_token_file, "/etc/cf-purge-hook/token");
	}
	config_release(&c);
	/* A file alone reads no variable, not even the default one. */
	if (CHECK(load(&c, GOOD "[cloudflare]\napi_token_file = /t\n") == 0))
		CHECK(c.api_token_env == NULL);
	config_release(&c);
	/* A hook that may hold a push longer than the servers wait for it. */
	if (CHECK(load(&c, GOOD "[hook]\npush_deadline = 51\n") == 0) &&
	    CHECK_INT(c.warnings.n, 1))
		CHECK(strstr(c.warnings.v[0], "line 6: [hook] push_deadline "
			     "(51 s) and delay (0 s) may hold a push 51 s, more "
			     "than the 50 s") != NULL);
	config_release(&c);
	if (CHECK(load(&c, GOOD "[hook]\npush_deadline = 50\n") == 0))
		CHECK_INT(c.warnings.n, 0);
	config_release(&c);
	if (CHECK(load(&c, GOOD "[hook]\npush_deadline = 300\n"
		       "detach = true\n") == 0))
		CHECK_INT(c.warnings.n, 0);
	config_release(&c);
	/* Above the plan's documented limit: kept, with a warning. */
	if (CHECK(load(&c, GOOD "[cloudflare]\nplan = pro\n"
		       "files_per_request = 500\n") == 0) &&
	    CHECK_INT(c.warnings.n, 1)) {
		CHECK_INT(c.files_per_request, 500);
		CHECK_STR(c.warnings.v[0], "'t.ini': line 7: 'files_per_request' "
			  "in [cloudflare] is 500, above the 100 URLs per request "
			  "that Cloudflare documents for the 'pro' plan; it is "
			  "kept, and a request refused for its size is split and "
			  "resent");
	}
	config_release(&c);
	if (CHECK(load(&c, GOOD "[cloudflare]\nfiles_per_request = 101\n") == 0) &&
	    CHECK_INT(c.warnings.n, 1))
		CHECK(strstr(c.warnings.v[0], "line 6: 'files_per_request' in "
			     "[cloudflare] is 101, above the 100 URLs per request "
			     "that Cloudflare documents for the free plan (no "
			     "'plan' is set)") != NULL);
	config_release(&c);
	if (CHECK(load(&c, GOOD "[cloudflare]\nfiles_per_request = 500\n"
		       "plan = enterprise\nitems_per_request = 100\n") == 0))
		CHECK_INT(c.warnings.n, 0);
	config_release(&c);
	if (CHECK(load(&c, GOOD "[cloudflare]\nplan = business\n"
		       "files_per_request = 100\nitems_per_request = 100\n") == 0))
		CHECK_INT(c.warnings.n, 0);
	config_release(&c);
	check_error(GOOD "[cloudflare]\napi_url = http://api.example.com/v4\n",
		    "line 6: 'api_url' in [cloudflare]: uses http:// on a host other than loopback");
	/* Only the real host counts, and no userinfo anywhere (issue 14). */
	check_error(GOOD "[cloudflare]\napi_url = http://127.0.0.1@other.host/\n",
		    "line 6: 'api_url' in [cloudflare]: has a user name or password before '@'");
	check_error(GOOD "[cloudflare]\napi_url = https://user:pw@api.example.com/\n",
		    "line 6: 'api_url' in [cloudflare]: has a user name or password");
	check_error(GOOD "[cloudflare]\napi_url = http://localhost.other.host/\n",
		    "line 6: 'api_url' in [cloudflare]: uses http://");
	check_error(GOOD "[cloudflare]\napi_url = http://127.0.0.1.other.host/\n",
		    "line 6: 'api_url' in [cloudflare]: uses http://");
	check_error(GOOD "[cloudflare]\napi_url = http://127.0.0.1:80@evil/\n",
		    "line 6: 'api_url' in [cloudflare]: has a user name");
	check_error(GOOD "[cloudflare]\napi_url = http://[::2]/\n",
		    "line 6: 'api_url' in [cloudflare]: uses http://");
	check_error(GOOD "[cloudflare]\napi_url = http://128.0.0.1/\n",
		    "line 6: 'api_url' in [cloudflare]: uses http://");
	check_error(GOOD "[cloudflare]\napi_url = http://127.0.0.256/\n",
		    "line 6: 'api_url' in [cloudflare]: uses http://");
	check_error(GOOD "[cloudflare]\napi_url = http://127.0.0.1:99999/\n",
		    "line 6: 'api_url' in [cloudflare]: the port is above 65535");
	check_error(GOOD "[cloudflare]\napi_url = http://127.0.0.1:8x/\n",
		    "line 6: 'api_url' in [cloudflare]: the port is not a number");
	check_error(GOOD "[cloudflare]\napi_url = https://a_b.example/\n",
		    "line 6: 'api_url' in [cloudflare]: the host is not a host name");
	check_error(GOOD "[cloudflare]\napi_url = http://[::1/\n",
		    "line 6: 'api_url' in [cloudflare]: an IPv6 address without");
	{
		static const char *const good[] = {
			"http://127.0.0.1:8080/client/v4",
			"http://127.1.2.3/client/v4",
			"http://localhost:1/",
			"http://LOCALHOST/v4",
			"http://[::1]:8080/client/v4",
			"https://api.cloudflare.com/client/v4",
			"https://[2001:db8::1]/client/v4",
		};
		size_t i;

		for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
			char *text = xasprintf(GOOD "[cloudflare]\napi_url = %s\n",
					       good[i]);

			if (!CHECK(load(&c, text) == 0))
				fprintf(stderr, "  api_url '%s': %s\n", good[i],
					c.errors.n ? c.errors.v[0] : "");
			config_release(&c);
			free(text);
		}
	}
	check_error(GOOD "[hook]\non_create = sometimes\n",
		    "line 6: 'on_create' in [hook] must be 'skip' or 'everything'");
	check_error(GOOD "[map layouts]\ntags = a\n",
		    "line 5: section [map layouts] must be written [map \"PATTERN\"]");
	check_error(GOOD "[map \"a[\"]\ntags = a\n", "line 5: pattern 'a['");
	check_error(GOOD "[map \"a\"]\ntag = a\n", "line 6: unknown key 'tag' in [map \"a\"]");
	check_error(GOOD "[map \"a\"]\nprefixes = example.com/?q\n",
		    "line 6: prefix 'example.com/?q'");
	check_error(GOOD "[map \"a\"]\neverything = maybe\n", "line 6: 'everything'");
	/* Prefix templates must name a host (found by fuzz_config). */
	check_error(GOOD "[map \"a\"]\nprefixes = {dir}\n",
		    "line 6: prefix '{dir}' in [map \"a\"] must start with {base} or a host name");
	check_error(GOOD "[map \"a\"]\nprefixes = /{dir}/\n",
		    "line 6: prefix '/{dir}/' in [map \"a\"] must start with {base}");
	check_error(GOOD "[map \"a\"]\nprefixes://example.com/blog\n",
		    "line 6: prefix '//example.com/blog' in [map \"a\"] must start");
	check_error(GOOD "[ignore]\npath = x\n", "line 6: unknown key 'path' in [ignore]");
	check_error(GOOD "[site]\nroot = ../up\n", "line 6: 'root' in [site]");
	check_error("zone_id = x\n", "line 1: key 'zone_id' comes before any [section]");
	/* zone_name goes into a query string: host names only, lower-cased. */
	check_error("[cloudflare]\nzone_name = example.com&status=bogus\n"
		    "[site]\nbase_url = https://e.com\n",
		    "line 2: 'zone_name' in [cloudflare] must be a domain name");
	check_error("[cloudflare]\nzone_name = a+b.com\n", "line 2: 'zone_name'");
	check_error("[cloudflare]\nzone_name = a%2eb.com\n", "line 2: 'zone_name'");
	check_error("[cloudflare]\nzone_name = -a.com\n", "line 2: 'zone_name'");
	check_error("[cloudflare]\nzone_name = a..com\n", "line 2: 'zone_name'");
	check_error("[cloudflare]\nzone_name = example.com.\n", "line 2: 'zone_name'");
	check_error("[cloudflare]\nzone_name = ex\xc3\xa4mple.com\n", "line 2: 'zone_name'");
	if (CHECK(load(&c, "[cloudflare]\nzone_name = Example.COM\n"
		       "[site]\nbase_url = https://e.com\n") == 0))
		CHECK_STR(c.zone_name, "example.com");
	config_release(&c);
	if (CHECK(load(&c, "[cloudflare]\nzone_name = xn--exmple-cua.co.uk\n"
		       "[site]\nbase_url = https://e.com\n") == 0))
		CHECK_STR(c.zone_name, "xn--exmple-cua.co.uk");
	config_release(&c);
	/* A UTF-8 byte-order mark before the first section is skipped. */
	if (CHECK(load(&c, "\xEF\xBB\xBF" GOOD) == 0))
		CHECK_STR(c.zone_id, "023e105f4ecef8ad9ca31a8372d0c353");
	config_release(&c);
	config_init(&c);
	if (CHECK(config_load_buffer(&c, "t.ini", GOOD, strlen(GOOD)) == 0))
		CHECK(config_load_tree(&c, "tree.ini", "\xEF\xBB\xBF"
				       "[map \"a\"]\ntags = a\n", 22) == 0 &&
		      CHECK_INT(c.n_maps, 1));
	config_release(&c);
	{
		char big[400];

		memset(big, 'a', sizeof(big));
		memcpy(big, "[site]\nindex = ", 15);
		big[sizeof(big) - 1] = '\0';
		check_error(big, "line 2: line longer than");
	}
}
