#pragma once

/* rlimit names as config.json spells them ("RLIMIT_NOFILE") <-> RLIMIT_* numbers. */

/* Returns RLIMIT_*, or -EINVAL for a name not in getrlimit(2). */
int rlimit_from_name(const char *name);
/* NULL for a number not in the table. */
const char *rlimit_to_name(int resource);
