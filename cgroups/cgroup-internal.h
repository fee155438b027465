#pragma once

/* What the front (cgroup.c) and the backends share: the Cgroup context, the ops table and the file
 * helpers of cgroup-util.c. Not for users of the library. */

#include <limits.h>
#include <linux/bpf.h>
#include <stdio.h>

#include "cgroup.h"
#include "macro.h"

/* One backend per driver, after containers/crun:src/libcrun/cgroup-internal.h struct
 * libcrun_cgroup_manager. Each returns 0 or -errno and, on failure, has described what failed in
 * cg->what through cg_fail(). */
typedef struct CgroupOps {
        const char *name;
        /* Fails if the host cannot honour res (a controller not reachable), before anything is made. */
        int (*check)(Cgroup *cg, const CgroupResources *res);
        int (*create)(Cgroup *cg);
        /* Creates the group with pid in it and applies res, rolling back on failure; NULL: create, apply,
         * attach. */
        int (*create_pid)(Cgroup *cg, const CgroupResources *res, pid_t pid);
        int (*open)(Cgroup *cg);
        int (*apply)(Cgroup *cg, const CgroupResources *res);
        int (*attach)(Cgroup *cg, pid_t pid);
        /* The calling process moves itself in (cgroup_enter()): no cg_fail(), *reterr_path; NULL: the
         * driver cannot. */
        int (*enter)(const Cgroup *cg, const char **reterr_path);
        int (*freeze)(Cgroup *cg, bool frozen);
        int (*kill_all)(Cgroup *cg);
        int (*stats)(Cgroup *cg, CgroupStats *ret);
        int (*oom_watch_open)(Cgroup *cg);
        int (*oom_watch_drain)(Cgroup *cg, int fd);
        int (*oom_kill_count)(Cgroup *cg, uint64_t *ret);
        /* Removes the group; with rollback also the parents that create made. */
        int (*remove)(Cgroup *cg, bool rollback);
        /* Frees the backend's own state (cg->backend); NULL if it has none. */
        void (*done)(Cgroup *cg);
} CgroupOps;

DEFINE_TRIVIAL_CLEANUP_FUNC(CgroupHost *, cgroup_host_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(Cgroup *, cgroup_free);

/* A Cgroup of host with ops and no directory open yet (every fd -EBADF); NULL for OOM. */
Cgroup *cgroup_alloc(const CgroupHost *host, const CgroupOps *ops);

extern const CgroupOps cgroup_v1_ops;
extern const CgroupOps cgroup_v2_ops;

/* A group in one hierarchy. */
typedef struct CgroupDir {
        char *rel; /* in the hierarchy, as /proc/PID/cgroup shows it: "/own/tether/web" */
        char *path; /* in the file system: mount + rel */
        char *created_top; /* the topmost directory create made (for a rollback), NULL if none */
        int fd; /* O_DIRECTORY, once created or opened; -EBADF before */
} CgroupDir;

struct Cgroup {
        const CgroupHost *host;
        const CgroupOps *ops;
        CgroupDir v1[_CGROUP_CONTROLLER_MAX]; /* v1: per controller; co-mounted ones share a directory */
        CgroupDir unified; /* v2, and hybrid hosts' tracking group as systemd keeps one */
        unsigned enabled; /* v2: the controllers enabled for the group (CGROUP_MASK) */
        void *backend; /* the systemd backend's bus and unit (cgroup-systemd.c) */
        char what[PATH_MAX + 256]; /* what failed, for reterr_what */
};

/* Records what failed in cg->what and returns r. */
_printf_(3, 4) int cg_fail(Cgroup *cg, int r, const char *fmt, ...);

/* Files of a group, by dirfd. Values are written in one write(), as the kernel wants. */
int cg_write_at(int dfd, const char *file, const char *value);
int cg_write_fd(int fd, const char *value);
int cg_read_at(int dfd, const char *file, char **ret);
/* A number, or "max" as UINT64_MAX. */
int cg_read_u64_at(int dfd, const char *file, uint64_t *ret);
/* The value of "key N" lines (memory.stat, cpu.stat, memory.events): -ENOENT if key is missing. Pure. */
int cg_keyed_u64(const char *text, const char *key, uint64_t *ret);
/* Whether /proc/PID/cgroup (its contents) puts the process in group rel of the hierarchy of controller,
 * or of the unified hierarchy if controller is NULL. Pure. */
bool cg_proc_cgroup_in(const char *content, const char *controller, const char *rel);

/* The controllers (CGROUP_MASK, by v1 name) that the parts of res given need. */
unsigned cg_resources_needed(const CgroupResources *r);

/* Creates rel below mount, component by component; -EEXIST if the group itself exists. Sets
 * dir->created_top to the topmost directory it made, opens dir->fd. */
int cg_dir_create(CgroupDir *dir, const char *mount);
int cg_dir_open(CgroupDir *dir);
void cg_dir_done(CgroupDir *dir);
/* rmdir the group (and, with rollback, the parents up to created_top), retrying while it empties. */
int cg_dir_remove(CgroupDir *dir, bool rollback);
int cg_attach_at(int dfd, pid_t pid);
/* The calling process into dir: "0" written to file ("tasks" on v1, "cgroup.procs" on v2). */
int cg_enter_at(const CgroupDir *dir, const char *file, const char **reterr_path);

/* Kills everything listed in the group's cgroup.procs, by pidfds checked against /proc/PID/cgroup, and
 * waits for them to exit; again until the file is empty (cgroup-kill.c). freeze_fd, if valid, is a v1
 * freezer group frozen around the signals, so that nothing forks between reading and killing. */
int cg_kill_procs(Cgroup *cg, const CgroupDir *dir, const char *controller, int freeze_fd);
int cg_procs_count(int dfd, size_t *ret);

/* Waits until `key value` is in the group's cgroup.events (v2), bounded by timeout_ms. */
int cg_events_wait(int dfd, const char *key, const char *value, int timeout_ms);

/* Writes the v1 freezer state and waits for it (cgroup-v1-freezer.c). */
int cg_v1_freeze(int dfd, bool frozen);

/* Whether file (its name: "freezer.state" or "cgroup.events") with contents text says frozen
 * (cgroup-frozen.c). Pure; -EBADMSG for contents it cannot read, -EINVAL for another file. */
int cg_parse_frozen(const char *file, const char *text, bool *ret);

/* Parsing of stats files (cgroup-stats.c), pure, shared by both backends. */
void cg_stats_memory_stat(const char *text, bool v1, CgroupStats *st);
void cg_stats_cpu_stat(const char *text, CgroupStats *st);
void cg_stats_io_stat(const char *text, CgroupStats *st);
void cg_stats_blkio(const char *text, bool bytes, CgroupStats *st);
/* /proc/PID/net/dev into st->net, lo left out (cgroup-net.c); -EBADMSG for a line it cannot read. */
int cg_stats_net_dev(const char *text, CgroupStats *st);

/* The backends' parts, one file each. */
bool cg_v1_primary(const Cgroup *cg, CgroupController c); /* first controller of its hierarchy */
int cg_v1_apply(Cgroup *cg, const CgroupResources *res); /* cgroup-v1-resources.c */
int cg_v1_devices(Cgroup *cg, const CgroupResources *res); /* cgroup-v1-devices.c */
int cg_v1_stats(Cgroup *cg, CgroupStats *st); /* cgroup-stats.c */
int cg_v2_stats(Cgroup *cg, CgroupStats *st);
int cg_v1_oom_watch_open(Cgroup *cg); /* cgroup-oom.c */
int cg_v1_oom_watch_drain(Cgroup *cg, int fd);
int cg_v1_oom_kill_count(Cgroup *cg, uint64_t *ret);
int cg_v2_oom_watch_open(Cgroup *cg);
int cg_v2_oom_watch_drain(Cgroup *cg, int fd);
int cg_v2_oom_kill_count(Cgroup *cg, uint64_t *ret);
int cg_v2_apply(Cgroup *cg, const CgroupResources *res); /* cgroup-v2-resources.c */
int cg_v2_devices(Cgroup *cg, const CgroupResources *res); /* cgroup-v2-devices.c */
/* The device rules as a BPF_PROG_TYPE_CGROUP_DEVICE program (cgroup-bpf-devices.c), pure: -ERANGE with
 * *reterr_index for a major or minor the program cannot hold. */
int cg_devices_bpf_build(const CgroupDeviceRule *rules,
                         size_t n_rules,
                         struct bpf_insn **ret,
                         size_t *ret_n,
                         size_t *reterr_index);
/* v2 core operations, shared with the v1 backend's tracking group on hybrid hosts (cgroup-v2.c). */
int cg_v2_freeze(Cgroup *cg, const CgroupDir *dir, bool frozen);
/* Refuses, by name, the settings only cgroup v1 has. */
int cg_v2_refuse_v1_only(Cgroup *cg, const CgroupResources *res);
/* The controllers a cgroup.controllers or cgroup.subtree_control file lists. */
unsigned cg_v2_read_mask(int dfd, const char *file);
int cg_v2_kill(Cgroup *cg, const CgroupDir *dir);
