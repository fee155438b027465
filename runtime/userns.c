/* User namespaces the runtime writes the maps of (userns.h). */

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "userns.h"

int userns_write_map(pid_t pid, const char *file, const OciIdMapping *m, size_t n) {
        _cleanup_close_ int fd = -EBADF;
        char path[64], buf[4096];
        size_t len = 0;

        if (n == 0)
                return 0;
        for (size_t i = 0; i < n && len < sizeof(buf); i++)
                len += snprintf(buf + len,
                                sizeof(buf) - len,
                                "%u %u %u\n",
                                m[i].container_id,
                                m[i].host_id,
                                m[i].size);
        if (len >= sizeof(buf))
                return -E2BIG;
        snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, file);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return write(fd, buf, len) == (ssize_t) len ? 0 : -errno;
}

static int open_user_ns_of(pid_t pid) {
        char path[64];
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

int userns_open_mapped(const OciIdMapping *uids, size_t n_uids, const OciIdMapping *gids, size_t n_gids) {
        _cleanup_close_ int read_fd = -EBADF, write_fd = -EBADF;
        int fds[2], r;
        pid_t pid;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        read_fd = fds[0];
        write_fd = fds[1];
        /* Without CLONE_VM, clone() returns twice like fork(). */
        pid = (pid_t) syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                char c;

                /* It only holds the namespace until the runtime has its fd: EOF once the runtime closes
                 * its end of the pipe, or dies. */
                (void) close(write_fd);
                (void) !read(read_fd, &c, 1);
                _exit(0);
        }
        read_fd = safe_close(read_fd);
        r = userns_write_map(pid, "uid_map", uids, n_uids);
        if (r >= 0)
                r = userns_write_map(pid, "gid_map", gids, n_gids);
        if (r >= 0)
                r = open_user_ns_of(pid);
        write_fd = safe_close(write_fd);
        (void) RETRY_ON_EINTR(waitpid(pid, NULL, 0));
        return r;
}
