/* shim/log-file.c: the CRI entries, rotation that keeps N files and splits no entry, and a full disk
 * (RLIMIT_FSIZE stands in for it, unprivileged): entries dropped and counted, the file whole, a notice
 * once writing works again. */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log-file.h"
#include "macro.h"
#include "tap.h"

static char dir[] = "/tmp/tether-test-log-XXXXXX";

static char *slurp(const char *name) {
        char path[512];
        static char buf[1 << 16];
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n < 0)
                return NULL;
        buf[n] = '\0';
        return buf;
}

static void cleanup(void) {
        char path[512];

        for (int i = 0; i < 6; i++) {
                snprintf(path, sizeof(path), i == 0 ? "%s/log" : "%s/log.%d", dir, i);
                (void) unlink(path);
        }
}

static void test_entries(void) {
        const struct timespec now = {.tv_sec = 1796510893, .tv_nsec = 42};
        LogFile *f = NULL;
        char path[512];

        snprintf(path, sizeof(path), "%s/log", dir);
        TAP_EQ_INT(log_file_open(path, 0, 0, &f), 0);
        TAP_EQ_INT(log_file_write(f, LOG_STREAM_STDOUT, &now, "a\nbb\nccc", 8), 0);
        TAP_EQ_INT(log_file_write(f, LOG_STREAM_STDERR, &now, "\n", 1), 0);
        TAP_EQ_INT(log_file_write(f, LOG_STREAM_STDOUT, &now, "x", 0), 0);
        TAP_EQ_STR(slurp("log"),
                   "2026-12-05T22:48:13.000000042Z stdout F a\n"
                   "2026-12-05T22:48:13.000000042Z stdout F bb\n"
                   "2026-12-05T22:48:13.000000042Z stdout P ccc\n"
                   "2026-12-05T22:48:13.000000042Z stderr F \n");
        TAP_EQ_INT(log_file_write(f, _LOG_STREAM_MAX, &now, "a", 1), -EINVAL);
        TAP_EQ_INT(log_file_dropped_entries(f), 0);
        log_file_free(f);
        /* a relative path or rotation without files is refused */
        TAP_EQ_INT(log_file_open("log", 0, 0, &f), -EINVAL);
        TAP_EQ_INT(log_file_open(path, 100, 0, &f), -EINVAL);
        cleanup();
}

/* Each file holds whole entries only, none over max_size, and the kept files in order hold the last
 * lines with none missing. */
static void test_rotation(void) {
        const struct timespec now = {.tv_sec = 1796510893};
        LogFile *f = NULL;
        char path[512], line[32], all[1 << 14] = "";
        int first = -1, expect;

        snprintf(path, sizeof(path), "%s/log", dir);
        TAP_EQ_INT(log_file_open(path, 120, 3, &f), 0);
        for (int i = 0; i < 50; i++) {
                int n = snprintf(line, sizeof(line), "line-%03d\n", i);
                TAP_EQ_INT(log_file_write(f, LOG_STREAM_STDOUT, &now, line, (size_t) n), 0);
        }
        log_file_free(f);
        TAP_OK(slurp("log.3") == NULL);
        for (int i = 2; i >= 0; i--) {
                char name[16];
                const char *text;

                snprintf(name, sizeof(name), i == 0 ? "log" : "log.%d", i);
                text = slurp(name);
                TAP_OK(text && strlen(text) <= 120 && strlen(text) > 0);
                if (text)
                        strcat(all, text);
        }
        expect = -1;
        for (char *p = all, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
                int i;

                *nl = '\0';
                if (sscanf(p, "2026-12-05T22:48:13.000000000Z stdout F line-%d", &i) != 1) {
                        tap_ok(0, "entry '%s' is whole", p);
                        break;
                }
                if (first < 0)
                        first = expect = i;
                if (i != expect) {
                        tap_ok(0, "line %d follows line %d", i, expect - 1);
                        break;
                }
                expect++;
        }
        TAP_EQ_INT(expect, 50); /* the last line is there */
        TAP_OK(first > 0 && first < 50 - 3); /* and the oldest went */
        cleanup();
}

static void test_full_disk(void) {
        const struct timespec now = {.tv_sec = 1796510893};
        struct rlimit old, small;
        LogFile *f = NULL;
        char path[512], big[200];
        const char *text;

        memset(big, 'x', sizeof(big));
        big[sizeof(big) - 1] = '\n';
        snprintf(path, sizeof(path), "%s/log", dir);
        TAP_EQ_INT(log_file_open(path, 0, 0, &f), 0);
        signal(SIGXFSZ, SIG_IGN); /* past RLIMIT_FSIZE, write(2) fails with EFBIG instead */
        TAP_EQ_INT(getrlimit(RLIMIT_FSIZE, &old), 0);
        small = (struct rlimit){.rlim_cur = 250, .rlim_max = old.rlim_max};
        TAP_EQ_INT(setrlimit(RLIMIT_FSIZE, &small), 0);
        TAP_EQ_INT(log_file_write(f, LOG_STREAM_STDOUT, &now, big, sizeof(big)), 0);
        /* 240 bytes in: the next entries cross the limit, are cut short, taken back and dropped */
        TAP_EQ_INT(log_file_write(f, LOG_STREAM_STDERR, &now, "y\nz\n", 4), -EFBIG);
        TAP_EQ_INT(log_file_write(f, LOG_STREAM_STDOUT, &now, big, sizeof(big)), -EFBIG);
        TAP_EQ_INT(log_file_dropped_entries(f), 3);
        TAP_EQ_INT(log_file_dropped_bytes(f), 2 + sizeof(big) - 1);
        text = slurp("log");
        TAP_EQ_INT(text ? strlen(text) : 0, 40 + sizeof(big));
        TAP_EQ_INT(setrlimit(RLIMIT_FSIZE, &old), 0);
        TAP_EQ_INT(log_file_write(f, LOG_STREAM_STDOUT, &now, "back\n", 5), 0);
        text = slurp("log");
        TAP_OK(text &&
               strstr(text, "stderr F tether-shim: 3 log entries (201 bytes in all so far) were dropped: "));
        TAP_OK(text && strstr(text, "stdout F back\n"));
        TAP_EQ_INT(log_file_dropped_entries(f), 3);
        log_file_free(f);
        cleanup();
}

int main(void) {
        if (!mkdtemp(dir))
                return tap_skip_all("no temporary directory"), 0;
        test_entries();
        test_rotation();
        test_full_disk();
        (void) rmdir(dir);
        return tap_done();
}
