/* stdio owned by the container's user (stdio-owner.h). */

#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "stdio-owner.h"

static bool is_dev_null(const struct stat *st) {
        return S_ISCHR(st->st_mode) && st->st_rdev == makedev(1, 3);
}

static bool to_give(const struct stat *st, bool own_terminal) {
        if (S_ISREG(st->st_mode) || S_ISFIFO(st->st_mode) || S_ISSOCK(st->st_mode))
                return true;
        /* A character device only when it is the pty console_setup() made ours. */
        return own_terminal && S_ISCHR(st->st_mode) && !is_dev_null(st);
}

int stdio_give_to_user(const OciProcess *p) {
        for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
                struct stat st;

                if (fstat(fd, &st) < 0) {
                        if (errno == EBADF) /* closed: nothing to give */
                                continue;
                        return -errno;
                }
                if (st.st_uid == p->user.uid || !to_give(&st, p->terminal))
                        continue;
                if (fchown(fd, p->user.uid, (gid_t) -1) < 0 && errno != EPERM && errno != EROFS)
                        return -errno;
        }
        return 0;
}
