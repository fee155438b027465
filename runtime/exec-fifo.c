/* The exec fifo (exec-fifo.h). */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exec-fifo.h"
#include "macro.h"

#define EXEC_FIFO "exec.fifo"

int exec_fifo_create(int dir_fd, int *ret_read_fd) {
        int fd;

        if (mkfifoat(dir_fd, EXEC_FIFO, 0600) < 0)
                return -errno;
        /* Non-blocking: no writer exists yet. */
        fd = openat(dir_fd, EXEC_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret_read_fd = fd;
        return 0;
}

int exec_fifo_wait(int fd) {
        char byte;

        for (;;) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                ssize_t n;

                /* A fifo whose writers are all gone polls as POLLHUP, but only once one was there: until
                 * `start` opens it, this sleeps. */
                if (RETRY_ON_EINTR(poll(&p, 1, -1)) < 0)
                        return -errno;
                n = read(fd, &byte, 1);
                if (n == 1)
                        break;
                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                        safe_close(fd);
                        return n == 0 ? -EPIPE : -errno;
                }
        }
        safe_close(fd);
        return 0;
}

/* write() to a fifo whose reader just died raises SIGPIPE: block it around the write and drop one that
 * came, so that neither `start` (default disposition) nor `run` (signals forwarded) sees it. */
static int write_byte(int fd) {
        sigset_t pipe_set, old;
        struct timespec zero = {};
        int r = 0;

        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE);
        if (sigprocmask(SIG_BLOCK, &pipe_set, &old) < 0)
                return -errno;
        if (write(fd, "0", 1) != 1)
                r = -errno;
        if (r == -EPIPE && !sigismember(&old, SIGPIPE))
                (void) sigtimedwait(&pipe_set, NULL, &zero);
        (void) sigprocmask(SIG_SETMASK, &old, NULL);
        return r;
}

int exec_fifo_release(int dir_fd, int pidfd) {
        _cleanup_close_ int fd = -EBADF;
        int left = 0, r;

        /* O_NONBLOCK: ENXIO at once if no process holds the read end any more. */
        fd = openat(dir_fd, EXEC_FIFO, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        (void) unlinkat(dir_fd, EXEC_FIFO, 0);
        if (fd < 0)
                return errno == ENXIO ? -ESRCH : -errno;
        r = write_byte(fd);
        if (r < 0)
                return r == -EPIPE ? -ESRCH : r;
        /* The reader closes its end once it has the byte: POLLERR on ours. Or it dies, which closes it too;
         * then the byte tells which came first. */
        for (;;) {
                struct pollfd p[2] = {{.fd = fd}, {.fd = pidfd, .events = POLLIN}};

                if (RETRY_ON_EINTR(poll(p, pidfd >= 0 ? 2 : 1, -1)) < 0)
                        return -errno;
                if (p[0].revents & (POLLERR | POLLHUP))
                        break;
                if (p[1].revents & POLLIN)
                        break;
        }
        if (ioctl(fd, FIONREAD, &left) < 0)
                return -errno;
        return left > 0 ? -ESRCH : 0;
}
