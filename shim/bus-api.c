/* The container's object, io.tether.Shim1.Container (bus-api.h), as its shim serves it: state as
 * properties, actions as methods (../shared/STYLE.md section 6). Methods that change the container are
 * for root and the container's owner, checked from the peer's credentials; the runtime does the work, in
 * a child the loop watches, and the reply goes out when it is done. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus-api.h"
#include "bus-server.h"
#include "cgroup.h"
#include "log-journal.h"
#include "macro.h"
#include "shim.h"
#include "signal-name.h"

static uint64_t timespec_usec(const struct timespec *ts) {
        return (uint64_t) ts->tv_sec * 1000000 + (uint64_t) ts->tv_nsec / 1000;
}

static int get_state(sd_bus *bus,
                     const char *path,
                     const char *iface,
                     const char *property,
                     sd_bus_message *reply,
                     void *userdata,
                     sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", shim_state_to_string(((Shim *) userdata)->state));
}

static int get_pid(sd_bus *bus,
                   const char *path,
                   const char *iface,
                   const char *property,
                   sd_bus_message *reply,
                   void *userdata,
                   sd_bus_error *error) {
        Shim *s = userdata;

        return sd_bus_message_append(reply, "u", (uint32_t) (s->container.pid > 0 ? s->container.pid : 0));
}

static int get_exit(sd_bus *bus,
                    const char *path,
                    const char *iface,
                    const char *property,
                    sd_bus_message *reply,
                    void *userdata,
                    sd_bus_error *error) {
        Shim *s = userdata;
        const ExitRecord *r = &s->record;
        bool stopped = s->state == SHIM_STATE_STOPPED && r->exited_at.tv_sec != 0;
        char name[24] = "";

        if (strcmp(property, "ExitCode") == 0)
                return sd_bus_message_append(reply, "i", (int32_t) (stopped ? r->exit_code : -1));
        if (strcmp(property, "ExitSignal") == 0) {
                if (stopped && r->signal > 0)
                        signal_format(r->signal, name, sizeof(name));
                return sd_bus_message_append(reply, "s", name);
        }
        if (strcmp(property, "CoreDumped") == 0)
                return sd_bus_message_append(reply, "b", stopped && r->core_dumped);
        if (strcmp(property, "OOMKilled") == 0)
                return sd_bus_message_append(reply, "b", stopped && r->oom_killed);
        if (strcmp(property, "StartedAtUSec") == 0)
                return sd_bus_message_append(reply, "t", timespec_usec(&r->started_at));
        return sd_bus_message_append(reply, "t", stopped ? timespec_usec(&r->exited_at) : (uint64_t) 0);
}

static int get_log(sd_bus *bus,
                   const char *path,
                   const char *iface,
                   const char *property,
                   sd_bus_message *reply,
                   void *userdata,
                   sd_bus_error *error) {
        Shim *s = userdata;

        if (strcmp(property, "LogPath") == 0)
                return sd_bus_message_append(reply,
                                             "s",
                                             s->log       ? s->o->log_path
                                             : s->journal ? "journal"
                                                          : "");
        return sd_bus_message_append(reply,
                                     "t",
                                     s->log       ? log_file_dropped_entries(s->log)
                                     : s->journal ? log_journal_dropped_entries(s->journal)
                                                  : (uint64_t) 0);
}

static int get_string(sd_bus *bus,
                      const char *path,
                      const char *iface,
                      const char *property,
                      sd_bus_message *reply,
                      void *userdata,
                      sd_bus_error *error) {
        Shim *s = userdata;
        const char *v = strcmp(property, "Id") == 0        ? s->o->id
                        : strcmp(property, "Bundle") == 0  ? s->o->bundle
                        : strcmp(property, "Runtime") == 0 ? s->o->runtime
                                                           : (s->unit ?: "");

        return sd_bus_message_append(reply, "s", v);
}

static int get_u(sd_bus *bus,
                 const char *path,
                 const char *iface,
                 const char *property,
                 sd_bus_message *reply,
                 void *userdata,
                 sd_bus_error *error) {
        Shim *s = userdata;

        if (strcmp(property, "Owner") == 0)
                return sd_bus_message_append(reply, "u", (uint32_t) s->owner);
        return sd_bus_message_append(reply, "t", s->generation);
}

/* Mutating methods: root, or the uid that owns the container, from the peer's credentials (never from an
 * argument); credentials read racily from /proc are not trusted (systemd/systemd:src/shared/bus-polkit.c).
 */
static int check_access(Shim *s, sd_bus_message *m, sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        uint64_t augmented;
        uid_t uid;
        int r;

        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID | SD_BUS_CREDS_AUGMENT, &creds);
        if (r < 0)
                return r;
        augmented = sd_bus_creds_get_augmented_mask(creds);
        r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0 || (augmented & SD_BUS_CREDS_EUID))
                return sd_bus_error_setf(error,
                                         SHIM_BUS_ERROR_ACCESS_DENIED,
                                         "container '%s': the caller's uid cannot be established",
                                         s->o->id);
        if (uid != 0 && uid != s->owner)
                return sd_bus_error_setf(error,
                                         SHIM_BUS_ERROR_ACCESS_DENIED,
                                         "container '%s': only root and its owner (uid %u) may change it",
                                         s->o->id,
                                         (unsigned) s->owner);
        return 0;
}

static int not_running(Shim *s, sd_bus_error *error) {
        return sd_bus_error_setf(error,
                                 SHIM_BUS_ERROR_NOT_RUNNING,
                                 "container '%s' is not running (%s)",
                                 s->o->id,
                                 shim_state_to_string(s->state));
}

/* A runtime verb a method asked for came back: the reply, an error with the runtime's own words. */
static void on_runtime_reply(Shim *s, int code, int status, const char *error, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = userdata;
        const char *member = sd_bus_message_get_member(m);

        if (code == CLD_EXITED && status == 0) {
                if (strcmp(member, "Pause") == 0 || strcmp(member, "Resume") == 0) {
                        if (s->state != SHIM_STATE_STOPPED)
                                s->state = strcmp(member, "Pause") == 0 ? SHIM_STATE_PAUSED
                                                                        : SHIM_STATE_RUNNING;
                        shim_changed(s);
                }
                (void) sd_bus_reply_method_return(m, NULL);
                return;
        }
        (void) sd_bus_reply_method_errorf(m,
                                          SHIM_BUS_ERROR_RUNTIME_FAILED,
                                          "container '%s': the runtime's %s failed: %s",
                                          s->o->id,
                                          member,
                                          error[0] ? error : "no message");
}

static int runtime_for(
        Shim *s, sd_bus_message *m, const char *verb, const char *const *args, const char *const *after) {
        int r;

        r = shim_runtime_call(s, verb, args, after, on_runtime_reply, sd_bus_message_ref(m));
        if (r < 0) {
                sd_bus_message_unref(m);
                return r;
        }
        return 1; /* answered later */
}

static int method_kill(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Shim *s = userdata;
        const char *name;
        char number[16];
        int all, sig, r;

        r = sd_bus_message_read(m, "sb", &name, &all);
        if (r < 0)
                return r;
        sig = signal_from_string(name);
        if (sig < 0)
                return sd_bus_error_setf(error,
                                         SHIM_BUS_ERROR_INVALID_SIGNAL,
                                         "container '%s': unknown signal '%s'",
                                         s->o->id,
                                         name);
        r = check_access(s, m, error);
        if (r < 0)
                return r;
        if (s->state == SHIM_STATE_STOPPED)
                return not_running(s, error);
        snprintf(number, sizeof(number), "%d", sig);
        /* runc's "kill [--all] ID SIGNAL" */
        return runtime_for(s,
                           m,
                           "kill",
                           all ? (const char *const[]){"--all", NULL} : NULL,
                           (const char *const[]){number, NULL});
}

static int method_stop(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Shim *s = userdata;
        uint64_t timeout;
        int r;

        r = sd_bus_message_read(m, "t", &timeout);
        if (r < 0)
                return r;
        r = check_access(s, m, error);
        if (r < 0)
                return r;
        if (s->state == SHIM_STATE_STOPPED)
                return sd_bus_reply_method_return(m, NULL);
        r = shim_stop(s, timeout > 0 ? (double) timeout / 1e6 : s->o->stop_timeout);
        if (r < 0)
                return r;
        r = bus_server_add_waiter(s->bus, m); /* answered once the exit is recorded */
        return r < 0 ? r : 1;
}

static int method_pause_resume(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Shim *s = userdata;
        bool pause = strcmp(sd_bus_message_get_member(m), "Pause") == 0;
        int r;

        r = check_access(s, m, error);
        if (r < 0)
                return r;
        if (pause && s->state != SHIM_STATE_RUNNING)
                return not_running(s, error);
        if (!pause && s->state != SHIM_STATE_PAUSED)
                return sd_bus_error_setf(error,
                                         SHIM_BUS_ERROR_NOT_PAUSED,
                                         "container '%s' is not paused (%s)",
                                         s->o->id,
                                         shim_state_to_string(s->state));
        return runtime_for(s, m, pause ? "pause" : "resume", NULL, NULL);
}

int bus_api_reply_wait(Shim *s, sd_bus_message *m) {
        char name[16] = "";

        if (s->record.signal > 0)
                (void) signal_format(s->record.signal, name, sizeof(name));
        return sd_bus_reply_method_return(
                m, "isb", (int32_t) s->record.exit_code, name, (int) s->record.oom_killed);
}

static int method_wait(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Shim *s = userdata;
        int r;

        if (s->state == SHIM_STATE_STOPPED)
                return bus_api_reply_wait(s, m);
        r = bus_server_add_waiter(s->bus, m);
        return r < 0 ? r : 1;
}

static int append_entry(sd_bus_message *reply, const char *key, uint64_t v) {
        return sd_bus_message_append(reply, "{sv}", key, "t", v);
}

static int method_stats(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Shim *s = userdata;
        const char *what = NULL;
        CgroupStats st = {};
        int r;

        if (!s->cgroup)
                return sd_bus_error_setf(error,
                                         SD_BUS_ERROR_NOT_SUPPORTED,
                                         "container '%s' has no cgroup of its own",
                                         s->o->id);
        if (s->state == SHIM_STATE_STOPPED)
                return not_running(s, error);
        r = cgroup_get_stats(s->cgroup, &st, &what);
        if (r < 0)
                return sd_bus_error_set_errnof(
                        error, r, "container '%s': cannot read its cgroup: %s", s->o->id, what ?: "");
        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        if ((r = sd_bus_message_open_container(reply, 'a', "{sv}")) < 0 ||
            (r = append_entry(reply, "MemoryUsage", st.memory.usage)) < 0 ||
            (r = append_entry(reply, "MemoryLimit", st.memory.limit)) < 0 ||
            (r = append_entry(reply, "MemoryPeak", st.memory.peak)) < 0 ||
            (r = append_entry(reply, "OOMKills", st.memory.events_oom_kill)) < 0 ||
            (r = append_entry(reply, "CPUUsageUSec", st.cpu.usage_usec)) < 0 ||
            (r = append_entry(reply, "CPUThrottledUSec", st.cpu.throttled_usec)) < 0 ||
            (r = append_entry(reply, "PidsCurrent", st.pids.current)) < 0 ||
            (r = append_entry(reply, "PidsLimit", st.pids.limit)) < 0 ||
            (r = append_entry(reply, "IOReadBytes", st.io.read_bytes)) < 0 ||
            (r = append_entry(reply, "IOWriteBytes", st.io.write_bytes)) < 0 ||
            (r = sd_bus_message_close_container(reply)) < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* One getter for the shared table (bus-api.h): the property's own, by name. */
static int get_property(sd_bus *bus,
                        const char *path,
                        const char *iface,
                        const char *property,
                        sd_bus_message *reply,
                        void *userdata,
                        sd_bus_error *error) {
        static const struct {
                const char *name;
                sd_bus_property_get_t get;
        } getters[] = {
                {"Id", get_string},
                {"State", get_state},
                {"Pid", get_pid},
                {"ExitCode", get_exit},
                {"ExitSignal", get_exit},
                {"CoreDumped", get_exit},
                {"OOMKilled", get_exit},
                {"Bundle", get_string},
                {"Runtime", get_string},
                {"LogPath", get_log},
                {"LogDropped", get_log},
                {"Unit", get_string},
                {"Owner", get_u},
                {"StartedAtUSec", get_exit},
                {"ExitedAtUSec", get_exit},
                {"Generation", get_u},
        };

        for (size_t i = 0; i < ELEMENTSOF(getters); i++)
                if (strcmp(property, getters[i].name) == 0)
                        return getters[i].get(bus, path, iface, property, reply, userdata, error);
        return -ENOENT;
}

const sd_bus_vtable bus_api_container_vtable[] = {SHIM_BUS_CONTAINER_VTABLE(get_property,
                                                                            method_kill,
                                                                            method_stop,
                                                                            method_pause_resume,
                                                                            method_pause_resume,
                                                                            method_wait,
                                                                            method_stats)};
