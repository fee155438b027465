#pragma once

/* A container's cgroup, for the runtime's verbs: made at create from linux.cgroupsPath and
 * linux.resources, recorded in the state (state.h cgroup_paths), found again from it by delete, kill, ps,
 * pause, resume, update and events. Library code: no logging; failures return -errno and a message. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgroup.h"
#include "oci-config.h"

typedef struct ContainerCgroup {
        CgroupHost *host;
        Cgroup *cg;
        char *systemd_spec; /* the systemd driver's cgroupsPath; NULL for the cgroupfs drivers */
} ContainerCgroup;

/* Whether create puts the container in a cgroup of its own: unless cgroups are disabled
 * (`--cgroup-manager disabled`), always as root or in a systemd scope; otherwise only when the config asks
 * for one. */
bool container_cgroup_wanted(const OciConfig *c, bool disabled, bool systemd);

/* Makes the container's group with the config's limits and puts pid in it, or fails with a message in
 * buf naming the field or the controller and hierarchy; then nothing is left. With systemd, the group is
 * a transient scope (tether-systemd only: -EPROTONOSUPPORT in tether, see cli-systemd.c). pid 0: no
 * process yet, the first one enters by itself (cgroup_enter()); not with systemd (-EOPNOTSUPP). */
int container_cgroup_create(const OciConfig *c,
                            const char *id,
                            bool systemd,
                            pid_t pid,
                            ContainerCgroup *ret,
                            char *buf,
                            size_t size);

/* The key/value list to record in the state. */
int container_cgroup_paths(const ContainerCgroup *cc, char ***ret);

/* Opens the group recorded in paths (a ContainerState's cgroup_paths); -ENOENT if paths is NULL. A
 * systemd scope is opened as the cgroup v2 group it is: enough to freeze, kill, list and read it. */
int container_cgroup_open(char **paths, ContainerCgroup *ret, char *buf, size_t size);
/* The same, but a systemd scope through the systemd driver, for changing or removing it: the unit's
 * properties are set and the unit stopped, so that systemd keeps what we did (tether-systemd only). */
int container_cgroup_open_unit(char **paths, const char *id, ContainerCgroup *ret, char *buf, size_t size);
/* Whether paths record a systemd scope. */
bool container_cgroup_paths_systemd(char **paths);

/* Kills what is left in the group and removes it, waiting while it empties. */
int container_cgroup_destroy(ContainerCgroup *cc, char *buf, size_t size);

/* The processes in the group, a new array of host pids. */
int container_cgroup_pids(ContainerCgroup *cc, pid_t **ret, size_t *ret_n, char *buf, size_t size);

/* Sends sig to every process in the group (`kill --all`): SIGKILL through the library, which kills until
 * the group is empty; any other signal to each process listed while the group is frozen, so that none
 * forks past it, unless paused (it stays frozen then), as opencontainers/runc:libcontainer/init_linux.go
 * signalAllProcesses does. */
int container_cgroup_signal_all(ContainerCgroup *cc, int sig, bool paused, char *buf, size_t size);

void container_cgroup_done(ContainerCgroup *cc);
