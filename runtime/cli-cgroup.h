#pragma once

/* A container opened for the verbs of its cgroup: pause, resume, events (cli-cgroup.c) and update
 * (cli-update.c). */

#include "cli.h"
#include "container-cgroup.h"
#include "state.h"

/* A container opened for its cgroup: locked state, the group. */
typedef struct CgroupContainer {
        int root_fd;
        int dir_fd;
        ContainerState *state;
        ContainerStatus status;
        ContainerCgroup cgroup;
} CgroupContainer;

/* Opens the container (its state locked) and its group; logs and returns -errno. A container that is
 * stopped is refused. With unit, a systemd scope is opened through the systemd driver (in
 * tether-systemd, cli-systemd.c), for changing it. */
int cgroup_container_open(const GlobalOptions *g, const char *id, bool unit, CgroupContainer *ret);
void cgroup_container_done(CgroupContainer *c);
