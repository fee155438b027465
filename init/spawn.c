#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "macro.h"
#include "pidfd-util.h"
#include "spawn.h"

/* Between fork() and execve() only async-signal-safe calls (../shared/STYLE.md section 3), and never a
 * return into main() as tini's spawn() does (krallin/tini:src/tini.c). */
_noreturn_ static void child_exec(char **argv, const sigset_t *child_mask, bool with_tty, int error_fd) {
        int e;

        /* Its own process group, so that -g and the terminal's job control address the payload and its
         * children without tether-init. SIGTTOU is still ignored here (inherited), which tcsetpgrp() from
         * what is about to be a background group needs. */
        (void) setpgid(0, 0);
        if (with_tty)
                (void) tcsetpgrp(STDIN_FILENO, getpid());

        (void) signal(SIGTTIN, SIG_DFL);
        (void) signal(SIGTTOU, SIG_DFL);
        (void) sigprocmask(SIG_SETMASK, child_mask, NULL);

        execvp(argv[0], argv);

        e = errno;
        (void) !write(error_fd, &e, sizeof(e));
        _exit(127);
}

int spawn_child(char **argv, const sigset_t *child_mask, bool with_tty, Child *ret, int *ret_exec_errno) {
        _cleanup_close_ int read_fd = -EBADF, write_fd = -EBADF;
        int fds[2], exec_errno = 0;
        ssize_t n;
        pid_t pid;

        /* The exec error travels back over a close-on-exec pipe: EOF means the exec succeeded. */
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        read_fd = fds[0];
        write_fd = fds[1];

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                child_exec(argv, child_mask, with_tty, write_fd);

        write_fd = safe_close(write_fd);

        /* Race-free: the child cannot be reaped, hence its pid not reused, before we wait for it. */
        ret->pid = pid;
        ret->pidfd = pidfd_open_pid(pid);
        if (ret->pidfd < 0)
                ret->pidfd = -EBADF;

        n = RETRY_ON_EINTR(read(read_fd, &exec_errno, sizeof(exec_errno)));
        if (n == (ssize_t) sizeof(exec_errno))
                *ret_exec_errno = exec_errno > 0 ? exec_errno : EIO;
        else
                *ret_exec_errno = 0;
        return 0;
}

int exec_errno_to_exit_status(int error) {
        switch (error) {
        case ENOENT:
        case ENOTDIR:
        case ENAMETOOLONG:
                return 127;
        default:
                return 126;
        }
}
