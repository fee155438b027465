#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "id.h"
#include "log.h"
#include "macro.h"
#include "state.h"

int cli_help(const char *verb, const char *usage) {
        printf("Usage: tether %s%s%s\n", verb, *usage ? " " : "", usage);
        return 0;
}

bool cli_is_help(const char *arg) {
        return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int cli_usage_error(const char *verb, const char *usage, const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, verb ? "tether %s: " : "tether: ", verb);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        if (usage)
                fprintf(stderr, "Usage: tether %s %s\n", verb, usage);
        return 2;
}

int cli_open_container(const GlobalOptions *g, const char *id, int *ret_root_fd, int *ret_dir_fd) {
        _cleanup_close_ int root_fd = -EBADF, dir_fd = -EBADF;
        int r;

        /* Refused before any file is touched: '../x' must never become a path. */
        if (id_validate(id) < 0)
                return log_error(
                               "invalid container id '%s': expected 1 to 128 of [A-Za-z0-9_.-], starting with a letter or digit",
                               id),
                       -EINVAL;
        r = state_root_open(g->root, &root_fd);
        if (r < 0)
                return log_error_errno(r, "failed to open state directory '%s'", g->root);
        r = state_dir_open(root_fd, id, &dir_fd);
        if (r == -ENOENT)
                return log_error("container '%s' does not exist", id), r;
        if (r < 0)
                return log_error_errno(r, "container '%s': failed to lock its state", id);
        *ret_root_fd = TAKE_FD(root_fd);
        *ret_dir_fd = TAKE_FD(dir_fd);
        return 0;
}

int cli_check_preserve_fds(const GlobalOptions *g, unsigned n) {
        /* Beyond what the caller passed lie the runtime's own fds, such as its log or the state
         * directory: never the container's. */
        if (3 + (long) n > g->inherited_fds_end)
                return log_error("--preserve-fds %u passes fd %d, which was not open when tether started",
                                 n,
                                 g->inherited_fds_end),
                       -EBADF;
        return 0;
}

int cli_beside_self(const char *self_exe, const char *name, char *buf, size_t size) {
        char self[PATH_MAX];
        char *slash;
        ssize_t n;

        if (self_exe)
                n = snprintf(self, sizeof(self), "%s", self_exe);
        else
                n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n < 0 || (size_t) n >= sizeof(self))
                return n < 0 ? -errno : -ENAMETOOLONG;
        self[n] = '\0';
        slash = strrchr(self, '/');
        if (!slash)
                return -ENOENT;
        *slash = '\0';
        return snprintf(buf, size, "%s/%s", self, name) >= (int) size ? -ENAMETOOLONG : 0;
}
