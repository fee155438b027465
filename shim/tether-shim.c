/* tether-shim: the parent of one container (shim.h). Parses its options, takes STATE/ID, detaches from
 * its starter (who learns through a pipe whether the container runs, or the runtime's error), and runs
 * the loop: the container's life (supervise.c), its stdio (io.c), its object on STATE/ID/bus
 * (bus-server.c, bus-api.c). */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "cgroup.h"
#include "fd-util.h"
#include "id.h"
#include "log-journal.h"
#include "macro.h"
#include "shim.h"

#define DEFAULT_STATE_DIR "/run/tether-shim"
#define LOCK_FILE "lock"
#define LOG_FILE "ctr.log"
#define SHIM_LOG_FILE "shim.log"
#define SHIM_PID_FILE "shim.pid"

static const char usage_text[] =
        "Usage: tether-shim --id ID --bundle DIR [--runtime PATH] [--runtime-arg ARG]... [--state-dir DIR]\n"
        "                   [--log-driver file|journald|none] [--log-path FILE] [--log-max-size BYTES]\n"
        "                   [--log-max-files N] [--linger SECONDS] [--stop-timeout SECONDS]\n"
        "                   [--foreground [--ready-file FIFO] [--delegated] | --ready-fd FD]\n"
        "\n"
        "The parent of one container: runs RUNTIME create and start, keeps the container's stdout and\n"
        "stderr in its log, records how it ended in STATE/ID/exit.json, serves its status on STATE/ID/bus.\n"
        "Returns once the container runs (0), or with the runtime's error (1); --foreground stays.\n";

void shim_log(Shim *s, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        fputs("tether-shim: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

void shim_notify_ready(Shim *s) {
        (void) sd_notifyf(false, "READY=1\nSTATUS=container '%s' is running", s->o->id);
}

static int usage_error(const char *fmt, ...) _printf_(1, 2);
static int usage_error(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        fputs("tether-shim: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputs("\n", stderr);
        va_end(ap);
        fputs(usage_text, stderr);
        return 2;
}

static int parse_seconds(const char *s, double *ret) {
        char *end;
        double v;

        errno = 0;
        v = strtod(s, &end);
        if (errno != 0 || end == s || *end != '\0' || !(v >= 0) || v > 365 * 86400.)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_u64(const char *s, uint64_t *ret) {
        char *end;
        unsigned long long v;

        if (!s[0] || s[0] == '-')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0')
                return -EINVAL;
        *ret = v;
        return 0;
}

enum {
        OPT_ID = 0x100,
        OPT_BUNDLE,
        OPT_RUNTIME,
        OPT_RUNTIME_ARG,
        OPT_STATE_DIR,
        OPT_LOG_DRIVER,
        OPT_LOG_PATH,
        OPT_LOG_MAX_SIZE,
        OPT_LOG_MAX_FILES,
        OPT_LINGER,
        OPT_STOP_TIMEOUT,
        OPT_FOREGROUND,
        OPT_READY_FILE,
        OPT_DELEGATED,
        OPT_READY_FD,
};

static int parse_option(int c, const char *arg, ShimOptions *o) {
        uint64_t v;

        switch (c) {
        case OPT_ID:
                o->id = arg;
                return 0;
        case OPT_BUNDLE:
                o->bundle = arg;
                return 0;
        case OPT_RUNTIME:
                o->runtime = arg;
                return 0;
        case OPT_RUNTIME_ARG: {
                char **a = reallocarray(o->runtime_args, o->n_runtime_args + 1, sizeof(char *));
                if (!a)
                        return -ENOMEM;
                o->runtime_args = a;
                o->runtime_args[o->n_runtime_args++] = (char *) arg;
                return 0;
        }
        case OPT_STATE_DIR:
                o->state_dir = arg;
                return 0;
        case OPT_LOG_DRIVER:
                if (strcmp(arg, "file") == 0)
                        o->log_driver = LOG_DRIVER_FILE;
                else if (strcmp(arg, "journald") == 0)
                        o->log_driver = LOG_DRIVER_JOURNALD;
                else if (strcmp(arg, "none") == 0)
                        o->log_driver = LOG_DRIVER_NONE;
                else
                        return -EINVAL;
                return 0;
        case OPT_LOG_PATH:
                o->log_path = arg;
                return 0;
        case OPT_LOG_MAX_SIZE:
                return parse_u64(arg, &o->log_max_size);
        case OPT_LOG_MAX_FILES:
                if (parse_u64(arg, &v) < 0 || v == 0 || v > 1000)
                        return -EINVAL;
                o->log_max_files = (unsigned) v;
                return 0;
        case OPT_LINGER:
                return parse_seconds(arg, &o->linger);
        case OPT_STOP_TIMEOUT:
                return parse_seconds(arg, &o->stop_timeout);
        case OPT_FOREGROUND:
                o->foreground = true;
                return 0;
        case OPT_READY_FILE:
                o->ready_file = arg;
                return 0;
        case OPT_DELEGATED:
                o->delegated = true;
                return 0;
        case OPT_READY_FD:
                if (parse_u64(arg, &v) < 0 || v <= STDERR_FILENO || v > INT_MAX ||
                    fcntl((int) v, F_GETFD) < 0)
                        return -EINVAL;
                o->ready_fd = (int) v;
                return 0;
        }
        return -EINVAL;
}

static int parse_args(int argc, char **argv, ShimOptions *o) {
        static const struct option options[] = {
                {"id", required_argument, NULL, OPT_ID},
                {"bundle", required_argument, NULL, OPT_BUNDLE},
                {"runtime", required_argument, NULL, OPT_RUNTIME},
                {"runtime-arg", required_argument, NULL, OPT_RUNTIME_ARG},
                {"state-dir", required_argument, NULL, OPT_STATE_DIR},
                {"log-driver", required_argument, NULL, OPT_LOG_DRIVER},
                {"log-path", required_argument, NULL, OPT_LOG_PATH},
                {"log-max-size", required_argument, NULL, OPT_LOG_MAX_SIZE},
                {"log-max-files", required_argument, NULL, OPT_LOG_MAX_FILES},
                {"linger", required_argument, NULL, OPT_LINGER},
                {"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
                {"foreground", no_argument, NULL, OPT_FOREGROUND},
                {"ready-file", required_argument, NULL, OPT_READY_FILE},
                {"delegated", no_argument, NULL, OPT_DELEGATED},
                {"ready-fd", required_argument, NULL, OPT_READY_FD},
                {"help", no_argument, NULL, 'h'},
                {}};
        int c, longindex;

        while ((longindex = -1, c = getopt_long(argc, argv, ":h", options, &longindex)) >= 0) {
                if (c == 'h') {
                        fputs(usage_text, stdout);
                        return 1;
                }
                if (c == ':')
                        return usage_error("option '%s' needs an argument", argv[optind - 1]);
                if (c == '?')
                        return usage_error("unknown option '%s'", argv[optind - 1]);
                if (parse_option(c, optarg, o) < 0)
                        return usage_error("invalid value '%s' for '--%s'", optarg, options[longindex].name);
        }
        if (optind < argc)
                return usage_error("unexpected argument '%s'", argv[optind]);
        if (!o->id || !o->bundle)
                return usage_error("--id and --bundle are required");
        if (id_validate(o->id) < 0)
                return usage_error(
                        "invalid container id '%s': expected 1 to 128 of [A-Za-z0-9_.-], starting with a letter or digit",
                        o->id);
        if (o->foreground && o->ready_fd >= 0)
                return usage_error("--ready-fd and --foreground exclude each other");
        if (o->state_dir[0] != '/' || (o->log_path && o->log_path[0] != '/'))
                return usage_error("--state-dir and --log-path must be absolute paths");
        return 0;
}

/* STATE/ID, new, locked for as long as the shim lives: one shim per container, and an id whose record
 * still lies there (until `shimctl rm`) is not taken again. */
static int take_state_dir(const ShimOptions *o, int *ret_dir_fd) {
        _cleanup_close_ int state_fd = -EBADF, dir_fd = -EBADF, lock_fd = -EBADF;

        if (mkdir(o->state_dir, 0711) < 0 && errno != EEXIST)
                return fprintf(stderr, "tether-shim: cannot make state directory '%s': %m\n", o->state_dir),
                       -errno;
        state_fd = open(o->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (state_fd < 0)
                return fprintf(stderr, "tether-shim: cannot open state directory '%s': %m\n", o->state_dir),
                       -errno;
        if (mkdirat(state_fd, o->id, 0711) < 0) {
                int r = -errno;

                if (r == -EEXIST)
                        fprintf(stderr,
                                "tether-shim: container '%s' exists already in '%s' (remove it with shimctl rm)\n",
                                o->id,
                                o->state_dir);
                else
                        fprintf(stderr,
                                "tether-shim: container '%s': cannot make its state directory: %s\n",
                                o->id,
                                strerror(-r));
                return r;
        }
        /* The lock is taken before it is there to see: made as lock.new, locked, renamed. A reader (shimctl,
         * tether-busd) that opened "lock" at once and held it shared for a moment would otherwise make our
         * exclusive lock fail. */
        dir_fd = openat(state_fd, o->id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dir_fd >= 0)
                lock_fd = openat(
                        dir_fd, LOCK_FILE ".new", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (dir_fd < 0 || lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) < 0 ||
            renameat(dir_fd, LOCK_FILE ".new", dir_fd, LOCK_FILE) < 0) {
                int r = -errno;

                fprintf(stderr,
                        "tether-shim: container '%s': cannot lock its state directory: %s\n",
                        o->id,
                        strerror(-r));
                if (dir_fd >= 0)
                        (void) unlinkat(dir_fd, LOCK_FILE ".new", 0);
                (void) unlinkat(state_fd, o->id, AT_REMOVEDIR); /* ours: just made */
                return r;
        }
        TAKE_FD(lock_fd); /* held until we exit: shimctl sees a live shim by it */
        *ret_dir_fd = TAKE_FD(dir_fd);
        return 0;
}

/* A start that failed leaves nothing: the starter has the error. */
static void remove_state_dir(const ShimOptions *o, int dir_fd) {
        static const char *const files[] = {
                LOCK_FILE, "pid", LOG_FILE, SHIM_LOG_FILE, SHIM_PID_FILE, "bus", EXIT_RECORD_FILE};
        char path[PATH_MAX];

        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                (void) unlinkat(dir_fd, files[i], 0);
        snprintf(path, sizeof(path), "%s/%s", o->state_dir, o->id);
        (void) rmdir(path);
}

/* A session of its own, its stdio on /dev/null but stderr, which goes to STATE/ID/shim.log: killing the
 * starter, its session or its terminal reaches neither shim nor container. */
static int become_daemon(int dir_fd) {
        int null_fd, log_fd, r = 0;

        if (getsid(0) != getpid() && setsid() < 0)
                return -errno;
        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        log_fd = openat(dir_fd, SHIM_LOG_FILE, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(null_fd, STDOUT_FILENO) < 0 ||
            dup2(log_fd >= 0 ? log_fd : null_fd, STDERR_FILENO) < 0)
                r = -errno;
        /* a starter that closed our stdio gave them these very numbers: they are stdio now, kept */
        if (null_fd > STDERR_FILENO)
                close(null_fd);
        if (log_fd > STDERR_FILENO)
                close(log_fd);
        return r;
}

/* --ready-fd: shimctl spawned us in a session of our own (POSIX_SPAWN_SETSID) and reads the ready line
 * itself, which spares a fork on every container's start path. */
static int take_ready_fd(int dir_fd, int fd, int *ret_ready_fd) {
        int r;

        if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) /* the runtime and the container must not hold it */
                return -errno;
        r = become_daemon(dir_fd);
        if (r < 0)
                return r;
        *ret_ready_fd = fd;
        return 0;
}

/* The starter waits for one line on the pipe and exits with it: 0 for "ok PID", else 1 and the error on
 * stderr. The shim goes on as a daemon (become_daemon). */
static int detach(int dir_fd, int *ret_ready_fd) {
        char buf[1024];
        int p[2], r;
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid > 0) {
                close(p[1]);
                if (ready_line_read(p[0], buf, sizeof(buf)))
                        _exit(0);
                fprintf(stderr,
                        "tether-shim: %s",
                        buf[0] ? buf : "the shim ended before the container ran\n");
                _exit(1);
        }
        close(p[0]);
        r = become_daemon(dir_fd);
        if (r < 0)
                return r;
        *ret_ready_fd = p[1];
        return 0;
}

/* --foreground: the ready line to --ready-file (shimctl's FIFO, open for reading by then); without one,
 * none (sd_notify says READY=1, and errors are on stderr: stdout gets no diagnostics). */
static int open_ready(const ShimOptions *o) {
        int fd;

        if (!o->ready_file)
                return -EBADF;
        fd = open(o->ready_file, O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        return fd < 0 ? -errno : fd;
}

/* STATE/ID/shim.pid: who to signal (a `systemctl stop` by hand); the lock says whether it still lives. */
static void write_shim_pid(int dir_fd) {
        _cleanup_close_ int fd =
                openat(dir_fd, SHIM_PID_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);

        if (fd >= 0)
                (void) dprintf(fd, "%d\n", (int) getpid());
}

static void on_signal(struct ev_loop *loop, ev_io *w, int revents) {
        Shim *s = w->data;
        struct signalfd_siginfo si;

        while (read(w->fd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
                if (si.ssi_signo == SIGCHLD)
                        shim_reap_children(s);
                else if ((si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) &&
                         s->state == SHIM_STATE_STOPPED)
                        ev_timer_stop(loop, &s->linger); /* recorded already: no reason to linger */
                else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
                        /* systemctl stop, or a stop by hand: the container goes gracefully */
                        (void) shim_stop(s, s->o->stop_timeout);
        }
        if (shim_done(s))
                ev_break(loop, EVBREAK_ALL);
}

static int signals_open(void) {
        sigset_t mask;
        int fd;

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP); /* read and ignored: a lost terminal is no reason to go */
        sigaddset(&mask, SIGPIPE);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        return fd < 0 ? -errno : fd;
}

static int run(Shim *s) {
        _cleanup_close_ int sig_fd = -EBADF;
        ev_io sig_io;
        int r;

        sig_fd = signals_open();
        if (sig_fd < 0)
                return sig_fd;
        s->loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
        if (!s->loop)
                return -ENOMEM;
        ev_io_init(&sig_io, on_signal, sig_fd, EV_READ);
        sig_io.data = s;
        ev_io_start(s->loop, &sig_io);
        r = shim_start(s);
        if (r >= 0)
                ev_run(s->loop, 0);
        ev_io_stop(s->loop, &sig_io);
        return r;
}

static void shim_done_free(Shim *s) {
        shim_bus_close(s);
        shim_io_close(s);
        s->log = log_file_free(s->log);
        s->journal = log_journal_free(s->journal);
        s->cgroup = cgroup_free(s->cgroup);
        s->cgroup_host = cgroup_host_free(s->cgroup_host);
        child_done(&s->container);
        if (s->loop)
                ev_loop_destroy(s->loop);
}

static void shim_options_done(ShimOptions *o) {
        free(o->runtime_args);
}

int main(int argc, char **argv) {
        _cleanup_(shim_options_done) ShimOptions o = {
                .runtime = "tether",
                .state_dir = DEFAULT_STATE_DIR,
                .log_max_files = 1,
                .linger = 0,
                .stop_timeout = 10,
                .ready_fd = -EBADF,
        };
        Shim s = {.dir_fd = -EBADF,
                  .ready_fd = -EBADF,
                  .stdio = {-EBADF, -EBADF},
                  .container = CHILD_NULL,
                  .owner = getuid(),
                  .o = &o};
        _cleanup_free_ char *pid_file = NULL, *unit = NULL;
        char bundle[PATH_MAX], log_path[PATH_MAX];
        int r;

        if (stdio_ensure_open() < 0)
                return 1;
        r = parse_args(argc, argv, &o);
        if (r != 0)
                return r == 1 ? 0 : r;
        if (!realpath(o.bundle, bundle))
                return fprintf(stderr, "tether-shim: container '%s': bundle '%s': %m\n", o.id, o.bundle), 1;
        o.bundle = bundle;
        if (take_state_dir(&o, &s.dir_fd) < 0)
                return 1;
        if (asprintf(&pid_file, "%s/%s/pid", o.state_dir, o.id) < 0)
                return 1;
        s.pid_file = pid_file;
        if (!o.log_path && snprintf(log_path, sizeof(log_path), "%s/%s/%s", o.state_dir, o.id, LOG_FILE) <
                                   (int) sizeof(log_path))
                o.log_path = log_path;
        if (o.log_driver == LOG_DRIVER_JOURNALD) {
                r = log_journal_open(NULL, o.id, &s.journal);
                if (r < 0) {
                        fprintf(stderr,
                                "tether-shim: container '%s': cannot open the journal: %s\n",
                                o.id,
                                strerror(-r));
                        remove_state_dir(&o, s.dir_fd);
                        return 1;
                }
        }
        if (o.log_driver == LOG_DRIVER_FILE) {
                r = log_file_open(o.log_path, o.log_max_size, o.log_max_files, &s.log);
                if (r < 0) {
                        fprintf(stderr,
                                "tether-shim: container '%s': cannot open log '%s': %s\n",
                                o.id,
                                o.log_path,
                                strerror(-r));
                        remove_state_dir(&o, s.dir_fd);
                        return 1;
                }
        }
        if (o.foreground) {
                r = open_ready(&o);
                s.ready_fd = r >= 0 ? r : -EBADF;
                if (!o.ready_file)
                        r = 0;
        } else if (o.ready_fd >= 0)
                r = take_ready_fd(s.dir_fd, o.ready_fd, &s.ready_fd);
        else
                r = detach(s.dir_fd, &s.ready_fd);
        if (r < 0) {
                fprintf(stderr, "tether-shim: container '%s': cannot detach: %s\n", o.id, strerror(-r));
                s.log = log_file_free(s.log);
                s.journal = log_journal_free(s.journal);
                remove_state_dir(&o, s.dir_fd);
                return 1;
        }
        write_shim_pid(s.dir_fd);
        if (o.delegated) {
                _cleanup_free_ char *group = NULL;

                r = shim_delegate(&s, &group);
                if (r < 0)
                        shim_log(&s,
                                 "container '%s': cannot take the delegated cgroup: %s, going on without",
                                 o.id,
                                 strerror(-r));
                else
                        unit = strdup(strrchr(group, '/') + 1);
                s.unit = unit;
        }
        /* the container's orphans, and the container itself once the runtime's create exits, are ours */
        (void) prctl(PR_SET_CHILD_SUBREAPER, 1);
        r = run(&s);
        if (r < 0) {
                shim_log(&s, "container '%s': %s", o.id, strerror(-r));
                s.exit_status = 1;
        }
        shim_done_free(&s);
        if (s.ready_fd >= 0) /* never became ready */
                s.exit_status = 1;
        if (s.exit_status != 0 && s.record.exited_at.tv_sec == 0)
                remove_state_dir(&o, s.dir_fd);
        if (s.ready_fd >= 0)
                dprintf(s.ready_fd,
                        "%s\n",
                        s.fail_message[0] ? s.fail_message : "the shim failed before the container ran");
        safe_close(s.dir_fd);
        return s.exit_status;
}
