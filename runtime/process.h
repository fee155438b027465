#pragma once

#include <sys/types.h>

#include "oci-config.h"

/* The user namespace a container's process runs in, as flags: PROCESS_USERNS when it has one; with it
 * PROCESS_USERNS_NO_UIDS (_NO_GIDS) when that namespace maps no uid (gid): a new one without
 * linux.uidMappings (gidMappings). The process then keeps the overflow uid (gid) the kernel gives it
 * there, since it can take no other. */
typedef enum ProcessUserns {
        PROCESS_USERNS = 1 << 0,
        PROCESS_USERNS_NO_UIDS = 1 << 1,
        PROCESS_USERNS_NO_GIDS = 1 << 2,
} ProcessUserns;

/* The ProcessUserns flags of the container of config c (0 without a user namespace). */
unsigned process_userns_of(const OciConfig *c);

/* The container process's last steps before exec, after the mounts and before seccomp, in runc's order
 * (opencontainers/runc:libcontainer/init_linux.go finalizeNamespace): rlimits, the bounding set, the user
 * and groups (keeping capabilities across the uid change), the other capability sets, the working
 * directory and umask, no_new_privs. userns is ProcessUserns flags. On failure returns -errno and names
 * the failing setting in *reterr_what; -EXDEV when the working directory lies outside the process's root. */
int process_setup(const OciProcess *p, unsigned userns, const char **reterr_what);

/* process.oomScoreAdj, written for pid by the runtime: the container's process is not dumpable, so in
 * a user namespace its own /proc/self/oom_score_adj belongs to a root it does not map. */
int process_set_oom_score_adj(const OciProcess *p, pid_t pid);

/* Finds args[0] as execvp() would, but on the PATH of the container's environment (env), not ours.
 * Returns 0 and the path in buf, -ENOENT if not found, -EACCES if found but not executable. */
int process_find_executable(const OciProcess *p, char *buf, size_t len);

/* Sets the hostname and domain name, when given. */
int process_set_names(const OciConfig *c, const char **reterr_what);

/* Writes linux.sysctl to /proc/sys (the container's, after the pivot). */
int process_apply_sysctl(const OciConfig *c, const char **reterr_what);

/* process.apparmorProfile, for the next exec; -EOPNOTSUPP where AppArmor is not enabled. */
int process_apply_apparmor(const OciProcess *p, const char **reterr_what);
