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
} Ctl;

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
/* Everything known of id: from its shim, else its record; -ENOENT if there is no such container. */
int ctl_info(const Ctl *c, const char *id, ContainerInfo *ret);

/* One {sv} entry of the container's properties (GetAll's, or PropertiesChanged's) into info; the message
 * is inside the entry. */
int ctl_read_property(sd_bus_message *m, ContainerInfo *info);
/* The state, exit and times from id's exit.json; -ENOENT if there is none. */
int ctl_info_from_record(const Ctl *c, const char *id, ContainerInfo *info);
