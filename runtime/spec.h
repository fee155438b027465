#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The config.json that `tether spec` writes and that `tether run --rootfs` builds in memory: docker's
 * defaults (capabilities, masked and read-only paths, no_new_privs, a seccomp allow-list), adjusted by
 * the friendly flags. */

typedef enum SpecNetwork {
        SPEC_NETWORK_NONE, /* a new, empty network namespace (default) */
        SPEC_NETWORK_HOST, /* the host's */
        SPEC_NETWORK_PATH, /* join network_path */
} SpecNetwork;

typedef struct SpecOptions {
        const char *rootfs; /* root.path; "rootfs" by default */
        bool readonly;
        const char *hostname;
        char **env; /* extra K=V, NULL-terminated */
        bool has_user;
        unsigned uid, gid;
        const char *cwd;
        char **mounts; /* SRC:DST[:ro] */
        char **tmpfs; /* DST */
        SpecNetwork network;
        const char *network_path;
        char **cap_add; /* CAP_X or X, or ALL */
        char **cap_drop;
        const char *seccomp; /* "default" (NULL), "unconfined", or a file with a linux.seccomp object */
        bool tty;
        const char *init_path; /* --init: host path of tether-init to bind-mount and run as PID 1 */
        char **args; /* NULL: "sh" */
        bool has_memory; /* --memory: linux.resources.memory.limit, bytes */
        int64_t memory;
        double cpus; /* --cpus: cpu.quota per a period of 100000 µs; 0: not given */
        bool has_pids_limit; /* --pids-limit */
        int64_t pids_limit;
        const char *cgroup_parent; /* --cgroup-parent: cgroupsPath "PARENT/", the container's id below it */
        bool rootless; /* spec --rootless: runc's changes for a caller who is not root */
        uid_t rootless_uid; /* the caller's euid and egid, mapped to 0 */
        gid_t rootless_gid;
} SpecOptions;

/* Where --init puts tether-init inside the container: /dev is a tmpfs, so the image is left untouched. */
#define SPEC_INIT_PATH "/dev/tether-init"

/* Returns 0 and a new JSON object, or -errno with a message naming the bad value in *reterr_what. */
int spec_build(const SpecOptions *o, json_t **ret, const char **reterr_what);
