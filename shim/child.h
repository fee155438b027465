#pragma once

/* Runs a program as the shim's child (the runtime's create, start, kill, delete), held by a pidfd from
 * the start: the child stays ours, unreaped, until waitid(P_PIDFD) collects it. Library code. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct Child {
        pid_t pid;
        int pidfd;
} Child;

#define CHILD_NULL ((Child){.pid = 0, .pidfd = -EBADF})

/* argv[0] is a path or a name looked up in PATH. The child gets in_fd, out_fd and err_fd as its stdio
 * (-1: /dev/null), no other fd of ours (they are all close-on-exec), every signal unblocked and at its
 * default, and keeps our session. */
int spawn_child(char *const argv[], int in_fd, int out_fd, int err_fd, Child *ret);

/* Collects the child once its pidfd is readable (or waits for it, with block): si_code and si_status as
 * waitid(2) gives them; -EAGAIN if it has not exited (and !block). Closes the pidfd. */
int child_reap(Child *c, int block, int *ret_code, int *ret_status);

void child_done(Child *c);

/* The starter's side of a shim's start (tether-shim's detach, shimctl run): reads the ready line from fd
 * to its end. true for "ok PID"; else false, with the shim's error in buf ("" if it said nothing). */
bool ready_line_read(int fd, char *buf, size_t size);
