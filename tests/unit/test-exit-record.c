/* shim/exit-record.c: the status fields from waitid(), the JSON text, and the durable write. */

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exit-record.h"
#include "macro.h"
#include "signal-name.h"
#include "tap.h"
#include "time-format.h"

static ExitRecord sample(void) {
        return (ExitRecord){
                .id = "web-1",
                .started_at = {.tv_sec = 1796510893, .tv_nsec = 5},
                .exited_at = {.tv_sec = 1796510900, .tv_nsec = 123456789},
                .boot_id = "0b0d4b1e-6d3c-4c52-9a7e-2f0e3c1a9d11",
        };
}

static void test_status(void) {
        ExitRecord r = sample();

        TAP_EQ_INT(exit_record_set_status(&r, CLD_EXITED, 42), 0);
        TAP_EQ_INT(r.exit_code, 42);
        TAP_EQ_INT(r.signal, 0);
        TAP_EQ_INT(exit_record_set_status(&r, CLD_KILLED, SIGKILL), 0);
        TAP_EQ_INT(r.exit_code, 137);
        TAP_EQ_INT(r.signal, SIGKILL);
        TAP_OK(!r.core_dumped);
        TAP_EQ_INT(exit_record_set_status(&r, CLD_DUMPED, SIGSEGV), 0);
        TAP_EQ_INT(r.exit_code, 139);
        TAP_OK(r.core_dumped);
        TAP_EQ_INT(exit_record_set_status(&r, CLD_EXITED, 0), 0);
        TAP_OK(!r.core_dumped && r.signal == 0 && r.exit_code == 0);
        /* a stop or continue is no exit; nor is a signal that does not exist */
        TAP_EQ_INT(exit_record_set_status(&r, CLD_STOPPED, SIGSTOP), -EINVAL);
        TAP_EQ_INT(exit_record_set_status(&r, CLD_CONTINUED, SIGCONT), -EINVAL);
        TAP_EQ_INT(exit_record_set_status(&r, CLD_KILLED, 0), -EINVAL);
        TAP_EQ_INT(exit_record_set_status(&r, CLD_KILLED, 65), -EINVAL);
        TAP_EQ_INT(exit_record_set_status(&r, CLD_EXITED, 256), -EINVAL);
}

static void test_oom_victim(void) {
        TAP_EQ_INT(exit_record_oom_victim(false, CLD_KILLED, SIGKILL), EXIT_OOM_VICTIM_NONE);
        TAP_EQ_INT(exit_record_oom_victim(true, CLD_KILLED, SIGKILL), EXIT_OOM_VICTIM_FIRST_PROCESS);
        TAP_EQ_INT(exit_record_oom_victim(true, CLD_EXITED, 1), EXIT_OOM_VICTIM_OTHER);
        TAP_EQ_INT(exit_record_oom_victim(true, CLD_KILLED, SIGTERM), EXIT_OOM_VICTIM_OTHER);
}

static void test_format(void) {
        ExitRecord r = sample();
        char buf[1024], small[64], t[40];

        TAP_EQ_INT(exit_record_format_time(&(struct timespec){.tv_sec = 0, .tv_nsec = 5}, t, sizeof(t)), 0);
        TAP_EQ_STR(t, "1970-01-01T00:00:00.000000005Z");
        TAP_EQ_INT(exit_record_format_time(&(struct timespec){.tv_nsec = 1000000000L}, t, sizeof(t)),
                   -EINVAL);

        TAP_EQ_INT(exit_record_set_status(&r, CLD_KILLED, SIGKILL), 0);
        r.oom_killed = true;
        r.oom_victim = EXIT_OOM_VICTIM_FIRST_PROCESS;
        TAP_EQ_INT(exit_record_format(&r, buf, sizeof(buf)), 0);
        TAP_EQ_STR(buf,
                   "{\"id\":\"web-1\",\"exit_code\":137,\"signal\":\"SIGKILL\",\"core_dumped\":false,"
                   "\"oom_killed\":true,\"oom_victim\":\"first-process\","
                   "\"started_at\":\"2026-12-05T22:48:13.000000005Z\","
                   "\"exited_at\":\"2026-12-05T22:48:20.123456789Z\","
                   "\"boot_id\":\"0b0d4b1e-6d3c-4c52-9a7e-2f0e3c1a9d11\"}\n");

        r = sample();
        TAP_EQ_INT(exit_record_set_status(&r, CLD_EXITED, 0), 0);
        TAP_EQ_INT(exit_record_format(&r, buf, sizeof(buf)), 0);
        TAP_OK(strstr(buf, "\"exit_code\":0,\"signal\":null,") && strstr(buf, "\"oom_victim\":null,"));

        r.signal = SIGNAL_RTMIN_KERNEL + 2;
        TAP_EQ_INT(exit_record_format(&r, buf, sizeof(buf)), 0);
        TAP_OK(strstr(buf, "\"signal\":\"SIGRTMIN+2\""));

        r = sample();
        r.id = "a\"b\\c\n";
        TAP_EQ_INT(exit_record_format(&r, buf, sizeof(buf)), 0);
        TAP_OK(strncmp(buf, "{\"id\":\"a\\\"b\\\\c\\u000a\",", 22) == 0);

        r = sample();
        TAP_EQ_INT(exit_record_format(&r, small, sizeof(small)), -ENOBUFS);
        r.id = "";
        TAP_EQ_INT(exit_record_format(&r, buf, sizeof(buf)), -EINVAL);
        r = sample();
        r.signal = 99;
        TAP_EQ_INT(exit_record_format(&r, buf, sizeof(buf)), -EINVAL);
}

/* The arithmetic date against glibc's gmtime_r, at the edges it must get right (leap days, the century
 * rules, the year's ends, before 1970) and at 20000 times spread over its whole range. */
static void test_format_time_matches_gmtime(void) {
        static const time_t fixed[] = {
                0,
                -1,
                86399,
                951782400 /* 2000-02-29 */,
                951868800,
                4107542400 /* 2100-02-28 */,
                4107628800,
                1796509693,
                -62167219200LL /* 0000-01-01 */,
                253402300799LL /* 9999-12-31T23:59:59 */,
                -2208988800LL /* 1900-01-01 */,
                68169600 /* 1972-02-29 */,
        };
        unsigned bad = 0;

        for (size_t i = 0; i < ELEMENTSOF(fixed) + 20000; i++) {
                time_t t = i < ELEMENTSOF(fixed)
                                   ? fixed[i]
                                   : -62167219200LL +
                                             (time_t) (((uint64_t) random() << 20 ^ (uint64_t) random()) %
                                                       (253402300800ULL + 62167219200ULL));
                struct timespec ts = {.tv_sec = t, .tv_nsec = 123456789};
                char got[TIME_FORMAT_MAX], want[64];
                struct tm tm;

                /* strftime's %Y would not pad years before 1000 to RFC 3339's four digits */
                if (!gmtime_r(&t, &tm) ||
                    snprintf(want,
                             sizeof(want),
                             "%04d-%02d-%02dT%02d:%02d:%02d.123456789Z",
                             tm.tm_year + 1900,
                             tm.tm_mon + 1,
                             tm.tm_mday,
                             tm.tm_hour,
                             tm.tm_min,
                             tm.tm_sec) <= 0 ||
                    time_format_rfc3339_ns(&ts, got, sizeof(got)) < 0 || strcmp(got, want) != 0) {
                        if (bad++ < 5)
                                TAP_EQ_STR(got, want);
                }
        }
        TAP_EQ_INT(bad, 0);
        TAP_EQ_INT(time_format_rfc3339_ns(&(struct timespec){.tv_sec = 253402300800LL}, (char[40]){}, 40),
                   -EINVAL);
        TAP_EQ_INT(time_format_rfc3339_ns(&(struct timespec){.tv_sec = -62167219201LL}, (char[40]){}, 40),
                   -EINVAL);
        volatile size_t short_size = 30; /* one short of the whole; hidden from the format check */
        TAP_EQ_INT(time_format_rfc3339_ns(&(struct timespec){.tv_sec = 0}, (char[30]){}, short_size),
                   -ENOBUFS);
}

static void test_write(void) {
        char dir[] = "/tmp/tether-test-exit-XXXXXX", buf[1024], text[1024] = "";
        _cleanup_close_ int dir_fd = -EBADF, fd = -EBADF;
        ExitRecord r = sample();
        ssize_t n;

        TAP_OK(mkdtemp(dir));
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        TAP_OK(dir_fd >= 0);
        TAP_EQ_INT(exit_record_set_status(&r, CLD_EXITED, 42), 0);
        TAP_EQ_INT(exit_record_write(dir_fd, &r), 0);
        /* written again over the first: the later record wins, whole */
        TAP_EQ_INT(exit_record_set_status(&r, CLD_KILLED, SIGTERM), 0);
        TAP_EQ_INT(exit_record_write(dir_fd, &r), 0);
        TAP_EQ_INT(exit_record_format(&r, buf, sizeof(buf)), 0);
        fd = openat(dir_fd, EXIT_RECORD_FILE, O_RDONLY | O_CLOEXEC);
        TAP_OK(fd >= 0);
        n = read(fd, text, sizeof(text) - 1);
        TAP_EQ_INT(n, (long long) strlen(buf));
        TAP_EQ_STR(text, buf);
        TAP_OK(faccessat(dir_fd, "exit.json.tmp", F_OK, 0) < 0 && errno == ENOENT);
        /* a bad record writes nothing and leaves the last one */
        r.id = NULL;
        TAP_EQ_INT(exit_record_write(dir_fd, &r), -EINVAL);
        TAP_OK(faccessat(dir_fd, EXIT_RECORD_FILE, F_OK, 0) == 0);
        (void) unlinkat(dir_fd, EXIT_RECORD_FILE, 0);
        (void) rmdir(dir);
}

static void test_boot_id(void) {
        char id[EXIT_RECORD_BOOT_ID_MAX];

        TAP_EQ_INT(exit_record_read_boot_id(id), 0);
        TAP_EQ_INT(strlen(id), 36);
        TAP_OK(id[8] == '-' && id[13] == '-' && id[18] == '-' && id[23] == '-');
}

int main(void) {
        test_status();
        test_oom_victim();
        test_format();
        test_format_time_matches_gmtime();
        test_write();
        test_boot_id();
        return tap_done();
}
