/* The runtime re-executes itself from a copy of its binary that cannot be written (CVE-2019-5736). A
 * container's process starts as a clone of the runtime, so until its execve its /proc/self/exe is our
 * binary; a payload that is a `#!/proc/self/exe` script makes the kernel run that binary inside the
 * container, where a process of the container can open it and write to it once it is no longer busy,
 * and the host's next `tether` runs the attacker's code.
 *
 * Two ways, as opencontainers/runc:libcontainer/exeseal/cloned_binary_linux.go CloneSelfExe: first an
 * overlayfs of our directory with no upper layer, mounted nowhere (fsopen/fsmount), whose files are
 * read-only for good and share the page cache with ours (no copy, ~30 us here); else a sealed memfd
 * copy (containers/crun:src/libcrun/cloned_binary.c), which costs a copy of the binary per runtime. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exe-seal.h"
#include "macro.h"

#define SELF_ENV "_TETHER_SELF_EXE"
#define MEMFD_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

static bool fd_is_sealed(int fd) {
        struct statfs sfs;
        int seals = fcntl(fd, F_GET_SEALS);

        if (seals >= 0)
                return (seals & MEMFD_SEALS) == MEMFD_SEALS;
        return fstatfs(fd, &sfs) == 0 && sfs.f_type == OVERLAYFS_SUPER_MAGIC && (sfs.f_flags & ST_RDONLY);
}

static int fsconfig_string(int fs, const char *key, const char *value) {
        return syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, key, value, 0) < 0 ? -errno : 0;
}

/* ':' and '\' separate and escape overlayfs's lower directories. */
static int append_escaped(char *buf, size_t size, size_t *len, const char *s) {
        for (; *s; s++) {
                if (*len + 3 > size)
                        return -ENAMETOOLONG;
                if (*s == ':' || *s == '\\')
                        buf[(*len)++] = '\\';
                buf[(*len)++] = *s;
        }
        buf[*len] = '\0';
        return 0;
}

/* Our binary as seen through an overlayfs of its directory and scratch_dir, which must not overlap it:
 * overlayfs is read-only only with two lower layers and no upper one. */
static int open_through_overlay(const char *self, const char *scratch_dir) {
        _cleanup_close_ int fs = -EBADF, mnt = -EBADF;
        _cleanup_free_ char *dir = strdup(self);
        char lower[2 * PATH_MAX + 2];
        size_t len = 0;
        char *slash;
        int r;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return -EINVAL;
        *slash = '\0';
        r = append_escaped(lower, sizeof(lower), &len, dir);
        if (r < 0)
                return r;
        lower[len++] = ':'; /* append_escaped() left room for it */
        r = append_escaped(lower, sizeof(lower), &len, scratch_dir);
        if (r < 0)
                return r;

        fs = (int) syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
        if (fs < 0)
                return -errno;
        r = fsconfig_string(fs, "lowerdir", lower);
        if (r < 0)
                return r;
        (void) fsconfig_string(fs, "xino", "off"); /* spares dmesg a warning; we do not need it */
        if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return -errno;
        mnt = (int) syscall(
                SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
        if (mnt < 0)
                return -errno;
        r = openat(mnt, slash + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        return r < 0 ? -errno : r;
}

static int copy_to_sealed_memfd(void) {
        _cleanup_close_ int src = -EBADF, fd = -EBADF;
        struct stat st;
        off_t done = 0;

        src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (src < 0 || fstat(src, &st) < 0)
                return -errno;
        fd = memfd_create("tether", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
        if (fd < 0 && errno == EINVAL) /* MFD_EXEC is Linux 6.3 */
                fd = memfd_create("tether", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;
        while (done < st.st_size) {
                ssize_t n = sendfile(fd, src, NULL, st.st_size - done);

                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                done += n;
        }
        if (fchmod(fd, 0511) < 0 || fcntl(fd, F_ADD_SEALS, MEMFD_SEALS) < 0)
                return -errno;
        return TAKE_FD(fd);
}

int exe_seal(char **argv, const char *scratch_dir, const char **ret_self) {
        _cleanup_close_ int self_fd = -EBADF, sealed = -EBADF;
        char self[PATH_MAX];
        ssize_t n;

        self_fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (self_fd < 0)
                return -errno;
        if (fd_is_sealed(self_fd)) {
                /* The environment variable told us where we came from; it goes no further (hooks and
                 * nested runtimes must not take it for theirs). */
                *ret_self = getenv(SELF_ENV); /* unsetenv() leaves the string itself be */
                (void) unsetenv(SELF_ENV);
                return 0;
        }

        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n < 0)
                return -errno;
        self[n] = '\0';
        sealed = scratch_dir ? open_through_overlay(self, scratch_dir) : -ENOENT;
        if (sealed < 0)
                sealed = copy_to_sealed_memfd();
        if (sealed < 0)
                return sealed;
        if (setenv(SELF_ENV, self, 1) < 0)
                return -errno;
        (void) syscall(SYS_execveat, sealed, "", argv, environ, AT_EMPTY_PATH);
        return -errno;
}
