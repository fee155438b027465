#pragma once

#include <sys/types.h>

#include "pidref.h"

/* The processes of a container, for `ps` and `kill --all`, found through /proc while there is no cgroup
 * to ask: with a PID namespace of its own, every process whose /proc/PID/ns/pid is the init's; without,
 * the init and its descendants. Returns 0 and a malloc'ed array of host pids (init first), or -errno;
 * -ESRCH if the init is gone. */
int container_pids(const PidRef *init, pid_t **ret, size_t *ret_n);

/* Sends sig to every process of the container (`kill --all`), each through a pidfd checked to still be
 * one of them. Returns 0 or the first error. */
int container_signal_all(const PidRef *init, int sig);
