#include "git.h"

#include <git2.h>

const char *git_message(void)
{
	const git_error *ge = git_error_last();

	return ge && ge->message ? ge->message : "unknown libgit2 error";
}
