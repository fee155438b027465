#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "console.h"
#include "macro.h"

int console_socket_connect(const char *path) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        _cleanup_close_ int fd = -EBADF;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        return TAKE_FD(fd);
}

/* One message: the pty's name as data, its fd as SCM_RIGHTS. */
static int send_fd(int socket_fd, const char *name, int fd) {
        char control[CMSG_SPACE(sizeof(int))] = {};
        struct iovec iov = {.iov_base = (void *) name, .iov_len = strlen(name)};
        struct msghdr msg = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = control,
                .msg_controllen = sizeof(control),
        };
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        return sendmsg(socket_fd, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int console_setup(const OciProcess *p, int socket_fd, bool bind_dev_console, const char **reterr_what) {
        _cleanup_close_ int master = -EBADF, slave = -EBADF, console = -EBADF;
        char name[64], target[64];
        int n, r;

        *reterr_what = "/dev/ptmx";
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || unlockpt(master) < 0 || ioctl(master, TIOCGPTN, &n) < 0)
                return -errno;
        snprintf(name, sizeof(name), "/dev/pts/%d", n);
        /* The peer of this very master, without a path lookup another process could race. */
        *reterr_what = name;
        slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return -errno;
        if (fchown(slave, p->user.uid, p->user.gid) < 0)
                return -errno;
        if (p->has_console_size) {
                struct winsize ws = {.ws_row = p->console_height, .ws_col = p->console_width};

                if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
                        return -errno;
        }

        /* /dev/console is the same terminal (runtime-spec config.md "process.terminal"); only the
         * container's first process sets it up, not an exec. */
        if (bind_dev_console) {
                *reterr_what = "/dev/console";
                console = open("/dev/console", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (console < 0 && errno != ENXIO && errno != EEXIST)
                        return -errno;
                snprintf(target, sizeof(target), "/proc/self/fd/%d", slave);
                if (mount(target, "/dev/console", NULL, MS_BIND, NULL) < 0)
                        return -errno;
        }

        *reterr_what = "--console-socket";
        r = send_fd(socket_fd, name, master);
        if (r < 0)
                return r;

        *reterr_what = name;
        if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
                return -errno;
        for (int fd = 0; fd < 3; fd++)
                if (dup2(slave, fd) < 0)
                        return -errno;
        return 0;
}
