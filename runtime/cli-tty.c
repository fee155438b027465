/* `tether run` with a terminal and no --console-socket: the runtime itself takes the pty's master and
 * relays it to its own stdio, as runc run -t does for people at a shell. */

#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "macro.h"
#include "pidfd-util.h"

int cli_receive_fd(int socket_fd) {
        char control[CMSG_SPACE(sizeof(int))] = {}, name[256];
        struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
        struct msghdr msg = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
        struct cmsghdr *c;
        int fd;

        if (RETRY_ON_EINTR(recvmsg(socket_fd, &msg, MSG_CMSG_CLOEXEC)) < 0)
                return -errno;
        c = CMSG_FIRSTHDR(&msg);
        if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                return -EBADMSG;
        memcpy(&fd, CMSG_DATA(c), sizeof(int));
        return fd;
}

static void copy_window_size(int from, int to) {
        struct winsize ws;

        if (ioctl(from, TIOCGWINSZ, &ws) == 0)
                (void) ioctl(to, TIOCSWINSZ, &ws);
}

/* Writes all of buf, or gives up when the reader is gone. */
static void write_all(int fd, const char *buf, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, buf, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return;
                buf += n;
                len -= (size_t) n;
        }
}

int cli_relay_tty(pid_t pid, int master) {
        _cleanup_close_ int sfd = -EBADF, pidfd = -EBADF;
        struct termios saved, raw;
        bool tty = isatty(STDIN_FILENO), stdin_open = true, exited = false;
        sigset_t all;
        int status = 0;
        char buf[8192];

        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        sfd = signalfd(-1, &all, SFD_CLOEXEC);
        pidfd = pidfd_open_pid(pid);
        /* Raw, so that ^C and friends reach the container's terminal as bytes, to be its signals. */
        if (tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
                raw = saved;
                cfmakeraw(&raw);
                (void) tcsetattr(STDIN_FILENO, TCSANOW, &raw);
                copy_window_size(STDIN_FILENO, master);
        }

        while (!exited) {
                struct pollfd p[4] = {
                        {.fd = master, .events = POLLIN},
                        {.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN},
                        {.fd = sfd, .events = POLLIN},
                        {.fd = pidfd, .events = POLLIN},
                };
                struct signalfd_siginfo si;
                ssize_t n;

                if (RETRY_ON_EINTR(poll(p, 4, -1)) < 0) /* a negative fd (master gone) is skipped */
                        break;
                if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        n = read(master, buf, sizeof(buf));
                        if (n > 0)
                                write_all(STDOUT_FILENO, buf, (size_t) n);
                        else
                                master = -1; /* EIO: every holder of the slave is gone */
                }
                if (p[1].revents & (POLLIN | POLLHUP)) {
                        n = read(STDIN_FILENO, buf, sizeof(buf));
                        if (n > 0 && master >= 0)
                                write_all(master, buf, (size_t) n);
                        else if (n <= 0)
                                stdin_open = false;
                }
                if ((p[2].revents & POLLIN) && read(sfd, &si, sizeof(si)) == sizeof(si)) {
                        if (si.ssi_signo == SIGWINCH && tty && master >= 0)
                                copy_window_size(STDIN_FILENO, master);
                        else if (si.ssi_signo != SIGCHLD)
                                (void) pidfd_kill(pidfd, pid, (int) si.ssi_signo);
                }
                exited = p[3].revents & POLLIN;
        }
        /* What the process wrote last may still be in the pty: take what is there. */
        while (master >= 0) {
                struct pollfd p = {.fd = master, .events = POLLIN};
                ssize_t n;

                if (poll(&p, 1, 0) <= 0 || (n = read(master, buf, sizeof(buf))) <= 0)
                        break;
                write_all(STDOUT_FILENO, buf, (size_t) n);
        }
        if (tty)
                (void) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        if (RETRY_ON_EINTR(waitpid(pid, &status, 0)) < 0)
                return 1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
