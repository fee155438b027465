#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "container-cgroup.h"
#include "oci-config.h"
#include "process-env.h"

typedef struct ContainerOptions {
        const char *id;
        const char *bundle; /* absolute */
        const char *rootfs; /* absolute */
        const char *pid_file; /* NULL: none */
        bool no_pivot;
        bool no_new_keyring; /* keep the caller's session keyring instead of one of the container's own */
        unsigned preserve_fds; /* fds 3..3+N-1 are passed to the container */
        ProcessEnv *env; /* what the process is exec'd with; NULL: process.env as it is */
        int console_socket_fd; /* connected --console-socket, for process.terminal; else -EBADF */
        const sigset_t *child_sigmask; /* restored in the container's process; NULL: inherit ours */
        const char *config_json; /* the text config was parsed from, kept in ROOT/ID */
        size_t config_json_len;
        bool no_cgroup; /* `--cgroup-manager disabled`: no cgroup of the container's own */
        bool systemd_cgroup; /* the group is a systemd scope (tether-systemd only: cli-systemd.c) */
} ContainerOptions;

/* What went wrong, for the CLI to log once: "failed to mount '/proc'" and the errno. */
typedef struct ContainerError {
        char text[1024];
} ContainerError;

/* `create`: makes ROOT/ID, starts the container's first process in its namespaces with its rootfs set
 * up, and leaves it waiting on ROOT/ID/exec.fifo for `start`. The process is our child. Returns 0 and its
 * pid, or -errno with *reterr filled in; then nothing is left behind: no state, no process. ret_cgroup,
 * if not NULL, gets the container's cgroupfs group, open, for container_remove_cgroup() (`run`: no second
 * look at the state and the host's hierarchies); left empty for none or a systemd scope. */
int container_create(int root_fd,
                     const ContainerOptions *o,
                     const OciConfig *c,
                     pid_t *ret_pid,
                     ContainerCgroup *ret_cgroup,
                     ContainerError *reterr);

/* `start`: lets a created container exec its program, then runs the poststart hooks. dir_fd is ROOT/ID,
 * locked. c is the container's config, or NULL to read the copy kept at create (`run` has it parsed
 * already). Returns 0, 1 when only a poststart hook failed (a warning: the container runs), or -errno. */
int container_start(int dir_fd, const OciConfig *c, ContainerError *reterr);

/* The poststop hooks, for `delete` and `run` once the container has stopped; c as for container_start(). */
int container_run_poststop(int dir_fd, const OciConfig *c, ContainerError *reterr);

/* Removes the container's cgroup (killing what is left in it) once its process is gone, for `delete` and
 * `run`; 0 if it has none. A systemd scope is stopped (cli_systemd_switch_for() first). cgroup: the one
 * container_create() gave, or NULL (or empty) to open what the state records. */
int container_remove_cgroup(int dir_fd, ContainerCgroup *cgroup, ContainerError *reterr);

/* The config kept in ROOT/ID at create. */
int container_load_config(int dir_fd, OciConfig **ret);
/* Its linux.resources, as JSON (an empty object if it has none), for `update` to build on. */
int container_load_config_resources(int dir_fd, json_t **ret);
