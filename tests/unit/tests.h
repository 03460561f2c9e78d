/* The unit test functions that main.c runs. */
#ifndef CFPH_TESTS_H
#define CFPH_TESTS_H

void test_pattern(void);
void test_urlenc(void);
void test_refline(void);
void test_plan(void);
void test_plan_cap_items(void);
void test_map(void);
void test_config(void);
void test_reply(void);
void test_template(void);
void test_links(void);
void test_shared(void);
void test_spool(void);
void test_fold(void);
void test_verify(void);

#endif
