/* The container's mounts, /dev and pivot_root, in the order runc and crun use
 * (opencontainers/runc:libcontainer/rootfs_linux.go, containers/crun:src/libcrun/linux.c). */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "macro.h"
#include "rootfs.h"

#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define FD_PATH(buf, fd) (snprintf((buf), sizeof(buf), "/proc/self/fd/%d", (fd)), (buf))

typedef struct DefaultDevice {
        const char *path;
        mode_t mode;
        unsigned major, minor;
} DefaultDevice;

/* The devices every container gets (runtime-spec config-linux.md "Default Devices"). */
static const DefaultDevice default_devices[] = {
        {"/dev/null", S_IFCHR | 0666, 1, 3},
        {"/dev/zero", S_IFCHR | 0666, 1, 5},
        {"/dev/full", S_IFCHR | 0666, 1, 7},
        {"/dev/random", S_IFCHR | 0666, 1, 8},
        {"/dev/urandom", S_IFCHR | 0666, 1, 9},
        {"/dev/tty", S_IFCHR | 0666, 5, 0},
};

static const char *const default_symlinks[][2] = {
        {"/proc/self/fd", "/dev/fd"},
        {"/proc/self/fd/0", "/dev/stdin"},
        {"/proc/self/fd/1", "/dev/stdout"},
        {"/proc/self/fd/2", "/dev/stderr"},
        {"pts/ptmx", "/dev/ptmx"},
};

static bool host_is_unified_cgroup(void) {
        struct statfs fs;

        return statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

/* A bind mount takes its flags only on a remount; keep those of the source that a bind may not drop
 * (an unprivileged remount fails if it would clear nosuid/nodev/noexec the source has). */
static int remount_bind(const char *target, unsigned long flags) {
        struct statvfs sv;
        unsigned long keep = 0;

        if (statvfs(target, &sv) == 0)
                keep = sv.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_RDONLY);
        if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | flags | (keep & ~ST_RDONLY), NULL) < 0)
                return -errno;
        return 0;
}

/* Reopens destination after something was mounted there: an fd opened before still points below the
 * new mount, and a remount or propagation change through it would hit the mount underneath. */
static int reopen_target(int root_fd, const char *destination, int *fd, char target[static 64]) {
        safe_close(*fd);
        *fd = rootfs_open_in_root(root_fd, destination, false, false);
        if (*fd < 0)
                return *fd;
        snprintf(target, 64, "/proc/self/fd/%d", *fd);
        return 0;
}

/* cgroup mounts: cgroup2 where the host is unified; on a v1 or hybrid host (until the cgroup driver
 * gives the container its own hierarchy) the host's tree, bound read-only. */
static int mount_cgroup(int root_fd, const OciMount *m, int *fd, char target[static 64]) {
        unsigned long flags = m->parsed.flags & ~(MS_BIND | MS_REC);
        int r;

        if (host_is_unified_cgroup())
                return mount("cgroup2", target, "cgroup2", flags, NULL) < 0 ? -errno : 0;
        if (mount("/sys/fs/cgroup", target, NULL, MS_BIND | MS_REC, NULL) < 0)
                return -errno;
        r = reopen_target(root_fd, m->destination, fd, target);
        if (r < 0)
                return r;
        r = remount_bind(target, flags | MS_RDONLY);
        if (r < 0)
                return r;
        /* The remount makes only the top read-only, and the hierarchies below are the host's: make them
         * read-only too, or the container's root writes the host's cgroups. Before Linux 5.12 (ENOSYS)
         * only the top is. */
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
        if (syscall(SYS_mount_setattr, *fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0 &&
            errno != ENOSYS)
                return -errno;
        return 0;
}

/* The recursive r* options (rro, rnosuid, ...) go to every mount below target (mount_setattr(2),
 * Linux 5.12; containers/crun:src/libcrun/linux.c does the same). */
static int apply_recursive_attributes(const OciMount *m, int fd) {
        struct mount_attr attr = {.attr_set = m->parsed.attr_set, .attr_clr = m->parsed.attr_clr};

        if (attr.attr_set == 0 && attr.attr_clr == 0)
                return 0;
        /* An atime mode is a field, not a bit: clearing the field is what lets a new mode be set. */
        if (attr.attr_set & MOUNT_ATTR__ATIME)
                attr.attr_clr |= MOUNT_ATTR__ATIME;
        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
                return -errno;
        return 0;
}

/* Attaches a detached mount the runtime opened (mount-source.h) at the target, an O_PATH fd inside the
 * rootfs, and closes it. */
static int attach_source(int *source_fd, int target_fd) {
        int r = 0;

        if (syscall(SYS_move_mount,
                    *source_fd,
                    "",
                    target_fd,
                    "",
                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                r = -errno;
        *source_fd = safe_close(*source_fd);
        return r;
}

/* source_fd: the mount's source as the runtime opened it, or -EBADF; taken either way. */
static int mount_one(int root_fd, const OciMount *m, int *source_fd) {
        _cleanup_close_ int fd = -EBADF;
        bool bind = oci_mount_is_bind(m), want_dir = true;
        const char *type = m->type;
        unsigned long flags = m->parsed.flags;
        char target[64];
        struct stat st;
        int r;

        /* tmpcopyup is not done yet: refused rather than quietly ignored. An idmapped mount is always one
         * the runtime opened (mount-source.h). */
        if ((m->parsed.extra & MOUNT_EXTRA_TMPCOPYUP) || (oci_mount_is_idmapped(m) && *source_fd < 0))
                return -EOPNOTSUPP;
        if (bind) {
                if ((*source_fd >= 0 ? fstat(*source_fd, &st) : stat(m->source, &st)) < 0)
                        return -errno;
                want_dir = S_ISDIR(st.st_mode);
        }
        fd = rootfs_open_in_root(root_fd, m->destination, true, want_dir);
        if (fd < 0)
                return fd;
        /* proc and sysfs only on a real directory, reached through no symlink of the image's: a /proc that
         * leads to a volume would hide the procfs under it and take the writes meant for it
         * (opencontainers/runc:libcontainer/rootfs_linux.go checkProcMount, CVE-2019-19921). */
        if (type && (strcmp(type, "proc") == 0 || strcmp(type, "sysfs") == 0)) {
                r = rootfs_check_no_symlink(root_fd, m->destination, fd);
                if (r < 0)
                        return r;
        }
        FD_PATH(target, fd);

        if (type && strcmp(type, "cgroup") == 0)
                r = mount_cgroup(root_fd, m, &fd, target);
        else if (bind) {
                if (*source_fd >= 0)
                        r = attach_source(source_fd, fd);
                else
                        r = mount(m->source, target, NULL, MS_BIND | (flags & MS_REC), NULL) < 0 ? -errno
                                                                                                 : 0;
                if (r >= 0 && (flags & ~(MS_BIND | MS_REC))) {
                        r = reopen_target(root_fd, m->destination, &fd, target);
                        if (r >= 0)
                                r = remount_bind(target, flags & ~(MS_BIND | MS_REC));
                }
        } else
                r = mount(m->source ?: type, target, type, flags, m->parsed.data) < 0 ? -errno : 0;
        if (r < 0)
                return r;

        r = reopen_target(root_fd, m->destination, &fd, target);
        if (r < 0)
                return r;
        if (m->parsed.propagation != MOUNT_PROPAGATION_UNCHANGED &&
            mount(NULL,
                  target,
                  NULL,
                  mount_propagation_to_flags(m->parsed.propagation, m->parsed.propagation_recursive),
                  NULL) < 0)
                return -errno;
        return apply_recursive_attributes(m, fd);
}

/* Binds the host's node at path to the same path inside the rootfs. A device node has nothing to execute
 * and no set-id bit to honour: nosuid and noexec, as containers/crun:src/libcrun/linux.c
 * libcrun_create_dev binds devices (runc binds them with neither). Not nodev, or it would not work. */
static int bind_device(int root_fd, const char *path) {
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC};
        _cleanup_close_ int fd = -EBADF;
        char target[64];
        int r;

        fd = rootfs_open_in_root(root_fd, path, true, false);
        if (fd < 0)
                return fd;
        if (mount(path, FD_PATH(target, fd), NULL, MS_BIND, NULL) < 0)
                return -errno;
        r = reopen_target(root_fd, path, &fd, target);
        if (r < 0)
                return r;
        /* Before Linux 5.12 (ENOSYS), a remount, which may fail where the source's atime flags differ. */
        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) == 0)
                return 0;
        return errno == ENOSYS ? remount_bind(target, MS_NOSUID | MS_NOEXEC) : -errno;
}

/* Creates a device node, or, in a user namespace (bind), where mknod is not allowed, binds the host's node
 * at the same path, as opencontainers/runc:libcontainer/rootfs_linux.go createDeviceNode does; EPERM
 * elsewhere (a runtime itself in a user namespace) falls back to the bind too. A node that exists already
 * is left as it is (runc ignores EEXIST): never unlinked, whatever it is. */
static int
make_device(int root_fd, const char *path, mode_t mode, dev_t dev, uid_t uid, gid_t gid, bool bind) {
        _cleanup_close_ int dir_fd = -EBADF, fd = -EBADF;
        const char *name = strrchr(path, '/') + 1;
        char parent[4096];
        int r;

        snprintf(parent, sizeof(parent), "%.*s", (int) (name - path), path);
        dir_fd = rootfs_open_in_root(root_fd, parent, true, true);
        if (dir_fd < 0)
                return dir_fd;
        /* O_PATH fds cannot be used with mknodat(); reopen the directory for real. */
        fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* The mode exactly as asked, with no umask (022 would make /dev/null 0644), as runc clears its own:
         * no chmod afterwards, which would follow a symlink that another process sharing the rootfs swapped
         * in for the node meanwhile, and chmod a host file. The chown never follows one, and keeps the
         * set-id bits of anything but a regular file. */
        if (!bind) {
                mode_t old_umask = umask(0);

                r = mknodat(fd, name, mode, dev) < 0 ? -errno : 0;
                umask(old_umask);
                if (r >= 0)
                        return fchownat(fd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
                if (r == -EEXIST)
                        return 0;
                if (r != -EPERM)
                        return r;
        }
        return bind_device(root_fd, path);
}

static int setup_dev(int root_fd, const OciConfig *c, const char **reterr_what) {
        _cleanup_close_ int dev_fd = -EBADF;
        bool bind = oci_config_get_namespace(c, OCI_NAMESPACE_USER);
        int r;

        for (size_t i = 0; i < ELEMENTSOF(default_devices); i++) {
                const DefaultDevice *d = &default_devices[i];

                *reterr_what = d->path;
                r = make_device(root_fd, d->path, d->mode, makedev(d->major, d->minor), 0, 0, bind);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < c->n_devices; i++) {
                const OciDevice *d = &c->devices[i];

                *reterr_what = d->path;
                r = make_device(root_fd,
                                d->path,
                                d->type | (d->has_file_mode ? d->file_mode & 07777 : 0666),
                                makedev(d->major, d->minor),
                                d->has_uid ? d->uid : 0,
                                d->has_gid ? d->gid : 0,
                                bind);
                if (r < 0)
                        return r;
        }

        dev_fd = rootfs_open_in_root(root_fd, "/dev", true, true);
        if (dev_fd < 0)
                return *reterr_what = "/dev", dev_fd;
        r = openat(dev_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (r < 0)
                return *reterr_what = "/dev", -errno;
        safe_close(dev_fd);
        dev_fd = r;
        for (size_t i = 0; i < ELEMENTSOF(default_symlinks); i++) {
                const char *name = default_symlinks[i][1] + strlen("/dev/");

                *reterr_what = default_symlinks[i][1];
                if (symlinkat(default_symlinks[i][0], dev_fd, name) < 0 && errno != EEXIST)
                        return -errno;
        }
        return 0;
}

/* Whether a bind mount is /dev: then it is the caller's, the host's /dev as often as not, and nothing is
 * made in it, not a default device nor a symlink (opencontainers/runc:libcontainer/rootfs_linux.go
 * needsSetupDev). */
static bool dev_is_bound(const OciConfig *c) {
        for (size_t i = 0; i < c->n_mounts; i++) {
                const char *d = c->mounts[i].destination;
                size_t len;

                d += strspn(d, "/");
                len = strcspn(d, "/");
                if (oci_mount_is_bind(&c->mounts[i]) && len == 3 && strncmp(d, "dev", 3) == 0 &&
                    d[len + strspn(d + len, "/")] == '\0')
                        return true;
        }
        return false;
}

/* pivot_root(".", ".") stacks the old root under the new one; detaching it leaves the new root alone
 * (opencontainers/runc:libcontainer/rootfs_linux.go pivotRoot). */
static int pivot(const char *rootfs) {
        _cleanup_close_ int old_root = -EBADF, new_root = -EBADF;

        old_root = open("/", O_DIRECTORY | O_PATH | O_CLOEXEC);
        new_root = open(rootfs, O_DIRECTORY | O_PATH | O_CLOEXEC);
        if (old_root < 0 || new_root < 0)
                return -errno;
        if (fchdir(new_root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || fchdir(old_root) < 0)
                return -errno;
        /* Make sure the unmount does not propagate to the host. */
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0 || umount2(".", MNT_DETACH) < 0)
                return -errno;
        return chdir("/") < 0 ? -errno : 0;
}

static int no_pivot(const char *rootfs) {
        if (chdir(rootfs) < 0 || mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0)
                return -errno;
        return chdir("/") < 0 ? -errno : 0;
}

/* maskedPaths, before the pivot: an empty read-only tmpfs over a directory, the host's /dev/null over
 * anything else. Never the image's /dev/null, which may be a symlink to anything, /proc/sys/kernel/
 * core_pattern say, bound writable over a masked path (runc's CVE-2025-31133): ours is opened on the host
 * and checked to be the null device. Paths are resolved inside the rootfs; those the image lacks are
 * skipped. */
static int mask_paths(int root_fd, const OciConfig *c, const char **reterr_what) {
        _cleanup_close_ int null_fd = -EBADF;
        char source[64], target[64];
        struct stat st;

        for (char **p = c->masked_paths; p && *p; p++) {
                _cleanup_close_ int fd = -EBADF;

                *reterr_what = *p;
                fd = rootfs_open_in_root(root_fd, *p, false, false);
                if (fd == -ENOENT)
                        continue;
                if (fd < 0)
                        return fd;
                if (fstat(fd, &st) < 0)
                        return -errno;
                if (S_ISDIR(st.st_mode)) {
                        if (mount("tmpfs", FD_PATH(target, fd), "tmpfs", MS_RDONLY, "size=0k") < 0)
                                return -errno;
                        continue;
                }
                if (null_fd < 0) {
                        null_fd = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
                        if (null_fd < 0 || fstat(null_fd, &st) < 0)
                                return *reterr_what = "/dev/null", -errno;
                        if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
                                return *reterr_what = "/dev/null", -ENODEV;
                }
                if (mount(FD_PATH(source, null_fd), FD_PATH(target, fd), NULL, MS_BIND, NULL) < 0)
                        return -errno;
        }
        return 0;
}

/* After the pivot and the sysctls: readonlyPaths read-only. */
static int protect_paths(const OciConfig *c, const char **reterr_what) {
        for (char **p = c->readonly_paths; p && *p; p++) {
                *reterr_what = *p;
                if (mount(*p, *p, NULL, MS_BIND | MS_REC, NULL) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return -errno;
                }
                if (remount_bind(*p, MS_RDONLY | MS_REC) < 0)
                        return -errno;
        }
        return 0;
}

/* The mount that holds rootfs is made private, or a slave for a slave root, before rootfs is bound onto
 * itself: pivot_root() refuses a shared parent, and a bind under a shared mount would propagate to the
 * host's namespace (opencontainers/runc:libcontainer/rootfs_linux.go rootfsParentMountPropagation). mount()
 * says EINVAL where path is no mount point: then its parent directory is tried, up to "/". */
static int make_rootfs_parent_unshared(const char *rootfs, MountPropagation root_propagation) {
        unsigned long flags = root_propagation == MOUNT_PROPAGATION_SLAVE ? MS_SLAVE : MS_PRIVATE;
        char path[4096];

        if (snprintf(path, sizeof(path), "%s", rootfs) >= (int) sizeof(path))
                return -ENAMETOOLONG;
        for (;;) {
                char *slash;

                if (mount(NULL, path, NULL, flags, NULL) == 0)
                        return 0;
                if (errno != EINVAL || strcmp(path, "/") == 0)
                        return -errno;
                slash = strrchr(path, '/');
                if (!slash)
                        return -EINVAL;
                slash[slash == path ? 1 : 0] = '\0';
        }
}

int rootfs_prepare(const OciConfig *c, const char *rootfs, int *sources, const char **reterr_what) {
        _cleanup_close_ int root_fd = -EBADF;
        unsigned long propagation = MS_SLAVE | MS_REC; /* runc's default */
        int r;

        if (c->rootfs_propagation != MOUNT_PROPAGATION_UNCHANGED)
                propagation =
                        mount_propagation_to_flags(c->rootfs_propagation, c->rootfs_propagation_recursive);
        *reterr_what = "/";
        if (mount(NULL, "/", NULL, propagation, NULL) < 0)
                return -errno;
        *reterr_what = rootfs;
        r = make_rootfs_parent_unshared(rootfs, c->rootfs_propagation);
        if (r < 0)
                return r;
        /* pivot_root needs the new root to be a mount point. */
        if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                return -errno;
        root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return -errno;

        for (size_t i = 0; i < c->n_mounts; i++) {
                int none = -EBADF;

                *reterr_what = c->mounts[i].destination;
                r = mount_one(root_fd, &c->mounts[i], sources ? &sources[i] : &none);
                if (r < 0)
                        return r;
        }
        if (!dev_is_bound(c)) {
                r = setup_dev(root_fd, c, reterr_what);
                if (r < 0)
                        return r;
        }
        return mask_paths(root_fd, c, reterr_what);
}

int rootfs_root_is_mount_point(void) {
        struct statx stx;

        if (statx(AT_FDCWD, "/", AT_NO_AUTOMOUNT, 0, &stx) < 0)
                return -errno;
        if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)) /* before Linux 5.8 */
                return -EOPNOTSUPP;
        return !!(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

int rootfs_enter(const char *rootfs, bool no_pivot_root, const char **reterr_what) {
        *reterr_what = rootfs;
        return no_pivot_root ? no_pivot(rootfs) : pivot(rootfs);
}

/* A missing process.cwd is created, 0755, as opencontainers/runc:libcontainer/rootfs_linux.go
 * prepareRootfs does after pivot_root; resolved inside the root, so that no symlink of the image makes us
 * create anything elsewhere. Before the root goes read-only. */
static int make_cwd(const OciConfig *c, const char **reterr_what) {
        _cleanup_close_ int root_fd = -EBADF, fd = -EBADF;

        if (!c->process)
                return 0;
        *reterr_what = c->process->cwd;
        root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return -errno;
        fd = rootfs_open_in_root(root_fd, c->process->cwd, true, true);
        return fd < 0 ? fd : 0;
}

/* A shared or unbindable root is made so only now, after pivot_root, which refuses a shared root, and on
 * the container's own root, so that the host's stays as it is (opencontainers/runc:
 * libcontainer/rootfs_linux.go prepareRootfs). Private and slave were applied before. */
static int apply_root_propagation(const OciConfig *c, const char **reterr_what) {
        if (c->rootfs_propagation != MOUNT_PROPAGATION_SHARED &&
            c->rootfs_propagation != MOUNT_PROPAGATION_UNBINDABLE)
                return 0;
        *reterr_what = "/";
        if (mount(NULL,
                  "/",
                  NULL,
                  mount_propagation_to_flags(c->rootfs_propagation, c->rootfs_propagation_recursive),
                  NULL) < 0)
                return -errno;
        return 0;
}

int rootfs_finish(const OciConfig *c, const char **reterr_what) {
        int r;

        r = apply_root_propagation(c, reterr_what);
        if (r < 0)
                return r;
        r = make_cwd(c, reterr_what);
        if (r < 0)
                return r;
        r = protect_paths(c, reterr_what);
        if (r < 0)
                return r;
        if (c->root_readonly) {
                *reterr_what = "/";
                r = remount_bind("/", MS_RDONLY);
                if (r < 0)
                        return r;
        }
        return 0;
}
