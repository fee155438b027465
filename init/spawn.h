#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* The main child, held by pid and pidfd together (systemd/systemd:src/basic/pidref.h). fd is -EBADF on
 * kernels without pidfd_open() (before 5.3); then signals go through kill(), which is safe as long as we
 * have not reaped pid. */
typedef struct Child {
        pid_t pid;
        int pidfd;
} Child;

/* Forks and execs argv[0] (PATH search) with the given signal mask restored. The child gets its own
 * process group and, if with_tty, becomes the terminal's foreground group. Returns 0 once the exec has
 * happened; a positive errno in *ret_exec_errno if the exec failed (the child has then exited and is left
 * for the caller to reap); -errno if fork itself failed. */
int spawn_child(char **argv, const sigset_t *child_mask, bool with_tty, Child *ret, int *ret_exec_errno);

/* tini's and the shell's contract: 127 when the program was not found, 126 when it could not be run. */
int exec_errno_to_exit_status(int error);
