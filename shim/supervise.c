/* The container's life as its shim sees it (shim.h): the runtime's create and start, the first process
 * watched by its pidfd, the exit recorded on disk before anything else (exit-record.h), then the
 * runtime's delete. Every runtime verb runs as a child watched by its pidfd on the loop, so the shim
 * answers its clients meanwhile. After containerd's runc shim (containerd/containerd:
 * runtime/v2/runc/container.go, pkg/process/init.go) and conmon (containers/conmon:src/conmon.c), which
 * both make the shim the subreaper and the container's parent. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "macro.h"
#include "pidfd-util.h"
#include "resident.h"
#include "shim.h"

#define PID_FILE "pid"
#define CALL_ERROR_MAX 512

struct RuntimeCall {
        RuntimeCall *next;
        Shim *shim;
        Child child;
        ev_io io;
        int err_fd; /* read end of its stderr; -EBADF for create, whose stderr is the container's */
        RuntimeDoneFn done;
        void *userdata;
};

static void on_stop_timeout(struct ev_loop *loop, ev_timer *w, int revents);

static const char *const state_names[_SHIM_STATE_MAX] = {
        [SHIM_STATE_CREATING] = "created",
        [SHIM_STATE_RUNNING] = "running",
        [SHIM_STATE_PAUSED] = "paused",
        [SHIM_STATE_STOPPED] = "stopped",
};

const char *shim_state_to_string(ShimState st) {
        return st >= 0 && st < _SHIM_STATE_MAX ? state_names[st] : NULL;
}

/* The last non-empty line of what fd holds now, into buf. */
static void read_last_line(int fd, char *buf, size_t size) {
        char chunk[CALL_ERROR_MAX * 4];
        ssize_t n;

        while ((n = read(fd, chunk, sizeof(chunk) - 1)) > 0) {
                char *end = chunk + n, *start;

                *end = '\0';
                while (end > chunk && (end[-1] == '\n' || end[-1] == '\r'))
                        *--end = '\0';
                if (end == chunk)
                        continue;
                start = memrchr(chunk, '\n', (size_t) (end - chunk));
                start = start ? start + 1 : chunk;
                snprintf(buf,
                         size,
                         "%.*s",
                         (int) (size - 1 < (size_t) (end - start) ? size - 1 : (size_t) (end - start)),
                         start);
        }
}

static void call_unlink(Shim *s, RuntimeCall *c) {
        for (RuntimeCall **p = &s->calls; *p; p = &(*p)->next)
                if (*p == c) {
                        *p = c->next;
                        return;
                }
}

/* The call's child is reaped (code, status); report and free it. */
static void call_finish(RuntimeCall *c, int code, int status) {
        Shim *s = c->shim;
        char error[CALL_ERROR_MAX] = "";

        ev_io_stop(s->loop, &c->io);
        call_unlink(s, c);
        if (c->err_fd >= 0)
                read_last_line(c->err_fd, error, sizeof(error));
        safe_close(c->err_fd);
        child_done(&c->child);
        if (c->done)
                c->done(s, code, status, error, c->userdata);
        free(c);
        /* the last runtime verb of a stopped container may be what the shim waited for */
        if (shim_done(s))
                ev_break(s->loop, EVBREAK_ALL);
}

static void call_reap(RuntimeCall *c) {
        int code, status;

        if (child_reap(&c->child, false, &code, &status) < 0)
                return; /* not yet (or reaped already: never, we are the only waiter) */
        call_finish(c, code, status);
}

static void on_call_exit(struct ev_loop *loop, ev_io *w, int revents) {
        call_reap(w->data);
}

static size_t strv_length(const char *const *v) {
        size_t n = 0;

        while (v && v[n])
                n++;
        return n;
}

static int call_spawn(Shim *s,
                      const char *verb,
                      const char *const *args,
                      const char *const *after_id,
                      int out_fd,
                      int err_fd,
                      RuntimeDoneFn done,
                      void *userdata) {
        size_t n_args = strv_length(args), n_after = strv_length(after_id), n = 0;
        _cleanup_free_ char **argv = NULL;
        _cleanup_close_ int err_r = -EBADF, err_w = -EBADF;
        RuntimeCall *c;
        int r;

        argv = calloc(1 + s->o->n_runtime_args + 1 + n_args + 1 + n_after + 1, sizeof(char *));
        c = calloc(1, sizeof(RuntimeCall));
        if (!argv || !c) {
                free(c);
                return -ENOMEM;
        }
        argv[n++] = (char *) s->o->runtime;
        for (size_t i = 0; i < s->o->n_runtime_args; i++)
                argv[n++] = s->o->runtime_args[i];
        argv[n++] = (char *) verb;
        for (size_t i = 0; i < n_args; i++)
                argv[n++] = (char *) args[i];
        argv[n++] = (char *) s->o->id;
        for (size_t i = 0; i < n_after; i++)
                argv[n++] = (char *) after_id[i];
        if (err_fd < 0) {
                int p[2];

                if (pipe2(p, O_CLOEXEC) < 0) {
                        free(c);
                        return -errno;
                }
                err_r = p[0];
                err_w = p[1];
                (void) fcntl(err_r, F_SETFL, O_NONBLOCK);
        }
        r = spawn_child(argv, -1, out_fd, err_fd >= 0 ? err_fd : err_w, &c->child);
        if (r < 0) {
                free(c);
                return r;
        }
        *c = (RuntimeCall){.next = s->calls,
                           .shim = s,
                           .child = c->child,
                           .err_fd = TAKE_FD(err_r),
                           .done = done,
                           .userdata = userdata};
        ev_io_init(&c->io, on_call_exit, c->child.pidfd, EV_READ);
        c->io.data = c;
        ev_io_start(s->loop, &c->io);
        s->calls = c;
        return 0;
}

int shim_runtime_call(Shim *s,
                      const char *verb,
                      const char *const *args,
                      const char *const *after_id,
                      RuntimeDoneFn done,
                      void *userdata) {
        return call_spawn(s, verb, args, after_id, -1, -1, done, userdata);
}

void shim_changed(Shim *s) {
        s->generation++;
        shim_bus_changed(s);
}

bool shim_done(const Shim *s) {
        return s->state == SHIM_STATE_STOPPED && s->delete_done && !ev_is_active(&s->linger) && !s->calls;
}

/* The starter learns how it went: "ok PID\n", or the error. Then the pipe closes. */
static void report_ready(Shim *s, const char *fmt, ...) _printf_(2, 3);
static void report_ready(Shim *s, const char *fmt, ...) {
        char msg[1024];
        va_list ap;
        int n;

        if (s->ready_fd < 0)
                return;
        va_start(ap, fmt);
        n = vsnprintf(msg, sizeof(msg) - 1, fmt, ap);
        va_end(ap);
        if (n < 0)
                n = 0;
        if ((size_t) n > sizeof(msg) - 2)
                n = (int) sizeof(msg) - 2;
        msg[n++] = '\n';
        (void) RETRY_ON_EINTR(write(s->ready_fd, msg, (size_t) n));
        s->ready_fd = safe_close(s->ready_fd);
}

static void on_deleted(Shim *s, int code, int status, const char *error, void *userdata) {
        s->delete_done = true;
        if (!(code == CLD_EXITED && status == 0))
                shim_log(s,
                         "runtime delete of container '%s' failed: %s, ignoring",
                         s->o->id,
                         error[0] ? error : "no message");
        if (shim_done(s))
                ev_break(s->loop, EVBREAK_ALL);
}

static void delete_container(Shim *s) {
        static const char *const args[] = {"--force", NULL};
        int r;

        r = shim_runtime_call(s, "delete", args, NULL, on_deleted, NULL);
        if (r < 0) {
                shim_log(s,
                         "failed to run the runtime's delete of container '%s': %s",
                         s->o->id,
                         strerror(-r));
                s->delete_done = true;
        }
}

/* Before the container ran: say why, undo what the runtime made, and end once that is done. */
static void fail_start(Shim *s, bool created, const char *fmt, ...) _printf_(3, 4);
static void fail_start(Shim *s, bool created, const char *fmt, ...) {
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        shim_log(s, "%s", msg);
        /* the starter hears it once nothing is left (tether-shim.c), so it may reuse the id at once */
        snprintf(s->fail_message, sizeof(s->fail_message), "%s", msg);
        s->exit_status = 1;
        s->state = SHIM_STATE_STOPPED;
        if (created)
                delete_container(s);
        else
                s->delete_done = true;
        if (shim_done(s))
                ev_break(s->loop, EVBREAK_ALL);
}

static void on_linger_end(struct ev_loop *loop, ev_timer *w, int revents) {
        Shim *s = w->data;

        if (shim_done(s))
                ev_break(loop, EVBREAK_ALL);
}

/* OOM kills while it ran: the count now against the count at start, read before the runtime's delete
 * removes the group (a removed group's count is lost: the containerd shim's miss). */
static bool oom_kill_grew(Shim *s) {
        uint64_t now;

        if (!s->cgroup || !s->have_oom_count || cgroup_oom_kill_count(s->cgroup, &now, NULL) < 0)
                return false;
        return now > s->oom_kills_at_start;
}

static void record_exit(Shim *s, int code, int status) {
        ExitRecord *r = &s->record;
        int k;

        (void) clock_gettime(CLOCK_REALTIME, &r->exited_at);
        if (exit_record_set_status(r, code, status) < 0) {
                shim_log(s, "container '%s': unexpected wait status %d/%d", s->o->id, code, status);
                return;
        }
        r->oom_killed = oom_kill_grew(s);
        r->oom_victim = exit_record_oom_victim(r->oom_killed, code, status);
        (void) exit_record_read_boot_id(r->boot_id);
        /* its last words into the log first: whoever sees the record finds the log whole (shimctl logs -f
         * stops there) */
        shim_io_drain(s);
        /* on disk before anyone is told (../shared/STYLE.md section 3) */
        k = exit_record_write(s->dir_fd, r);
        if (k < 0)
                shim_log(s,
                         "container '%s': failed to write %s: %s",
                         s->o->id,
                         EXIT_RECORD_FILE,
                         strerror(-k));
        s->state = SHIM_STATE_STOPPED;
        ev_timer_stop(s->loop, &s->stop_timer);
        shim_changed(s);
        shim_bus_exited(s);
        delete_container(s);
        ev_timer_set(&s->linger, s->o->linger, 0.);
        ev_timer_start(s->loop, &s->linger);
}

static void container_reap(Shim *s) {
        int code, status;

        if (child_reap(&s->container, false, &code, &status) < 0)
                return;
        ev_io_stop(s->loop, &s->container_io);
        record_exit(s, code, status);
}

static void on_container_exit(struct ev_loop *loop, ev_io *w, int revents) {
        container_reap(w->data);
}

/* The container's group, found from its first process, for the OOM count at its end and for Stats. None
 * is no error: a container may run without a cgroup of its own (--cgroup-manager disabled). The host's
 * layout was read while create ran (shim_start): only the group's lookup is between create and start. */
static void open_cgroup(Shim *s) {
        Cgroup *cg = NULL;

        if (!s->cgroup_host || cgroup_open_pid(s->cgroup_host, s->container.pid, &cg, NULL) < 0)
                return;
        s->cgroup = cg;
        s->have_oom_count = cgroup_oom_kill_count(cg, &s->oom_kills_at_start, NULL) >= 0;
}

/* The runtime's pid file names the first process, which is our child now that create has exited (we are
 * the subreaper): held by a pidfd, it cannot be reaped by anyone but us. */
static int adopt_container(Shim *s) {
        _cleanup_close_ int fd = -EBADF, pidfd = -EBADF;
        siginfo_t si = {};
        char buf[32] = "";
        ssize_t n;
        long pid;
        char *end;

        fd = openat(s->dir_fd, PID_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return n < 0 ? -errno : -ENODATA;
        errno = 0;
        pid = strtol(buf, &end, 10);
        if (errno != 0 || pid <= 1 || (*end != '\0' && *end != '\n'))
                return -EBADMSG;
        pidfd = pidfd_open_pid((pid_t) pid);
        if (pidfd < 0)
                return pidfd;
        /* not our child: someone else's process, or one reaped and its pid reused */
        if (waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
                return -errno;
        s->container = (Child){.pid = (pid_t) pid, .pidfd = TAKE_FD(pidfd)};
        ev_io_init(&s->container_io, on_container_exit, s->container.pidfd, EV_READ);
        s->container_io.data = s;
        ev_io_start(s->loop, &s->container_io);
        return 0;
}

static void on_started(Shim *s, int code, int status, const char *error, void *userdata) {
        int r;

        if (!(code == CLD_EXITED && status == 0)) {
                fail_start(s,
                           true,
                           "container '%s': the runtime's start failed: %s",
                           s->o->id,
                           error[0] ? error : "no message");
                return;
        }
        if (s->state == SHIM_STATE_CREATING)
                s->state = SHIM_STATE_RUNNING;
        r = shim_bus_open(s);
        if (r < 0)
                shim_log(s,
                         "container '%s': failed to serve its bus socket: %s, going on without",
                         s->o->id,
                         strerror(-r));
        shim_changed(s);
        shim_notify_ready(s);
        report_ready(s, "ok %d", (int) s->container.pid);
        /* The start is over: its code and data need not stay mapped for the container's life (resident.h).
         * After the answer, so that the starter does not wait for it. */
        (void) resident_drop_clean_image(NULL);
}

static void on_created(Shim *s, int code, int status, const char *error, void *userdata) {
        char detail[64];
        int r;

        shim_io_drain(s);
        if (!(code == CLD_EXITED && status == 0)) {
                snprintf(detail,
                         sizeof(detail),
                         "exit status %d",
                         code == CLD_EXITED ? status : 128 + status);
                fail_start(s,
                           false,
                           "container '%s': the runtime's create failed: %s",
                           s->o->id,
                           s->create_error[0] ? s->create_error : detail);
                return;
        }
        r = adopt_container(s);
        if (r < 0) {
                fail_start(s,
                           true,
                           "container '%s': cannot hold its first process from the runtime's pid file: %s",
                           s->o->id,
                           strerror(-r));
                return;
        }
        open_cgroup(s);
        /* from here the payload may run (and end before start's answer is in) */
        (void) clock_gettime(CLOCK_REALTIME, &s->record.started_at);
        r = shim_runtime_call(s, "start", NULL, NULL, on_started, NULL);
        if (r < 0)
                fail_start(s,
                           true,
                           "container '%s': cannot run the runtime's start: %s",
                           s->o->id,
                           strerror(-r));
}

int shim_start(Shim *s) {
        const char *const args[] = {"--bundle", s->o->bundle, "--pid-file", s->pid_file, NULL};
        int w[2] = {-EBADF, -EBADF}, r;

        ev_init(&s->linger, on_linger_end);
        s->linger.data = s;
        ev_init(&s->stop_timer, on_stop_timeout);
        s->stop_timer.data = s;
        s->record.id = s->o->id;
        r = shim_io_open(s, w);
        if (r < 0)
                return r;
        /* create's stdio becomes the container's: the container holds the write ends, we the read ends */
        r = call_spawn(s, "create", args, NULL, w[0], w[1], on_created, NULL);
        safe_close(w[0]);
        safe_close(w[1]);
        if (r < 0) /* a runtime not found, most often: the starter hears which */
                snprintf(s->fail_message,
                         sizeof(s->fail_message),
                         "container '%s': cannot run the runtime '%s': %s",
                         s->o->id,
                         s->o->runtime,
                         strerror(-r));
        /* the cgroup mounts' layout, read while create runs on the other CPU, off the start's path */
        if (r >= 0) /* none on failure: open_cgroup() then finds no group, which is no error */
                (void) cgroup_host_detect(&s->cgroup_host);
        return r;
}

static RuntimeCall *call_find(Shim *s, pid_t pid) {
        for (RuntimeCall *c = s->calls; c; c = c->next)
                if (c->child.pid == pid)
                        return c;
        return NULL;
}

void shim_reap_children(Shim *s) {
        for (;;) {
                siginfo_t si = {};
                RuntimeCall *c;

                if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
                        return;
                if (s->container.pidfd >= 0 && si.si_pid == s->container.pid) {
                        container_reap(s);
                        continue;
                }
                c = call_find(s, si.si_pid);
                if (c) {
                        call_reap(c);
                        continue;
                }
                /* an orphan of the container's, ours as the subreaper; while create runs, the first
                 * process may not be known yet: it must not be taken for one */
                if (s->state == SHIM_STATE_CREATING && s->container.pidfd < 0)
                        return;
                (void) waitpid(si.si_pid, NULL, WNOHANG);
        }
}

static void on_kill_done(Shim *s, int code, int status, const char *error, void *userdata) {
        /* the container may have exited meanwhile: then the runtime says so, and that is no failure */
        if (!(code == CLD_EXITED && status == 0) && s->state != SHIM_STATE_STOPPED)
                shim_log(s,
                         "container '%s': the runtime's kill failed: %s",
                         s->o->id,
                         error[0] ? error : "no message");
}

static void kill_all(Shim *s) {
        static const char *const all[] = {"--all", NULL}, *const sigkill[] = {"KILL", NULL};

        (void) shim_runtime_call(s, "kill", all, sigkill, on_kill_done, NULL);
        if (s->state == SHIM_STATE_PAUSED) { /* cgroup v1 frozen tasks die only once thawed */
                (void) shim_runtime_call(s, "resume", NULL, NULL, on_kill_done, NULL);
                s->state = SHIM_STATE_RUNNING;
        }
}

static void on_stop_timeout(struct ev_loop *loop, ev_timer *w, int revents) {
        Shim *s = w->data;

        if (s->state != SHIM_STATE_STOPPED)
                kill_all(s);
}

int shim_stop(Shim *s, double timeout) {
        static const char *const sigterm[] = {"TERM", NULL};

        if (s->state == SHIM_STATE_STOPPED || ev_is_active(&s->stop_timer))
                return 0;
        if (s->state == SHIM_STATE_PAUSED) {
                kill_all(s);
                return 0;
        }
        ev_timer_set(&s->stop_timer, timeout, 0.);
        ev_timer_start(s->loop, &s->stop_timer);
        return shim_runtime_call(s, "kill", NULL, sigterm, on_kill_done, NULL);
}
