#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hooks.h"
#include "macro.h"
#include "pidfd-util.h"

/* Waits for pid (held by pidfd) for at most timeout_s seconds (0: forever); kills it on timeout. */
static int wait_hook(pid_t pid, int pidfd, int timeout_s, int *ret_status) {
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        int status;

        if (pidfd >= 0 && timeout_s > 0 && RETRY_ON_EINTR(poll(&p, 1, timeout_s * 1000)) == 0) {
                (void) pidfd_kill(pidfd, pid, SIGKILL);
                (void) RETRY_ON_EINTR(waitpid(pid, NULL, 0));
                return -ETIMEDOUT;
        }
        if (RETRY_ON_EINTR(waitpid(pid, &status, 0)) < 0)
                return -errno;
        *ret_status = status;
        return 0;
}

extern char **environ;

static int run_one(const OciHook *h, const char *state_json, char *const *default_env, int *reterr_status) {
        _cleanup_close_ int pidfd = -EBADF, read_fd = -EBADF, write_fd = -EBADF;
        char *default_args[] = {h->path, NULL};
        size_t len = strlen(state_json);
        int fds[2], status = 0, r;
        pid_t pid;

        /* A socket rather than a pipe, so that a hook that exits without reading costs us no SIGPIPE
         * (MSG_NOSIGNAL); ignoring SIGPIPE instead would leak into the container's process. */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
                return -errno;
        read_fd = fds[0];
        write_fd = fds[1];
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                if (dup2(read_fd, STDIN_FILENO) < 0)
                        _exit(126);
                /* Without env of its own, the runtime's, as crun (src/libcrun/container.c: environ) and
                 * runc (configs.Command.Run: exec.Cmd with a nil Env) give it; but never to a hook that is
                 * the image's program (startContainer), which gets the container process's instead. */
                execve(h->path, h->args ?: default_args, h->env ?: default_env ?: environ);
                _exit(127);
        }
        read_fd = safe_close(read_fd);
        pidfd = pidfd_open_pid(pid);

        /* The state is small, well under a socket's buffer: a hook that does not read it cannot block us,
         * and one that exits early makes this fail with EPIPE, which is not our error. */
        (void) send(write_fd, state_json, len, MSG_NOSIGNAL);
        write_fd = safe_close(write_fd);

        r = wait_hook(pid, pidfd, h->timeout, &status);
        if (r < 0) {
                *reterr_status = -1;
                return r;
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        *reterr_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return -ECHILD;
}

int hooks_run(const OciHookList *hooks,
              const char *state_json,
              char *const *default_env,
              const char **reterr_what,
              int *reterr_status) {
        for (size_t i = 0; i < hooks->n_hooks; i++) {
                int r = run_one(&hooks->hooks[i], state_json, default_env, reterr_status);

                if (r < 0) {
                        *reterr_what = hooks->hooks[i].path;
                        return r;
                }
        }
        return 0;
}
