#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "rootfs.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

static int openat2_in_root(int root_fd, const char *path, int flags) {
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd;

        /* An empty path is the root itself. */
        if (*path == '\0')
                path = ".";
        fd = (int) RETRY_ON_EINTR(syscall(SYS_openat2, root_fd, path, &how, sizeof(how)));
        /* The path moved under us (EAGAIN): once more, then give up. */
        if (fd < 0 && errno == EAGAIN)
                fd = (int) syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
        return fd < 0 ? -errno : fd;
}

#define SYMLINK_HOPS_MAX 40 /* as the kernel's MAXSYMLINKS */

/* Whether name in parent_fd is a symlink that does not resolve inside the root (path is the same entry,
 * relative to root_fd): then its target is copied to target. Returns 1 if so, 0 if not, or -errno. */
static int dangling_symlink(int root_fd, int parent_fd, const char *name, const char *path, char *target) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        ssize_t n;

        if (fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (!S_ISLNK(st.st_mode))
                return 0;
        fd = openat2_in_root(root_fd, path, O_PATH);
        if (fd != -ENOENT)
                return fd < 0 ? fd : 0;
        n = readlinkat(parent_fd, name, target, PATH_MAX);
        if (n < 0)
                return -errno;
        if (n >= PATH_MAX)
                return -ENAMETOOLONG;
        target[n] = '\0';
        return 1;
}

/* Creates the last component of path (relative, inside root_fd) if it is missing. Returns 0, or 1 with
 * the target of a dangling symlink found there in target, or -errno. */
static int create_component(int root_fd, char *path, bool dir, char *target) {
        _cleanup_close_ int parent_fd = -EBADF, fd = -EBADF;
        char *slash = strrchr(path, '/');
        const char *name = slash ? slash + 1 : path;

        if (slash)
                *slash = '\0';
        parent_fd = openat2_in_root(root_fd, slash ? path : "", O_PATH | O_DIRECTORY);
        if (slash)
                *slash = '/';
        if (parent_fd < 0)
                return parent_fd;
        if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return 0;
        if (dir) {
                /* mkdirat() never follows a trailing symlink: EEXIST leaves a link to be resolved in-root,
                 * by the caller's next open or, when it leads nowhere yet, by following it ourselves. */
                if (mkdirat(parent_fd, name, 0755) < 0 && errno != EEXIST)
                        return -errno;
        } else {
                fd = openat(parent_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (fd < 0 && errno != EEXIST)
                        return -errno;
                if (fd >= 0)
                        return 0;
        }
        return dangling_symlink(root_fd, parent_fd, name, path, target);
}

/* rel with its first `end` bytes (a dangling symlink) replaced by the link's target: from the root if
 * absolute, else from the link's directory, as the kernel would resolve it inside the root. */
static int splice_symlink(char *rel, size_t end, const char *target) {
        char out[PATH_MAX];
        const char *dir_end = memrchr(rel, '/', end);
        size_t dir_len = target[0] == '/' || !dir_end ? 0 : (size_t) (dir_end - rel);
        int n;

        n = snprintf(out,
                     sizeof(out),
                     "%.*s%s%s%s",
                     (int) dir_len,
                     rel,
                     dir_len > 0 ? "/" : "",
                     target + strspn(target, "/"),
                     rel + end);
        if (n < 0 || (size_t) n >= sizeof(out))
                return -ENAMETOOLONG;
        memcpy(rel, out, (size_t) n + 1);
        return 0;
}

/* Each directory on the way, then the last component; a dangling symlink met on the way is replaced by
 * its target and the walk starts again. */
static int create_path(int root_fd, char *rel, bool want_dir) {
        char target[PATH_MAX];
        int r;

        for (unsigned hops = 0;; hops++) {
                char *p = rel;

                for (;;) {
                        char *slash = strchr(p, '/');

                        if (slash)
                                *slash = '\0';
                        r = create_component(root_fd, rel, slash ? true : want_dir, target);
                        if (slash)
                                *slash = '/';
                        if (r < 0)
                                return r;
                        if (r > 0)
                                break;
                        if (!slash)
                                return 0;
                        p = slash + 1;
                }
                if (hops >= SYMLINK_HOPS_MAX)
                        return -ELOOP;
                r = splice_symlink(rel, (size_t) (strchrnul(p, '/') - rel), target);
                if (r < 0)
                        return r;
        }
}

int rootfs_open_in_root(int root_fd, const char *path, bool create, bool want_dir) {
        char rel[PATH_MAX];
        size_t len;
        int r;

        while (*path == '/')
                path++;
        len = strlen(path);
        if (len >= sizeof(rel))
                return -ENAMETOOLONG;
        memcpy(rel, path, len + 1);
        while (len > 0 && rel[len - 1] == '/')
                rel[--len] = '\0';

        if (create) {
                r = create_path(root_fd, rel, want_dir);
                if (r < 0)
                        return r;
        }
        return openat2_in_root(root_fd, rel, O_PATH);
}

int rootfs_open_file_in_root(int root_fd, const char *path, int flags) {
        while (*path == '/')
                path++;
        return openat2_in_root(root_fd, path, flags);
}

int rootfs_check_no_symlink(int root_fd, const char *path, int fd) {
        struct open_how how = {
                .flags = O_PATH | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS,
        };
        _cleanup_close_ int direct = -EBADF;
        struct stat a, b;

        while (*path == '/')
                path++;
        direct = (int) syscall(SYS_openat2, root_fd, *path ? path : ".", &how, sizeof(how));
        if (direct < 0)
                return -errno;
        if (fstat(direct, &a) < 0 || fstat(fd, &b) < 0)
                return -errno;
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino ? 0 : -ELOOP;
}
