#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static int log_max_level = LOG_LEVEL_WARNING;

void log_set_max_level(int level) {
        log_max_level = level;
}

int log_get_max_level(void) {
        return log_max_level;
}

/* stderr is shared with the payload, so it cannot be made O_NONBLOCK (that flag lives in the open file
 * description, and the payload would see EAGAIN). Ask poll() instead whether a short line fits now. */
static void write_stderr_if_ready(const char *buf, size_t len) {
        struct pollfd p = {.fd = STDERR_FILENO, .events = POLLOUT};

        if (poll(&p, 1, 0) != 1 || (p.revents & (POLLERR | POLLHUP | POLLNVAL)) || !(p.revents & POLLOUT))
                return;
        (void) !write(STDERR_FILENO, buf, len);
}

int log_full_errno(int level, int error, const char *fmt, ...) {
        int saved_errno = errno;
        char buf[512];
        va_list ap;
        int n;

        if (error < 0)
                error = -error;
        if (level > log_max_level)
                goto finish;

        n = snprintf(buf, sizeof(buf), "tether-init: ");
        va_start(ap, fmt);
        n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
        va_end(ap);
        if ((size_t) n < sizeof(buf) && error != 0)
                n += snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(error));
        if ((size_t) n >= sizeof(buf) - 1)
                n = sizeof(buf) - 2;
        buf[n++] = '\n';
        write_stderr_if_ready(buf, n);

finish:
        errno = saved_errno;
        return -error;
}
