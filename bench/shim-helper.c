/* shim-helper: the C parts of bench/shim.sh, which compares container shims (tether-shim, conmon). Not a
 * test: run as root, by the script only. Times are CLOCK_MONOTONIC, printed in microseconds.
 *
 *   shim-helper start ID IN LOG MODE CMD... [+ CMD2...]
 *        Starts one container and prints how long it took, each "{}" in the arguments replaced by ID. stdin
 * is IN, stdout and stderr are appended to LOG (crun chowns its stdio; a detached container keeps it, so it
 * must not be a pipe of ours). MODE plain: run CMD, wait for it, then CMD2 if given (a bare runtime's create
 * + start). MODE conmon: as podman 4.3 does (libpod/oci_conmon_linux.go, createOCIContainer): CMD (conmon)
 * gets a sync pipe as fd 3 and a start pipe as fd 4
 *        (_OCI_SYNCPIPE=3, _OCI_STARTPIPE=4), one byte goes down the start pipe, conmon's first process
 *        is waited for, the container's pid is read from the sync pipe ({"data": PID}), then CMD2
 *        (RUNTIME start ID) runs. Fails (1) if any step fails.
 *   shim-helper exit DIR NAME PID
 *        Watches DIR with inotify, sends SIGKILL to PID, and prints how long until NAME appeared in DIR
 *        whole: renamed into it (tether-shim's exit.json, conmon's exit file through g_file_set_contents)
 *        or closed after writing.
 *   shim-helper event FILE ID PID
 *        For containerd-shim-runc-v2: FILE is the output of a running `ctr events`, which prints each event
 *        as "TIMESTAMP NAMESPACE TOPIC JSON" with the envelope's timestamp, the shim's clock when it
 *        published (runtime/v2/shim/publisher.go, containerd 1.6). Watches FILE with inotify, sends SIGKILL
 *        to PID, and prints two times: until the /tasks/exit line of container ID is in FILE, and until
 *        that event's timestamp (CLOCK_REALTIME, so only as good as the clock is steady).
 */

#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int fail(const char *what) {
        fprintf(stderr, "shim-helper: %s: %s\n", what, strerror(errno));
        return 1;
}

/* Forks CMD with stdio from IN and LOG; fd3 and fd4, if given, become its fds 3 and 4. */
static pid_t spawn(char **argv, const char *in, const char *log, int fd3, int fd4) {
        pid_t pid = fork();

        if (pid != 0)
                return pid;
        int i = open(in, O_RDONLY | O_CLOEXEC),
            o = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (i < 0 || o < 0 || dup2(i, 0) < 0 || dup2(o, 1) < 0 || dup2(o, 2) < 0)
                _exit(127);
        if (fd3 >= 0 && (dup2(fd3, 3) < 0 || dup2(fd4, 4) < 0))
                _exit(127);
        execvp(argv[0], argv);
        fprintf(stderr, "shim-helper: exec '%s': %s\n", argv[0], strerror(errno));
        _exit(127);
}

static int wait_ok(pid_t pid, const char *what) {
        int st;

        if (pid < 0)
                return fail(what);
        if (waitpid(pid, &st, 0) < 0)
                return fail(what);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                fprintf(stderr, "shim-helper: '%s' failed (status 0x%x)\n", what, st);
                return 1;
        }
        return 0;
}

/* ARG with every "{}" replaced by ID. */
static char *subst(const char *arg, const char *id) {
        size_t n = 0;
        char *out, *o;

        for (const char *p = arg; (p = strstr(p, "{}")); p += 2)
                n++;
        out = o = malloc(strlen(arg) + n * strlen(id) + 1);
        if (!out)
                abort();
        for (const char *p = arg, *q; *p; p = q + 2) {
                q = strstr(p, "{}");
                if (!q) {
                        strcpy(o, p);
                        return out;
                }
                memcpy(o, p, q - p);
                o = stpcpy(o + (q - p), id);
        }
        *o = 0;
        return out;
}

static int cmd_start(int argc, char **argv) {
        const char *id = argv[2], *in = argv[3], *log = argv[4], *mode = argv[5];
        char **cmd = argv + 6, **cmd2 = NULL;
        int conmon = strcmp(mode, "conmon") == 0;

        for (int i = 6; i < argc; i++) {
                if (strstr(argv[i], "{}"))
                        argv[i] = subst(argv[i], id);
                else if (strcmp(argv[i], "+") == 0) {
                        argv[i] = NULL;
                        cmd2 = argv + i + 1;
                }
        }
        if (conmon && !cmd2) {
                fprintf(stderr, "shim-helper: conmon needs '+ RUNTIME start ID'\n");
                return 2;
        }

        double t0 = now_us();
        if (!conmon) {
                if (wait_ok(spawn(cmd, in, log, -1, -1), cmd[0]) ||
                    (cmd2 && wait_ok(spawn(cmd2, in, log, -1, -1), cmd2[0])))
                        return 1;
        } else {
                int sync[2], start[2];
                char buf[256];
                size_t n = 0;

                if (pipe2(sync, O_CLOEXEC) < 0 || pipe2(start, O_CLOEXEC) < 0)
                        return fail("pipe");
                setenv("_OCI_SYNCPIPE", "3", 1);
                setenv("_OCI_STARTPIPE", "4", 1);
                pid_t pid = spawn(cmd, in, log, sync[1], start[0]);
                unsetenv("_OCI_SYNCPIPE");
                unsetenv("_OCI_STARTPIPE");
                close(sync[1]);
                close(start[0]);
                if (write(start[1], "0", 1) != 1)
                        return fail("start pipe");
                if (wait_ok(pid, cmd[0]))
                        return 1;
                while (n < sizeof(buf) - 1 && !memchr(buf, '}', n)) { /* {"data": PID} */
                        ssize_t k = read(sync[0], buf + n, sizeof(buf) - 1 - n);
                        if (k <= 0) {
                                fprintf(stderr, "shim-helper: conmon's sync pipe closed early\n");
                                return 1;
                        }
                        n += k;
                }
                buf[n] = 0;
                char *d = strstr(buf, "\"data\"");
                if (!d || atoi(d + 7 + strspn(d + 7, " :")) <= 0) {
                        fprintf(stderr, "shim-helper: conmon reported '%s'\n", buf);
                        return 1;
                }
                if (wait_ok(spawn(cmd2, in, log, -1, -1), cmd2[0]))
                        return 1;
                close(start[1]);
                close(sync[0]);
        }
        printf("%.1f\n", now_us() - t0);
        return 0;
}

static int cmd_exit(char **argv) {
        const char *dir = argv[2], *name = argv[3];
        pid_t pid = atoi(argv[4]);
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        int fd = inotify_init1(IN_CLOEXEC);

        if (fd < 0 || inotify_add_watch(fd, dir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
                return fail(dir);
        if (faccessat(AT_FDCWD, dir, F_OK, 0) < 0)
                return fail(dir);
        double t0 = now_us();
        if (kill(pid, SIGKILL) < 0)
                return fail("kill");
        for (;;) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                int r = poll(&p, 1, 10000);
                if (r == 0) {
                        fprintf(stderr, "shim-helper: no '%s' in '%s' after 10 s\n", name, dir);
                        return 1;
                }
                ssize_t len = read(fd, buf, sizeof(buf));
                if (len < 0)
                        return fail("inotify");
                for (char *q = buf; q < buf + len;) {
                        struct inotify_event *e = (struct inotify_event *) q;
                        if (e->len > 0 && strcmp(e->name, name) == 0) {
                                printf("%.1f\n", now_us() - t0);
                                return 0;
                        }
                        q += sizeof(*e) + e->len;
                }
        }
}

/* "2026-12-06 01:52:28.1234 +0000 UTC ..." (Go's time.Time.String(), UTC): µs since the epoch, or -1. */
static double parse_go_time(const char *s) {
        struct tm tm = {0};
        char *end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
        double frac = 0, scale = 0.1;

        if (!end)
                return -1;
        if (*end == '.')
                for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
                        frac += (*end - '0') * scale;
        if (strncmp(end, " +0000 ", 7) != 0)
                return -1;
        return (timegm(&tm) + frac) * 1e6;
}

/* The /tasks/exit line with WANT among the complete lines of BUF (N bytes), or NULL; the lines before it
 * are consumed, and without a match only the incomplete last line stays. */
static char *exit_line(char *buf, size_t *n, const char *want) {
        char *line = buf, *nl;

        buf[*n] = 0;
        while ((nl = strchr(line, '\n'))) {
                *nl = 0;
                if (strstr(line, " /tasks/exit ") && strstr(line, want))
                        return line;
                line = nl + 1;
        }
        *n -= line - buf;
        memmove(buf, line, *n + 1);
        return NULL;
}

static int cmd_event(char **argv) {
        const char *file = argv[2];
        pid_t pid = atoi(argv[4]);
        char want[256], buf[65536], ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        size_t n = 0;
        int in = inotify_init1(IN_CLOEXEC), fd = open(file, O_RDONLY | O_CLOEXEC);
        struct timespec rt;

        snprintf(want, sizeof(want), "\"container_id\":\"%s\"", argv[3]);
        if (in < 0 || fd < 0 || inotify_add_watch(in, file, IN_MODIFY) < 0 || lseek(fd, 0, SEEK_END) < 0)
                return fail(file);
        double t0 = now_us();
        clock_gettime(CLOCK_REALTIME, &rt);
        if (kill(pid, SIGKILL) < 0)
                return fail("kill");
        for (;;) {
                struct pollfd p = {.fd = in, .events = POLLIN};
                if (poll(&p, 1, 10000) == 0) {
                        fprintf(stderr, "shim-helper: no exit event of '%s' after 10 s\n", argv[3]);
                        return 1;
                }
                if (read(in, ev, sizeof(ev)) < 0)
                        return fail("inotify");
                /* All that is new: one IN_MODIFY may stand for many writes. */
                for (ssize_t k; (k = read(fd, buf + n, sizeof(buf) - 1 - n)) != 0;) {
                        if (k < 0)
                                return fail(file);
                        n += k;
                        char *line = exit_line(buf, &n, want);
                        if (line) {
                                double t1 = now_us(), ts = parse_go_time(line);
                                if (ts < 0) {
                                        fprintf(stderr, "shim-helper: no time in '%s'\n", line);
                                        return 1;
                                }
                                printf("%.1f %.1f\n", t1 - t0, ts - (rt.tv_sec * 1e6 + rt.tv_nsec / 1e3));
                                return 0;
                        }
                        if (n == sizeof(buf) - 1) /* a line longer than the buffer: not ours */
                                n = 0;
                }
        }
}

int main(int argc, char **argv) {
        if (argc >= 7 && strcmp(argv[1], "start") == 0)
                return cmd_start(argc, argv);
        if (argc == 5 && strcmp(argv[1], "exit") == 0)
                return cmd_exit(argv);
        if (argc == 5 && strcmp(argv[1], "event") == 0)
                return cmd_event(argv);
        fprintf(stderr,
                "usage: shim-helper start ID IN LOG plain|conmon CMD... [+ CMD2...]\n"
                "       shim-helper exit DIR NAME PID\n"
                "       shim-helper event FILE ID PID\n");
        return 2;
}
