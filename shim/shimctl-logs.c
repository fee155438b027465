/* shimctl logs: the container's output from its CRI log (log-file.c), each entry back on the stream it
 * came from, P entries joined to the line the next F entry ends. -f follows the file through rotations
 * until the shim has recorded the exit (exit.json appears) or is gone (it closes its lock), woken by
 * inotify, never by a timer. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "macro.h"
#include "shimctl.h"

#define LOG_NAME "ctr.log"

typedef struct Reader {
        int fd;
        char carry[16384]; /* an entry not yet whole */
        size_t n_carry;
} Reader;

/* "TS STREAM TAG TEXT": TEXT to the stream's file, with a newline for an F entry. */
static void print_entry(const char *line, size_t n) {
        const char *p = memchr(line, ' ', n), *stream, *tag;
        FILE *out;

        if (!p)
                return;
        stream = p + 1;
        if ((size_t) (stream - line) + 9 > n)
                return;
        out = strncmp(stream, "stderr ", 7) == 0 ? stderr : stdout;
        tag = stream + 7;
        fwrite(tag + 2, 1, n - (size_t) (tag + 2 - line), out);
        if (*tag == 'F')
                fputc('\n', out);
}

static void print_entries(Reader *r, const char *data, size_t n) {
        while (n > 0) {
                const char *nl = memchr(data, '\n', n);
                size_t len = nl ? (size_t) (nl - data) : n;

                if (!nl) { /* the rest of it comes with the next read */
                        if (r->n_carry + len <= sizeof(r->carry)) {
                                memcpy(r->carry + r->n_carry, data, len);
                                r->n_carry += len;
                        }
                        return;
                }
                if (r->n_carry > 0) {
                        if (r->n_carry + len <= sizeof(r->carry)) {
                                memcpy(r->carry + r->n_carry, data, len);
                                print_entry(r->carry, r->n_carry + len);
                        }
                        r->n_carry = 0;
                } else
                        print_entry(data, len);
                data += len + 1;
                n -= len + 1;
        }
}

static void read_new(Reader *r) {
        char buf[65536];
        ssize_t n;

        while ((n = read(r->fd, buf, sizeof(buf))) > 0)
                print_entries(r, buf, (size_t) n);
        fflush(stdout);
        fflush(stderr);
}

/* Whether the entry at e (n bytes to the end of the buffer) ends a line: an F entry. */
static bool entry_is_full(const char *e, size_t n) {
        const char *sp = memchr(e, ' ', n);

        return sp && (size_t) (sp - e) + 8 < n && sp[8] == 'F';
}

/* Where the last tail lines begin in the n bytes of entries at all (tail < 0: all of them). */
static size_t tail_start(const char *all, size_t n, long tail) {
        long lines = 0, skip;
        size_t i;

        for (i = 0; i < n;) {
                const char *nl = memchr(all + i, '\n', n - i);

                lines += entry_is_full(all + i, n - i);
                i = nl ? (size_t) (nl - all) + 1 : n;
        }
        if (tail < 0 || tail >= lines)
                return 0;
        skip = lines - tail;
        for (i = 0; i < n && skip > 0;) {
                const char *nl = memchr(all + i, '\n', n - i);

                skip -= entry_is_full(all + i, n - i);
                i = nl ? (size_t) (nl - all) + 1 : n;
        }
        return i;
}

/* The whole log, rotated files first (oldest first), or its last tail lines; r->fd is left on the
 * current file for following. */
static void print_existing(const char *dir, long tail, Reader *r) {
        _cleanup_free_ char *all = NULL;
        size_t n_all = 0, start;

        for (int i = 999; i >= 0; i--) {
                char path[PATH_MAX + 16], buf[65536];
                _cleanup_close_ int fd = -EBADF;
                ssize_t n;

                snprintf(path, sizeof(path), i == 0 ? "%s/" LOG_NAME : "%s/" LOG_NAME ".%d", dir, i);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                while ((n = read(fd, buf, sizeof(buf))) > 0) {
                        char *a = realloc(all, n_all + (size_t) n);

                        if (!a)
                                return;
                        all = a;
                        memcpy(all + n_all, buf, (size_t) n);
                        n_all += (size_t) n;
                }
                if (i == 0)
                        r->fd = TAKE_FD(fd);
        }
        start = tail_start(all, n_all, tail);
        print_entries(r, all + start, n_all - start);
        fflush(stdout);
        fflush(stderr);
}

static bool exists_at(const char *dir, const char *name) {
        char path[PATH_MAX + 64];

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return access(path, F_OK) == 0;
}

/* Waits for the next change in dir; true if the current log was rotated away (reopen it). */
static bool wait_change(int ino_fd) {
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        struct pollfd p = {.fd = ino_fd, .events = POLLIN};
        bool rotated = false;
        ssize_t n;

        if (poll(&p, 1, -1) < 0)
                return false;
        while ((n = read(ino_fd, buf, sizeof(buf))) > 0)
                for (char *q = buf; q < buf + n;) {
                        struct inotify_event *e = (struct inotify_event *) q;

                        if ((e->mask & (IN_MOVED_FROM | IN_CREATE)) && e->len > 0 &&
                            strcmp(e->name, LOG_NAME) == 0)
                                rotated = true;
                        q += sizeof(*e) + e->len;
                }
        return rotated;
}

int ctl_follow_logs(const Ctl *c, const char *id, long tail) {
        _cleanup_close_ int ino = -EBADF;
        Reader r = {.fd = -EBADF};
        char dir[PATH_MAX];
        bool last = false;

        snprintf(dir, sizeof(dir), "%s/%s", c->state_dir, id);
        ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (ino < 0 ||
            inotify_add_watch(
                    ino, dir, IN_MODIFY | IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
                return ctl_errno(-errno, id, "cannot watch its log");
        print_existing(dir, tail, &r);
        for (;;) {
                if (r.fd >= 0)
                        read_new(&r);
                if (last)
                        break;
                /* the exit is recorded once its output is in the log (supervise.c), or the shim is gone */
                if (exists_at(dir, "exit.json") || !ctl_shim_alive(c, id)) {
                        last = true;
                        continue;
                }
                if (wait_change(ino) || r.fd < 0) {
                        char path[PATH_MAX + 16];

                        if (r.fd >= 0)
                                read_new(&r); /* what the old file got before it moved */
                        safe_close(r.fd);
                        r.n_carry = 0;
                        snprintf(path, sizeof(path), "%s/" LOG_NAME, dir);
                        r.fd = open(path, O_RDONLY | O_CLOEXEC);
                }
        }
        safe_close(r.fd);
        return 0;
}

/* The journald driver's entries (log-journal.c): journalctl's, by the container's full id. */
static int journal_logs(const char *id, bool follow, long tail) {
        char match[256], lines[32];
        char *argv[8];
        int n = 0;

        snprintf(match, sizeof(match), "CONTAINER_ID_FULL=%s", id);
        snprintf(lines, sizeof(lines), "--lines=%ld", tail);
        argv[n++] = (char *) "journalctl";
        argv[n++] = (char *) "--output=cat";
        argv[n++] = (char *) "--no-pager";
        if (follow)
                argv[n++] = (char *) "--follow";
        if (tail >= 0)
                argv[n++] = lines;
        argv[n++] = match;
        argv[n] = NULL;
        fflush(stdout);
        execvp(argv[0], argv);
        return ctl_error("container '%s' logs to the journal, and journalctl cannot run: %m", id);
}

int verb_logs(const Ctl *c, int argc, char **argv) {
        static const char usage[] = "ID [-f] [--tail N]";
        static const struct option options[] = {{"follow", no_argument, NULL, 'f'},
                                                {"tail", required_argument, NULL, 'n'},
                                                {"help", no_argument, NULL, 'h'},
                                                {}};
        _cleanup_close_ int fd = -EBADF;
        Reader r = {.fd = -EBADF};
        bool follow = false;
        long tail = -1;
        char dir[PATH_MAX], *end;
        ContainerInfo info;
        const char *id;
        int o;

        while ((o = getopt_long(argc, argv, ":fn:h", options, NULL)) >= 0)
                if (o == 'f')
                        follow = true;
                else if (o == 'n') {
                        errno = 0;
                        tail = strtol(optarg, &end, 10);
                        if (errno || end == optarg || *end || tail < 0)
                                return ctl_usage("logs", usage, "invalid --tail '%s'", optarg);
                } else if (o == 'h')
                        return printf("Usage: shimctl logs %s\n", usage), 0;
                else
                        return ctl_usage("logs", usage, "unknown option '%s'", argv[optind - 1]);
        if (argc - optind != 1)
                return ctl_usage("logs", usage, "expected exactly one container id");
        id = argv[optind];
        if (id_validate(id) < 0)
                return ctl_errno(-EINVAL, id, "");
        snprintf(dir, sizeof(dir), "%s/%s", c->state_dir, id);
        if (access(dir, F_OK) < 0)
                return ctl_errno(-ENOENT, id, "");
        if (ctl_info(c, id, &info) >= 0 && strcmp(info.log_path, "journal") == 0)
                return journal_logs(id, follow, tail);
        if (follow)
                return ctl_follow_logs(c, id, tail);
        print_existing(dir, tail, &r);
        safe_close(r.fd);
        return 0;
}
