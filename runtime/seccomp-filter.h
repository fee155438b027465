#pragma once

/* linux.seccomp of config.json turned into a libseccomp filter, as runc and crun do it
 * (opencontainers/runc:libcontainer/seccomp/seccomp_linux.go, containers/crun:src/libcrun/seccomp.c). */

#include <seccomp.h>

#include "macro.h"
#include "oci-config.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(scmp_filter_ctx, seccomp_release);

/* Builds the filter for s without loading it: default action (SCMP_ACT_ERRNO's errno is EPERM unless
 * defaultErrnoRet/errnoRet say otherwise), the extra architectures (the native one is always there), the
 * flags as filter attributes, one rule per syscall name. Names libseccomp does not know are skipped, as runc
 * and crun do: profiles list syscalls of newer kernels and other architectures. Rules whose action is the
 * default one are skipped. The filter leaves no_new_privs alone (SCMP_FLTATR_CTL_NNP off), so loading it
 * needs no_new_privs or CAP_SYS_ADMIN.
 *
 * Returns 0 and the filter in *ret, or -errno, naming the failing syscall, architecture, flag or action
 * in *reterr_what (a static string or one of s): -EOPNOTSUPP for SCMP_ACT_NOTIFY (tether has no seccomp
 * agent support, "SCMP_ACT_NOTIFY") and for an architecture or flag this libseccomp or kernel lacks,
 * -ERANGE for an errno above 65535, -EINVAL/-EEXIST for a rule libseccomp refuses, -ENOMEM. */
int seccomp_filter_build(const OciSeccomp *s, scmp_filter_ctx *ret, const char **reterr_what);

/* Builds the filter for s and loads it into the calling thread (all threads with
 * SECCOMP_FILTER_FLAG_TSYNC). s == NULL loads nothing. Returns as seccomp_filter_build(), and -errno
 * from the kernel, e.g. -EACCES without no_new_privs and CAP_SYS_ADMIN (*reterr_what is then NULL). */
int seccomp_filter_load(const OciSeccomp *s, const char **reterr_what);
