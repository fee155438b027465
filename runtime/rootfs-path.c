#include <errno.h>
#include <fcntl.h>
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

/* Creates the last component of path (relative, inside root_fd) if it is missing. */
static int create_component(int root_fd, char *path, bool dir) {
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
                /* mkdirat() never follows a trailing symlink: EEXIST leaves the link to be resolved
                 * in-root by the caller's final open. */
                if (mkdirat(parent_fd, name, 0755) < 0 && errno != EEXIST)
                        return -errno;
                return 0;
        }
        fd = openat(parent_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int rootfs_open_in_root(int root_fd, const char *path, bool create, bool want_dir) {
        char rel[4096];
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
                /* Each directory on the way, then the last component. */
                for (char *p = strchr(rel, '/'); p; p = strchr(p + 1, '/')) {
                        *p = '\0';
                        r = create_component(root_fd, rel, true);
                        *p = '/';
                        if (r < 0)
                                return r;
                }
                r = create_component(root_fd, rel, want_dir);
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
