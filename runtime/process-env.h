#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "macro.h"
#include "oci-config.h"

/* The environment the container's process is exec'd with: process.env, HOME from the container's
 * /etc/passwd when process.env sets none (opencontainers/runc:libcontainer/env.go prepareEnv), and
 * LISTEN_FDS and LISTEN_PID for systemd's socket activation (opencontainers/runc:utils_linux.go). Built
 * in two halves: the runtime allocates everything (process_env_new()); the container's first process
 * fills in what only it knows (process_env_finish()), allocating nothing, between clone and exec. */

#define PROCESS_ENV_HOME_MAX 4096

typedef struct ProcessEnv {
        char **env; /* for execve(): process.env's strings (borrowed) and those below; NULL-terminated */
        char *home; /* "HOME=..." with room for the container's; NULL when process.env sets HOME */
        unsigned listen_fds; /* > 0: LISTEN_FDS and LISTEN_PID are set */
        char listen_fds_var[32];
        char listen_pid_var[32];
} ProcessEnv;

/* env is process.env (NULL: none); it must outlive the result. listen_fds is the number of fds passed
 * by socket activation (0: none). Returns 0 or -ENOMEM. */
int process_env_new(char **env, unsigned listen_fds, ProcessEnv **ret);
ProcessEnv *process_env_free(ProcessEnv *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(ProcessEnv *, process_env_free);

/* In the container's process, after pivot_root and before it changes to uid: HOME from /etc/passwd
 * (resolved inside "/", "/" if the uid has none or the file is unreadable), LISTEN_PID our pid as the
 * container sees it. Async-signal-safe; never fails: a missing passwd is not an error, as in runc. */
void process_env_finish(ProcessEnv *e, uid_t uid);

/* What execve() gets: e's, else env, else an empty environment. */
static inline char *const *process_env_get(const ProcessEnv *e, char *const *env) {
        static char *const empty[] = {NULL};

        return e ? e->env : env ?: empty;
}

/* For `exec`: sets HOME in p->env, when it has none, from the /etc/passwd of the container whose root
 * directory root_fd is (an O_PATH fd of /proc/PID/root). Returns 0 or -ENOMEM. */
int process_env_set_home_at(OciProcess *p, int root_fd);

/* The same for the container whose first process is pid, held by pidfd: its root is /proc/PID/root. */
int process_env_set_home_of(OciProcess *p, pid_t pid, int pidfd);

typedef enum PasswdField {
        PASSWD_NAME = 0,
        PASSWD_HOME = 5,
} PasswdField;

/* A field of uid's entry in an open passwd file (name:pw:uid:gid:gecos:home:shell lines; no NSS, which a
 * static tether has not). Returns 0 and the field in buf, -ENOENT if uid has no entry, -ENAMETOOLONG,
 * or -errno. */
int passwd_find_field(int fd, uid_t uid, PasswdField field, char *buf, size_t len);
