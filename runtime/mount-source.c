/* Mount sources opened on the host's side (mount-source.h). */

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "mount-source.h"
#include "userns.h"

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

#define END_OF_SOURCES UINT32_MAX

/* One message per fd: its index, the fd as SCM_RIGHTS; END_OF_SOURCES without an fd ends them. */
typedef struct SourceMessage {
        uint32_t index;
} SourceMessage;

/* In a user namespace bind mounts but cgroup ones (a cgroup mount is the host's tree only on a v1 host,
 * rootfs.c); idmapped mounts always, since only a detached mount can be idmapped. */
static bool wants_source(const OciConfig *c, const OciMount *m) {
        if (oci_mount_is_idmapped(m))
                return true;
        return oci_config_get_namespace(c, OCI_NAMESPACE_USER) && oci_mount_is_bind(m) &&
               !(m->type && strcmp(m->type, "cgroup") == 0);
}

size_t mount_sources_count(const OciConfig *c) {
        for (size_t i = 0; i < c->n_mounts; i++)
                if (wants_source(c, &c->mounts[i]))
                        return c->n_mounts;
        return 0;
}

static int set_propagation(int fd, bool recursive, unsigned long propagation) {
        struct mount_attr attr = {.propagation = propagation};

        if (syscall(SYS_mount_setattr,
                    fd,
                    "",
                    AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0),
                    &attr,
                    sizeof(attr)) < 0)
                return -errno;
        return 0;
}

/* A clone of a shared mount is a peer of its source: whatever the container mounts below it would show
 * there. In a new mount namespace of a user namespace the kernel already made the host's shared mounts
 * slaves (CL_SHARED_TO_SLAVE), but not in one joined by path. So a slave first, as a bind made inside the
 * container's rslave mount namespace is; then private or shared when rootfsPropagation says so (shared:
 * a peer group of the container's own). */
static int make_propagation_safe(const OciConfig *c, int fd, bool recursive) {
        int r;

        r = set_propagation(fd, recursive, MS_SLAVE);
        if (r < 0)
                return r;
        if (c->rootfs_propagation == MOUNT_PROPAGATION_PRIVATE)
                return set_propagation(fd, recursive, MS_PRIVATE);
        if (c->rootfs_propagation == MOUNT_PROPAGATION_SHARED)
                return set_propagation(fd, recursive, MS_SHARED);
        return 0;
}

/* MOUNT_ATTR_IDMAP on the detached clone, to every mount of it with ridmap, as
 * opencontainers/runc:libcontainer/mount_linux.go mountFd does. EINVAL is a filesystem (or a kernel
 * before 5.12) that cannot idmap. */
static int set_idmap(const OciMount *m, int fd, int userns_fd) {
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns_fd};
        bool recursive = m->parsed.extra & MOUNT_EXTRA_RIDMAP;

        if (syscall(SYS_mount_setattr,
                    fd,
                    "",
                    AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0),
                    &attr,
                    sizeof(attr)) < 0)
                return -errno;
        return 0;
}

/* userns_fd: for an idmapped mount, the user namespace whose mappings it takes; else -EBADF. */
static int open_bind_source(const OciConfig *c, const OciMount *m, int userns_fd) {
        _cleanup_close_ int fd = -EBADF;
        bool recursive = m->parsed.flags & MS_REC;
        int r;

        fd = (int) syscall(SYS_open_tree,
                           AT_FDCWD,
                           m->source,
                           OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
        if (fd < 0)
                return -errno;
        r = make_propagation_safe(c, fd, recursive);
        if (r < 0)
                return r;
        if (userns_fd >= 0) {
                r = set_idmap(m, fd, userns_fd);
                if (r < 0)
                        return r;
        }
        return TAKE_FD(fd);
}

static int send_one(int sock, uint32_t index, int fd) {
        SourceMessage m = {.index = index};
        struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

        if (fd >= 0) {
                struct cmsghdr *cmsg;

                msg.msg_control = control.buf;
                msg.msg_controllen = sizeof(control.buf);
                cmsg = CMSG_FIRSTHDR(&msg);
                cmsg->cmsg_level = SOL_SOCKET;
                cmsg->cmsg_type = SCM_RIGHTS;
                cmsg->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
        }
        if (RETRY_ON_EINTR(sendmsg(sock, &msg, MSG_NOSIGNAL)) != (ssize_t) sizeof(m))
                return -errno;
        return 0;
}

typedef struct HelperReport {
        int error;
        size_t index; /* of the failing mount */
} HelperReport;

/* The mount namespace the sources are resolved in, and the directory relative ones start from: a new
 * one is a copy of ours, in which pid's working directory is the copy of the runtime's; a joined one
 * starts from its root, as the first process would after setns(). */
static int open_namespace(const OciConfig *c, pid_t pid, int *ret_mnt_fd, int *ret_cwd_fd) {
        const OciNamespace *ns = oci_config_get_namespace(c, OCI_NAMESPACE_MOUNT);
        _cleanup_close_ int mnt_fd = -EBADF, cwd_fd = -EBADF;
        char path[64];

        if (ns && ns->path)
                mnt_fd = open(ns->path, O_RDONLY | O_CLOEXEC);
        else {
                snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int) pid);
                mnt_fd = open(path, O_RDONLY | O_CLOEXEC);
                snprintf(path, sizeof(path), "/proc/%d/cwd", (int) pid);
                cwd_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (cwd_fd < 0)
                        return -errno;
        }
        if (mnt_fd < 0)
                return -errno;
        *ret_mnt_fd = TAKE_FD(mnt_fd);
        *ret_cwd_fd = TAKE_FD(cwd_fd);
        return 0;
}

/* The helper: joins the namespace, then opens and sends each source. Returns what it reports. */
static HelperReport
helper_main(const OciConfig *c, int mnt_fd, int cwd_fd, const int *userns_fds, int sock) {
        size_t n = mount_sources_count(c);

        if (setns(mnt_fd, CLONE_NEWNS) < 0 || (cwd_fd >= 0 && fchdir(cwd_fd) < 0))
                return (HelperReport){.error = -errno, .index = SIZE_MAX};
        for (size_t i = 0; i < n; i++) {
                _cleanup_close_ int fd = -EBADF;
                int r;

                if (!wants_source(c, &c->mounts[i]))
                        continue;
                fd = open_bind_source(c, &c->mounts[i], userns_fds[i]);
                r = fd < 0 ? fd : send_one(sock, (uint32_t) i, fd);
                if (r < 0)
                        return (HelperReport){.error = r, .index = i};
        }
        return (HelperReport){};
}

/* The user namespace an idmapped mount takes its mappings from: one made for its own mappings, or else
 * the container's (a new one once pid's maps are written, or the one joined). */
static int open_idmap_userns(const OciConfig *c, const OciMount *m, pid_t pid) {
        const OciNamespace *ns = oci_config_get_namespace(c, OCI_NAMESPACE_USER);
        char path[64];
        int fd;

        if (m->n_uid_mappings > 0)
                return userns_open_mapped(
                        m->uid_mappings, m->n_uid_mappings, m->gid_mappings, m->n_gid_mappings);
        if (!ns) /* the parser refuses this */
                return -EINVAL;
        if (ns->path)
                fd = open(ns->path, O_RDONLY | O_CLOEXEC);
        else {
                snprintf(path, sizeof(path), "/proc/%d/ns/user", (int) pid);
                fd = open(path, O_RDONLY | O_CLOEXEC);
        }
        return fd < 0 ? -errno : fd;
}

/* One per mount, -EBADF but for idmapped ones; made by the runtime itself, before the helper changes its
 * mount namespace, since /proc/PID there may be another pid namespace's. */
static int open_idmap_userns_fds(const OciConfig *c, pid_t pid, int *fds, const char **reterr_what) {
        for (size_t i = 0; i < c->n_mounts; i++) {
                if (!oci_mount_is_idmapped(&c->mounts[i]))
                        continue;
                fds[i] = open_idmap_userns(c, &c->mounts[i], pid);
                if (fds[i] < 0) {
                        int r = fds[i];

                        *reterr_what = c->mounts[i].source;
                        return r;
                }
        }
        return 0;
}

/* Forks the helper, which joins pid's mount namespace and sends the sources to sock. */
static int
run_helper(const OciConfig *c, pid_t pid, const int *userns_fds, int sock, const char **reterr_what) {
        _cleanup_close_ int mnt_fd = -EBADF, cwd_fd = -EBADF, read_fd = -EBADF, write_fd = -EBADF;
        HelperReport report = {.error = -EIO, .index = SIZE_MAX};
        int fds[2], r;
        pid_t helper;

        *reterr_what = "the container's mount namespace";
        r = open_namespace(c, pid, &mnt_fd, &cwd_fd);
        if (r < 0)
                return r;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        read_fd = fds[0];
        write_fd = fds[1];
        /* A process of its own: setns() would change the runtime's root and working directory too. */
        helper = fork();
        if (helper < 0)
                return -errno;
        if (helper == 0) {
                report = helper_main(c, mnt_fd, cwd_fd, userns_fds, sock);
                (void) !write(write_fd, &report, sizeof(report));
                _exit(0);
        }
        write_fd = safe_close(write_fd);
        if (RETRY_ON_EINTR(read(read_fd, &report, sizeof(report))) != (ssize_t) sizeof(report))
                report = (HelperReport){.error = -EIO, .index = SIZE_MAX};
        (void) RETRY_ON_EINTR(waitpid(helper, NULL, 0));
        if (report.error < 0 && report.index < c->n_mounts)
                *reterr_what = c->mounts[report.index].source;
        return report.error < 0 ? report.error : 0;
}

int mount_sources_send(const OciConfig *c, pid_t pid, int sock, const char **reterr_what) {
        _cleanup_free_ int *userns_fds = NULL;
        int r;

        if (mount_sources_count(c) == 0)
                return send_one(sock, END_OF_SOURCES, -EBADF);
        userns_fds = malloc(c->n_mounts * sizeof(int));
        if (!userns_fds)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_mounts; i++)
                userns_fds[i] = -EBADF;
        r = open_idmap_userns_fds(c, pid, userns_fds, reterr_what);
        if (r >= 0)
                r = run_helper(c, pid, userns_fds, sock, reterr_what);
        mount_sources_close(userns_fds, c->n_mounts);
        if (r < 0)
                return r;
        return send_one(sock, END_OF_SOURCES, -EBADF);
}

/* The fd a message carries, or -EBADF; closes any other it may carry. */
static int take_fd(struct msghdr *msg) {
        int fd = -EBADF;

        for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(msg); cmsg; cmsg = CMSG_NXTHDR(msg, cmsg)) {
                size_t n;

                if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
                        continue;
                n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < n; i++) {
                        int got;

                        memcpy(&got, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
                        if (fd < 0)
                                fd = got;
                        else
                                (void) close(got);
                }
        }
        return fd;
}

int mount_sources_receive(int sock, int *fds, size_t n) {
        for (;;) {
                SourceMessage m;
                struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
                union {
                        struct cmsghdr align;
                        char buf[CMSG_SPACE(sizeof(int))];
                } control;
                struct msghdr msg = {
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = control.buf,
                        .msg_controllen = sizeof(control.buf),
                };
                ssize_t len;
                int fd;

                len = RETRY_ON_EINTR(recvmsg(sock, &msg, MSG_CMSG_CLOEXEC));
                if (len < 0)
                        return -errno;
                fd = take_fd(&msg);
                if (len != (ssize_t) sizeof(m) || (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC))) {
                        safe_close(fd);
                        return -EBADMSG;
                }
                if (m.index == END_OF_SOURCES && fd < 0)
                        return 0;
                if (m.index >= n || fd < 0 || fds[m.index] >= 0) {
                        safe_close(fd);
                        return -EBADMSG;
                }
                fds[m.index] = fd;
        }
}

void mount_sources_close(int *fds, size_t n) {
        for (size_t i = 0; fds && i < n; i++)
                fds[i] = safe_close(fds[i]);
}
