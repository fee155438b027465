#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "macro.h"
#include "pidref.h"

/* A container's state on disk: ROOT/ID/state.json, written atomically (temp file, fsync, rename, fsync of
 * the directory), read and changed only under an exclusive flock() on ROOT/ID, so that concurrent verbs
 * on one id are serialised (runc keeps its state.json the same way). */

typedef enum ContainerStatus {
        CONTAINER_CREATING,
        CONTAINER_CREATED,
        CONTAINER_RUNNING,
        CONTAINER_STOPPED,
        CONTAINER_PAUSED, /* runc's: its cgroup is frozen (`tether pause`) */
        _CONTAINER_STATUS_MAX,
        _CONTAINER_STATUS_INVALID = -22, /* -EINVAL */
} ContainerStatus;

const char *container_status_to_string(ContainerStatus s);
ContainerStatus container_status_from_string(const char *s);

typedef struct ContainerState {
        char *id;
        char *bundle; /* absolute */
        char *rootfs; /* absolute */
        char *created; /* RFC 3339 with nanoseconds, UTC, as runc writes it */
        char *owner; /* "" unless rootless */
        PidRef init; /* the container's first process; pid 0 while creating */
        bool started; /* `start` has let the process exec the payload */
        char **annotations; /* key, value, key, value, ..., NULL */
        /* The container's cgroup, one group per hierarchy as /proc/PID/cgroup shows it: controller (v1
         * name, or "unified" for the cgroup2 mount), group, ..., NULL; NULL if it has none. */
        char **cgroup_paths;
        /* The file that says whether the group is frozen (cgroup_get_freeze_file()), read by
         * container_state_status(): paused is what the kernel says, whoever froze the group. NULL if the
         * container has no cgroup, or its state predates the file. */
        char *freeze_file;
        bool paused; /* the flag `tether pause` kept before freeze_file: only for such states */
        /* linux.resources as last set by `tether update` (the config's, each update merged in,
         * oci-resources-update.h); NULL until the first update. */
        json_t *resources;
} ContainerState;

ContainerState *container_state_free(ContainerState *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(ContainerState *, container_state_free);

/* The status as of now: a created or running container whose process is gone is stopped, one whose group
 * is frozen (by `tether pause` or anyone else) is paused. */
ContainerStatus container_state_status(const ContainerState *s);

/* The OCI state (runtime-spec runtime.md "State") as JSON text, plus runc's rootfs/created/owner. */
int container_state_to_oci_json(const ContainerState *s, ContainerStatus status, char **ret);

/* Opens (creating it and its parents with mode 0700 if needed) the state root directory. */
int state_root_open(const char *path, int *ret_fd);

/* Creates ROOT/ID and returns it locked; -EEXIST if the container exists. */
int state_dir_create(int root_fd, const char *id, int *ret_dir_fd);

/* Opens ROOT/ID and locks it; -ENOENT if there is no such container. */
int state_dir_open(int root_fd, const char *id, int *ret_dir_fd);

/* Removes ROOT/ID with everything in it (the caller holds its lock). */
int state_dir_remove(int root_fd, const char *id, int dir_fd);

int state_write(int dir_fd, const ContainerState *s);
int state_read(int dir_fd, ContainerState **ret);

/* Reads and parses the JSON file path below dir_fd; NULL with errno set, or with error filled in. */
json_t *json_load_at(int dir_fd, const char *path, json_error_t *error);

/* Formats the current time as runc does (RFC 3339, nanoseconds with trailing zeros trimmed, "Z"). */
int rfc3339_now(char **ret);
