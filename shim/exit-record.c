/* The shim's exit record (exit-record.h). conmon writes its exit file without fsync and writes 0 when the
 * container was not its child (containers/conmon:src/ctr_exit.c); containerd's shim keeps the status only
 * in memory. Here the status is on disk, whole, before anything else happens, as
 * skarnet/s6:src/libs6/s6_svstatus_write.c writes its status: a temp file, then rename. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exit-record.h"
#include "macro.h"
#include "signal-name.h"
#include "time-format.h"

#define EXIT_RECORD_TMP "exit.json.tmp"

static const char *const oom_victim_names[_EXIT_OOM_VICTIM_MAX] = {
        [EXIT_OOM_VICTIM_NONE] = NULL,
        [EXIT_OOM_VICTIM_FIRST_PROCESS] = "first-process",
        [EXIT_OOM_VICTIM_OTHER] = "other",
};

int exit_record_set_status(ExitRecord *r, int code, int status) {
        switch (code) {
        case CLD_EXITED:
                if (status < 0 || status > 255)
                        return -EINVAL;
                r->exit_code = status;
                r->signal = 0;
                r->core_dumped = false;
                return 0;
        case CLD_KILLED:
        case CLD_DUMPED:
                if (!signal_to_string(status) &&
                    (status < SIGNAL_RTMIN_KERNEL || status > SIGNAL_RTMAX_KERNEL))
                        return -EINVAL;
                r->exit_code = 128 + status;
                r->signal = status;
                r->core_dumped = code == CLD_DUMPED;
                return 0;
        default:
                return -EINVAL;
        }
}

ExitOomVictim exit_record_oom_victim(bool oom_kill_grew, int code, int status) {
        if (!oom_kill_grew)
                return EXIT_OOM_VICTIM_NONE;
        /* The OOM killer sends SIGKILL; a first process ended otherwise outlived the kill of another. */
        if (code == CLD_KILLED && status == SIGKILL)
                return EXIT_OOM_VICTIM_FIRST_PROCESS;
        return EXIT_OOM_VICTIM_OTHER;
}

int exit_record_read_boot_id(char buf[EXIT_RECORD_BOOT_ID_MAX]) {
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, EXIT_RECORD_BOOT_ID_MAX - 1);
        if (n < 0)
                return -errno;
        if (n != EXIT_RECORD_BOOT_ID_MAX - 1)
                return -EIO;
        buf[n] = '\0';
        return 0;
}

int exit_record_format_time(const struct timespec *ts, char *buf, size_t size) {
        return time_format_rfc3339_ns(ts, buf, size);
}

/* The id as a JSON string's contents: ids are checked ([A-Za-z0-9_.-], common/id.h), but the record is
 * the last word on a container and must parse whatever it holds. */
static int append_json_string(char *buf, size_t size, size_t *len, const char *s) {
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
                int n;

                if (c == '"' || c == '\\')
                        n = snprintf(buf + *len, size - *len, "\\%c", c);
                else if (c < 0x20)
                        n = snprintf(buf + *len, size - *len, "\\u%04x", c);
                else
                        n = snprintf(buf + *len, size - *len, "%c", c);
                if (n < 0 || (size_t) n >= size - *len)
                        return -ENOBUFS;
                *len += (size_t) n;
        }
        return 0;
}

int exit_record_format(const ExitRecord *r, char *buf, size_t size) {
        char started[40], exited[40], signal[24] = "null", victim[24] = "null";
        size_t len = 0;
        int n;

        if (!r->id || !r->id[0] || r->oom_victim < 0 || r->oom_victim >= _EXIT_OOM_VICTIM_MAX)
                return -EINVAL;
        if (exit_record_format_time(&r->started_at, started, sizeof(started)) < 0 ||
            exit_record_format_time(&r->exited_at, exited, sizeof(exited)) < 0)
                return -EINVAL;
        if (r->signal != 0) {
                char name[16];

                if (signal_format(r->signal, name, sizeof(name)) < 0)
                        return -EINVAL;
                snprintf(signal, sizeof(signal), "\"%s\"", name);
        }
        if (oom_victim_names[r->oom_victim])
                snprintf(victim, sizeof(victim), "\"%s\"", oom_victim_names[r->oom_victim]);

        n = snprintf(buf, size, "{\"id\":\"");
        if (n < 0 || (size_t) n >= size)
                return -ENOBUFS;
        len = (size_t) n;
        if (append_json_string(buf, size, &len, r->id) < 0)
                return -ENOBUFS;
        n = snprintf(buf + len,
                     size - len,
                     "\",\"exit_code\":%d,\"signal\":%s,\"core_dumped\":%s,\"oom_killed\":%s,"
                     "\"oom_victim\":%s,\"started_at\":\"%s\",\"exited_at\":\"%s\",\"boot_id\":\"%s\"}\n",
                     r->exit_code,
                     signal,
                     r->core_dumped ? "true" : "false",
                     r->oom_killed ? "true" : "false",
                     victim,
                     started,
                     exited,
                     r->boot_id);
        if (n < 0 || (size_t) n >= size - len)
                return -ENOBUFS;
        return 0;
}

static int write_all(int fd, const char *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

int exit_record_write(int dir_fd, const ExitRecord *r) {
        _cleanup_close_ int fd = -EBADF;
        char text[1024];
        int k;

        k = exit_record_format(r, text, sizeof(text));
        if (k < 0)
                return k;
        fd = openat(dir_fd, EXIT_RECORD_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        k = write_all(fd, text, strlen(text));
        if (k < 0)
                return k;
        if (fsync(fd) < 0)
                return -errno;
        if (renameat(dir_fd, EXIT_RECORD_TMP, dir_fd, EXIT_RECORD_FILE) < 0)
                return -errno;
        return fsync(dir_fd) < 0 ? -errno : 0; /* the rename must survive a crash too */
}
