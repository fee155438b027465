#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "pidfd-util.h"
#include "spawn.h"

/* A file with the x bit but no "#!" is a shell script to POSIX execvp(), and glibc (hence tini) runs it with
 * /bin/sh; musl's execvp() returns ENOEXEC instead. Do what glibc does: find it on PATH (the first
 * executable match, as execvp did) and hand it to /bin/sh. Only returns if that fails, with errno set. */
static void exec_as_shell_script(char **argv) {
        const char *path = getenv("PATH"), *file = argv[0];
        char buf[4096];
        size_t argc = 0;

        while (argv[argc])
                argc++;
        if (!strchr(argv[0], '/'))
                for (const char *p = path ?: "/usr/local/bin:/bin:/usr/bin"; p;
                     p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL) {
                        size_t len = strchr(p, ':') ? (size_t) (strchr(p, ':') - p) : strlen(p);

                        if (len + strlen(argv[0]) + 2 > sizeof(buf))
                                continue;
                        memcpy(buf, p, len);
                        buf[len] = '/';
                        strcpy(buf + len + 1, argv[0]);
                        if (access(buf, X_OK) == 0) {
                                file = buf;
                                break;
                        }
                }
        {
                char *sh_argv[argc + 2];

                sh_argv[0] = "sh";
                sh_argv[1] = (char *) file;
                for (size_t i = 1; i <= argc; i++)
                        sh_argv[i + 1] = argv[i];
                execv("/bin/sh", sh_argv);
        }
        errno = ENOEXEC;
}

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
        if (errno == ENOEXEC)
                exec_as_shell_script(argv);

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
