#pragma once

/* shimctl's view of the containers: each one's shim reached on its socket (STATE/ID/bus) or, once the
 * shim is gone, its last record (STATE/ID/exit.json); never a hang and never a stale "running". */

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "id.h"

typedef struct Ctl {
        const char *state_dir;
        bool json;
        const char *shim; /* tether-shim: beside shimctl, else on PATH */
        sd_bus *bus; /* the system bus (or --bus ADDRESS) where tether-busd answers; NULL: the sockets */
} Ctl;

/* Where a container's object is: on the bus through tether-busd (dest set), or on its shim's socket. */
typedef struct CtlTarget {
        sd_bus *bus;
        char *path;
        const char *dest;
} CtlTarget;

void ctl_target_done(CtlTarget *t);

typedef struct ContainerInfo {
        char id[ID_LENGTH_MAX + 1];
        char state[16]; /* created, running, paused, stopped; "gone": its shim died without a record */
        bool live; /* a shim answers for it */
        uint32_t pid;
        int32_t exit_code; /* -1 until it exited */
        char exit_signal[24];
        bool core_dumped;
        bool oom_killed;
        char oom_victim[24];
        char bundle[PATH_MAX];
        char runtime[PATH_MAX];
        char log_path[PATH_MAX];
        char unit[256];
        uint64_t log_dropped;
        uint64_t started_usec;
        uint64_t exited_usec;
        uint64_t generation;
        uint32_t owner;
} ContainerInfo;

/* Whether a shim holds STATE/ID's lock (exclusively, for its life). Everyone else takes it shared, and only
 * for a moment: so no reader ever looks like a live shim to another. */
bool ctl_shim_alive(const Ctl *c, const char *id);
/* A connection to id's shim and its object path; -ESRCH if no shim serves it, -ENOENT if there is no such
 * container. */
int ctl_connect(const Ctl *c, const char *id, sd_bus **ret_bus, char **ret_path);
/* id's object: through tether-busd when c->bus is set, else its shim's socket (as ctl_connect()). */
int ctl_reach(const Ctl *c, const char *id, CtlTarget *ret);
/* Everything known of id: from its shim (through tether-busd, or its socket), else its record; -ENOENT if
 * there is no such container. */
int ctl_info(const Ctl *c, const char *id, ContainerInfo *ret);
/* Connects c->bus to the system bus (address NULL) or address, if tether-busd answers there: 1; 0 if it
 * does not (c->bus stays NULL); -errno if the bus cannot be reached. */
int ctl_bus_open(Ctl *c, const char *address);
/* Whether a call's error says the container is not there: tether-busd's NoSuchContainer, or sd-bus's
 * unknown object or interface (a shim's socket, an older tether-busd). */
bool ctl_error_is_no_such_container(const sd_bus_error *error);
/* Every container tether-busd publishes (GetManagedObjects), a new array of *ret_n. */
int ctl_bus_list(const Ctl *c, ContainerInfo **ret, size_t *ret_n);

/* One {sv} entry of the container's properties (GetAll's, or PropertiesChanged's) into info; the message
 * is inside the entry. */
int ctl_read_property(sd_bus_message *m, ContainerInfo *info);
/* The state, exit and times from id's exit.json; -ENOENT if there is none. */
int ctl_info_from_record(const Ctl *c, const char *id, ContainerInfo *info);
