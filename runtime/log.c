#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "state.h"

/* The log's settings are the CLI's parsed options: globals next to main (../shared/STYLE.md section 1). */
static int log_fd = -EBADF;
static bool log_json;
static LogLevel log_max = LOG_WARN;

static const char *const level_names[] = {
        [LOG_ERR] = "error",
        [LOG_WARN] = "warning",
        [LOG_INFO] = "info",
        [LOG_DEBUG] = "debug",
};

int log_open(const char *path, bool json, bool debug) {
        log_json = json;
        log_max = debug ? LOG_DEBUG : LOG_WARN;
        if (!path)
                return 0;
        log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        return log_fd < 0 ? -errno : 0;
}

void log_close(void) {
        log_fd = safe_close(log_fd);
}

static void write_record(LogLevel level, const char *msg) {
        _cleanup_free_ char *line = NULL, *now = NULL;

        if (log_json) {
                json_auto_t *j = NULL;

                (void) rfc3339_now(&now);
                j = json_pack("{s:s, s:s, s:s}", "level", level_names[level], "msg", msg, "time", now ?: "");
                line = j ? json_dumps(j, JSON_COMPACT) : NULL;
                if (line)
                        dprintf(log_fd, "%s\n", line);
        } else
                dprintf(log_fd, "%s: %s\n", level_names[level], msg);
}

int log_msg_errno(LogLevel level, int error, const char *fmt, ...) {
        char buf[2048];
        va_list ap;
        int n;

        if (error < 0)
                error = -error;
        if (level > log_max)
                return -error;

        va_start(ap, fmt);
        n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t) n < sizeof(buf) && error != 0)
                snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(error));

        fprintf(stderr, "tether: %s\n", buf);
        if (log_fd >= 0)
                write_record(level, buf);
        return -error;
}
