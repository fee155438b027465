/* Children of the shim (child.h); not spawn.h, which would hide <spawn.h>, by posix_spawn(3): glibc's runs
 * the child on a clone(CLONE_VM|CLONE_VFORK) with its own stack and does only async-signal-safe work in it,
 * which is what ../shared/STYLE.md section 3 asks of the gap between fork and exec. The pidfd is opened at
 * once: until we reap the child its pid cannot be reused. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "pidfd-util.h"
#include "child.h"

extern char **environ;

static int add_stdio(posix_spawn_file_actions_t *fa, int fd, int target) {
        if (fd < 0)
                return posix_spawn_file_actions_addopen(
                        fa, target, "/dev/null", target == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0);
        /* dup2 onto itself clears FD_CLOEXEC (glibc 2.29), so a fd already at its place is passed too */
        return posix_spawn_file_actions_adddup2(fa, fd, target);
}

int spawn_child(char *const argv[], int in_fd, int out_fd, int err_fd, Child *ret) {
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none, all;
        pid_t pid;
        int r, pidfd;

        r = posix_spawn_file_actions_init(&fa);
        if (r != 0)
                return -r;
        r = posix_spawnattr_init(&attr);
        if (r != 0) {
                posix_spawn_file_actions_destroy(&fa);
                return -r;
        }
        sigemptyset(&none);
        sigfillset(&all);
        if ((r = add_stdio(&fa, in_fd, STDIN_FILENO)) == 0 &&
            (r = add_stdio(&fa, out_fd, STDOUT_FILENO)) == 0 &&
            (r = add_stdio(&fa, err_fd, STDERR_FILENO)) == 0 &&
            (r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) == 0 &&
            (r = posix_spawnattr_setsigmask(&attr, &none)) == 0 &&
            (r = posix_spawnattr_setsigdefault(&attr, &all)) == 0)
                r = strchr(argv[0], '/') ? posix_spawn(&pid, argv[0], &fa, &attr, argv, environ)
                                         : posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (r != 0)
                return -r;
        pidfd = pidfd_open_pid(pid);
        if (pidfd < 0) {
                /* no pidfd (Linux < 5.3): not supported; the child must not be left behind */
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return pidfd;
        }
        *ret = (Child){.pid = pid, .pidfd = pidfd};
        return 0;
}

int child_reap(Child *c, int block, int *ret_code, int *ret_status) {
        siginfo_t si = {};

        if (c->pidfd < 0)
                return -EBADF;
        if (RETRY_ON_EINTR(waitid(P_PIDFD, (id_t) c->pidfd, &si, WEXITED | (block ? 0 : WNOHANG))) < 0)
                return -errno;
        if (si.si_pid == 0)
                return -EAGAIN;
        *ret_code = si.si_code;
        *ret_status = si.si_status;
        c->pidfd = safe_close(c->pidfd);
        return 0;
}

void child_done(Child *c) {
        c->pidfd = safe_close(c->pidfd);
}

bool ready_line_read(int fd, char *buf, size_t size) {
        size_t len = 0;
        ssize_t n;

        while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) != 0)
                if (n > 0)
                        len += (size_t) n;
                else if (errno != EINTR)
                        break;
        buf[len] = '\0';
        return strncmp(buf, "ok ", 3) == 0;
}
