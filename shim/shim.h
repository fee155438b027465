#pragma once

/* tether-shim's state: one container, the runtime calls in flight, its stdio and log, its bus peers.
 * Shared by the shim's modules (supervise.c, io.c, bus-server.c, bus-api.c); one loop, no threads. */

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "exit-record.h"
#include "log-file.h"
#include "child.h"

typedef enum ShimState {
        SHIM_STATE_CREATING, /* the runtime's create or start runs; nothing is served yet */
        SHIM_STATE_RUNNING,
        SHIM_STATE_PAUSED,
        SHIM_STATE_STOPPED, /* exit.json is written */
        _SHIM_STATE_MAX,
        _SHIM_STATE_INVALID = -EINVAL,
} ShimState;

typedef enum LogDriver {
        LOG_DRIVER_FILE,
        LOG_DRIVER_JOURNALD,
        LOG_DRIVER_NONE,
        _LOG_DRIVER_MAX,
        _LOG_DRIVER_INVALID = -EINVAL,
} LogDriver;

typedef struct ShimOptions {
        const char *id;
        const char *bundle; /* absolute */
        const char *runtime;
        char **runtime_args; /* before the verb: --root DIR, --systemd-cgroup ... */
        size_t n_runtime_args;
        const char *state_dir; /* absolute; the container's is state_dir/id */
        LogDriver log_driver;
        const char *log_path; /* absolute; default state_dir/id/ctr.log */
        uint64_t log_max_size; /* 0: no rotation */
        unsigned log_max_files;
        double linger; /* seconds to answer after the exit */
        double stop_timeout; /* Stop's default before SIGKILL */
        bool foreground; /* no fork: under systemd, or a test's own child */
        int ready_fd; /* >= 0: the starter made our session and reads "ok PID" or the error here: no fork */
        const char
                *ready_file; /* with foreground: where "ok PID" or the error goes (a FIFO shimctl reads) */
        bool delegated; /* run as a service with Delegate=yes: the shim moves into a leaf (delegate.c) */
} ShimOptions;

typedef struct Shim Shim;
typedef struct BusServer BusServer;
typedef struct RuntimeCall RuntimeCall;

/* What the runtime's verbs come back with: waitid()'s code and status, and the last line it wrote to
 * stderr ("" if none). */
typedef void (*RuntimeDoneFn)(Shim *s, int code, int status, const char *error, void *userdata);

struct Shim {
        struct ev_loop *loop;
        const ShimOptions *o;
        int dir_fd; /* state_dir/id */
        char *pid_file; /* state_dir/id/pid, for the runtime's --pid-file */
        ShimState state;
        uint64_t generation; /* grows with every change a client can see */
        Child container; /* the first process, our child once the runtime's create exited */
        ev_io container_io;
        ExitRecord record;
        uint64_t oom_kills_at_start;
        bool have_oom_count;
        struct CgroupHost *cgroup_host; /* the container's view of the cgroup mounts (cgroups/cgroup.h) */
        struct Cgroup *cgroup; /* the container's groups, for the OOM count and Stats; NULL if none */
        int stdio[2]; /* read ends of the container's stdout and stderr pipes */
        ev_io stdio_io[2];
        LogFile *log;
        struct LogJournal *journal; /* the journald driver's, instead of log */
        bool log_dropping; /* the last write to the log failed: entries are being dropped */
        char create_error[512]; /* the last line of the container's stderr while create ran */
        RuntimeCall *calls; /* runtime calls in flight */
        bool delete_done; /* the runtime's delete after the exit came back */
        BusServer *bus;
        ev_timer linger;
        ev_timer stop_timer; /* Stop's SIGKILL after its timeout */
        uid_t owner; /* may Kill, Stop, Pause and Resume, as root may */
        char *unit; /* the systemd unit the shim runs as; NULL if none */
        int ready_fd; /* the starter's pipe until ready; -EBADF after */
        int exit_status; /* the shim's own: 0, or 1 if it failed before the container ran */
        char fail_message[1024]; /* why, for the starter */
};

/* tether-shim.c: diagnostics (stderr, the journal under systemd), readiness for systemd */
void shim_log(Shim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void shim_notify_ready(Shim *s);

/* bus-server.c: the container's object on state_dir/id/bus */
int shim_bus_open(Shim *s);
void shim_bus_close(Shim *s);
void shim_bus_changed(Shim *s); /* PropertiesChanged to every peer */
void shim_bus_exited(Shim *s); /* Wait calls get their answer */

/* delegate.c: moves the shim into <its group>/shim and enables its group's controllers for the
 * container's group beside it; *ret_group is the service's group. -EOPNOTSUPP off cgroup v2. */
int shim_delegate(Shim *s, char **ret_group);

/* supervise.c */
/* Runs the runtime's create, then start; the rest follows from the loop. */
int shim_start(Shim *s);
/* Something a client can see changed: Generation grows, PropertiesChanged goes out. */
void shim_changed(Shim *s);
/* RUNTIME [runtime args] VERB ARGS... ID AFTER_ID..., its stderr kept for done; both NULL-terminated or
 * NULL. */
int shim_runtime_call(Shim *s,
                      const char *verb,
                      const char *const *args,
                      const char *const *after_id,
                      RuntimeDoneFn done,
                      void *userdata);
/* SIGTERM now, SIGKILL to all after timeout seconds unless it exited; a paused container is killed at
 * once (frozen, it could not act on SIGTERM). */
int shim_stop(Shim *s, double timeout);
/* A SIGCHLD: reaps orphans, and tracked children through their owners. */
void shim_reap_children(Shim *s);
/* Whether the loop may end: the container is recorded, the runtime's delete came back, lingering is over. */
bool shim_done(const Shim *s);
const char *shim_state_to_string(ShimState st);

/* io.c */
/* The container's stdout and stderr pipes: the write ends for the runtime's create (closed by the caller
 * once create has them), the read ends watched into the log. */
int shim_io_open(Shim *s, int ret_write_ends[2]);
void shim_io_close(Shim *s);
/* Reads what is there now (create's end: the runtime's last error line). */
void shim_io_drain(Shim *s);
