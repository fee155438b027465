#pragma once

/* Makes sure the running binary cannot be written by a container's process (CVE-2019-5736): unless
 * /proc/self/exe already is a read-only overlayfs file or a sealed memfd, re-executes argv from one,
 * made with scratch_dir (an existing directory apart from the binary's, or NULL for the memfd only).
 * Returns 0 when sealed, with the path the binary was started from in *ret_self (NULL if unknown), or
 * -errno when it could not re-execute. */
int exe_seal(char **argv, const char *scratch_dir, const char **ret_self);
