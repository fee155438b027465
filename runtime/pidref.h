#pragma once

#include <stdint.h>
#include <sys/types.h>

/* A process named across invocations of the runtime: the pid alone could be reused once the container's
 * process has been reaped, so its start time (field 22 of /proc/PID/stat, clock ticks since boot) is
 * stored with it, as runc does. A pidfd taken while the start time still matches pins the process
 * (systemd/systemd:src/basic/pidref.h keeps pid and pidfd together the same way). */
typedef struct PidRef {
        pid_t pid;
        uint64_t start_time;
} PidRef;

/* Reads the start time of pid. -ESRCH if there is no such process. */
int pidref_read_start_time(pid_t pid, uint64_t *ret);

/* Opens a pidfd for ref if the process behind ref->pid is still the one that started at
 * ref->start_time. -ESRCH when it has exited (or its pid now belongs to another process). A zombie
 * counts as exited. */
int pidref_open(const PidRef *ref, int *ret_pidfd);

/* Sends sig to ref, through a pidfd that is checked first. */
int pidref_kill(const PidRef *ref, int sig);

/* Waits up to timeout_ms for the process to exit; 0 once it has (or had), -ETIMEDOUT. */
int pidref_wait_exit(const PidRef *ref, int timeout_ms);
