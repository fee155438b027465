#pragma once

/* tether's cgroup library: detects the host's cgroup layout, creates a container's group and applies its
 * limits through one ops table with a backend per driver (containers/crun:src/libcrun/cgroup-internal.h
 * struct libcrun_cgroup_manager): cgroup v2 (unified), cgroup v1 (legacy and hybrid hosts), and systemd
 * (a transient scope through the system bus, cgroup v2 hosts; libtether_cgroups_systemd, which alone
 * links libsystemd).
 *
 * Rules every backend keeps: only groups this library created (or a caller says tether created, through
 * cgroup_open()) are written to or removed; the caller's own group is never limited nor moved; a limit
 * the host cannot honour is an error that names the controller and the hierarchy, never silently
 * nothing. No globals, no logging, no printing: failures return -errno and, through reterr_what, a
 * description of what failed ("memory.limit_in_bytes in /sys/fs/cgroup/memory/x/y") that lives as long
 * as the Cgroup. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum CgroupMode {
        CGROUP_MODE_LEGACY, /* v1 hierarchies only */
        CGROUP_MODE_HYBRID, /* v1 hierarchies and a cgroup2 mount (systemd's /sys/fs/cgroup/unified) */
        CGROUP_MODE_UNIFIED, /* cgroup2 only */
        _CGROUP_MODE_MAX,
        _CGROUP_MODE_INVALID = -EINVAL,
} CgroupMode;

/* Controllers by their v1 name; CGROUP_CONTROLLER_BLKIO is "io" on v2. cpuacct, devices and freezer have
 * no v2 controller: cpu.stat, eBPF programs and cgroup.freeze are core there. */
typedef enum CgroupController {
        CGROUP_CONTROLLER_CPU,
        CGROUP_CONTROLLER_CPUACCT,
        CGROUP_CONTROLLER_CPUSET,
        CGROUP_CONTROLLER_MEMORY,
        CGROUP_CONTROLLER_PIDS,
        CGROUP_CONTROLLER_BLKIO,
        CGROUP_CONTROLLER_DEVICES,
        CGROUP_CONTROLLER_FREEZER,
        CGROUP_CONTROLLER_HUGETLB,
        CGROUP_CONTROLLER_NET_CLS,
        CGROUP_CONTROLLER_NET_PRIO,
        CGROUP_CONTROLLER_RDMA,
        CGROUP_CONTROLLER_MISC,
        _CGROUP_CONTROLLER_MAX,
        _CGROUP_CONTROLLER_INVALID = -EINVAL,
} CgroupController;

#define CGROUP_MASK(c) (1U << (c))

const char *cgroup_mode_to_string(CgroupMode m);
const char *cgroup_controller_to_string(CgroupController c); /* the v1 name */
const char *cgroup_controller_to_v2_string(CgroupController c); /* NULL if v2 has no such controller */
CgroupController cgroup_controller_from_string(const char *s); /* v1 or v2 name */

/* Where one v1 hierarchy is mounted and which group of it the caller is in. Co-mounted controllers
 * ("cpu,cpuacct") share the same strings. */
typedef struct CgroupHierarchy {
        char *mount; /* "/sys/fs/cgroup/memory"; NULL if the controller has no v1 hierarchy */
        char *root; /* the group the mount shows, "/" unless bind-mounted from a subtree */
        char *own; /* the caller's group, as /proc/self/cgroup shows it: "/process_api/x" */
} CgroupHierarchy;

typedef struct CgroupHost {
        CgroupMode mode;
        CgroupHierarchy v1[_CGROUP_CONTROLLER_MAX];
        CgroupHierarchy unified; /* mount NULL on legacy hosts; own from "0::" of /proc/self/cgroup */
        unsigned unified_available; /* CGROUP_MASK()s of the caller's group's cgroup.controllers */
        unsigned unified_enabled; /* ... and of its cgroup.subtree_control: usable below it */
} CgroupHost;

/* Parses /proc/self/mountinfo and /proc/self/cgroup (their contents, NUL-terminated). Pure: the v2
 * controller masks stay 0 (they live in files). -ENOMEDIUM if no cgroup file system is mounted. */
int cgroup_host_parse(const char *mountinfo, const char *self_cgroup, CgroupHost **ret);
/* The above for this process, plus the unified masks read from its cgroup2 group. */
int cgroup_host_detect(CgroupHost **ret);
/* The same as seen by process pid: its groups are the "own" ones (pid must stay unreaped meanwhile, as a
 * shim's container stays until it reaps it). */
int cgroup_host_detect_pid(pid_t pid, CgroupHost **ret);
CgroupHost *cgroup_host_free(CgroupHost *h);

/* Whether c has a v1 hierarchy of its own (or a co-mounted one). */
bool cgroup_host_has_v1(const CgroupHost *h, CgroupController c);

/* linux.resources as plain data; the library never frees any of it. has_* flags mark what was given;
 * -1 is "unlimited" (max) in the signed limits. */
typedef struct CgroupDeviceRule {
        bool allow;
        char type; /* 'a', 'c' or 'b' */
        int64_t major; /* -1: any */
        int64_t minor;
        const char *access; /* a non-empty subset of "rwm" */
} CgroupDeviceRule;

typedef struct CgroupWeightDevice {
        int64_t major;
        int64_t minor;
        bool has_weight;
        uint16_t weight;
        bool has_leaf_weight;
        uint16_t leaf_weight;
} CgroupWeightDevice;

typedef struct CgroupThrottleDevice {
        int64_t major;
        int64_t minor;
        uint64_t rate;
} CgroupThrottleDevice;

typedef struct CgroupHugepageLimit {
        const char *page_size; /* "2MB", "1GB", "64KB" */
        uint64_t limit;
} CgroupHugepageLimit;

typedef struct CgroupRdmaLimit {
        const char *device; /* "mlx5_1" */
        bool has_hca_handles;
        uint32_t hca_handles;
        bool has_hca_objects;
        uint32_t hca_objects;
} CgroupRdmaLimit;

typedef struct CgroupNetPriority {
        const char *interface;
        uint32_t priority;
} CgroupNetPriority;

typedef struct CgroupKeyValue {
        const char *key;
        const char *value;
} CgroupKeyValue;

typedef enum CgroupThrottle {
        CGROUP_THROTTLE_READ_BPS,
        CGROUP_THROTTLE_WRITE_BPS,
        CGROUP_THROTTLE_READ_IOPS,
        CGROUP_THROTTLE_WRITE_IOPS,
        _CGROUP_THROTTLE_MAX,
        _CGROUP_THROTTLE_INVALID = -EINVAL,
} CgroupThrottle;

typedef struct CgroupResources {
        bool has_memory_limit;
        int64_t memory_limit;
        bool has_memory_reservation;
        int64_t memory_reservation;
        bool has_memory_swap;
        int64_t memory_swap; /* memory + swap, as OCI and v1 count it */
        bool has_memory_kernel;
        int64_t memory_kernel;
        bool has_memory_kernel_tcp;
        int64_t memory_kernel_tcp;
        bool has_memory_swappiness;
        uint64_t memory_swappiness;
        bool memory_disable_oom_killer;

        bool has_cpu_shares;
        uint64_t cpu_shares;
        bool has_cpu_quota;
        int64_t cpu_quota; /* µs per period */
        bool has_cpu_period;
        uint64_t cpu_period; /* µs */
        bool has_cpu_burst;
        uint64_t cpu_burst;
        bool has_cpu_realtime_runtime;
        int64_t cpu_realtime_runtime;
        bool has_cpu_realtime_period;
        uint64_t cpu_realtime_period;
        bool has_cpu_idle;
        int64_t cpu_idle;
        const char *cpu_cpus; /* "0-3,7"; NULL if not given */
        const char *cpu_mems;

        bool has_pids_limit;
        int64_t pids_limit;

        bool has_blkio_weight;
        uint16_t blkio_weight; /* 10..1000 */
        bool has_blkio_leaf_weight;
        uint16_t blkio_leaf_weight;
        const CgroupWeightDevice *blkio_weight_devices;
        size_t n_blkio_weight_devices;
        const CgroupThrottleDevice *blkio_throttle[_CGROUP_THROTTLE_MAX];
        size_t n_blkio_throttle[_CGROUP_THROTTLE_MAX];

        const CgroupHugepageLimit *hugepage_limits;
        size_t n_hugepage_limits;

        bool has_network_class_id;
        uint32_t network_class_id;
        const CgroupNetPriority *network_priorities;
        size_t n_network_priorities;

        const CgroupRdmaLimit *rdma;
        size_t n_rdma;

        const CgroupKeyValue *unified;
        size_t n_unified;

        bool has_devices; /* devices given at all: the rules replace the group's whole list */
        const CgroupDeviceRule *devices;
        size_t n_devices;
} CgroupResources;

/* Statistics, in one struct for every driver. UINT64_MAX is "max" (no limit) in the limits. */
#define CGROUP_STATS_HUGETLB_MAX 8
#define CGROUP_STATS_NET_MAX 32 /* interfaces; more are left out */

typedef struct CgroupStats {
        struct {
                uint64_t usage; /* bytes */
                uint64_t limit;
                uint64_t peak; /* max_usage_in_bytes on v1, memory.peak on v2 (0 where missing) */
                uint64_t swap_usage; /* memsw usage minus usage on v1 */
                uint64_t failcnt; /* v1 only */
                uint64_t anon; /* memory.stat: anon (v1 total_rss) */
                uint64_t file; /* file (v1 total_cache) */
                uint64_t kernel; /* kernel (v1 kmem usage) */
                uint64_t shmem;
                uint64_t pgfault;
                uint64_t pgmajfault;
                uint64_t events_high; /* memory.events; on v1 only oom_kill */
                uint64_t events_max;
                uint64_t events_oom;
                uint64_t events_oom_kill;
        } memory;
        struct {
                uint64_t usage_usec;
                uint64_t user_usec;
                uint64_t system_usec;
                uint64_t nr_periods;
                uint64_t nr_throttled;
                uint64_t throttled_usec;
        } cpu;
        struct {
                uint64_t current;
                uint64_t limit;
        } pids;
        struct {
                uint64_t read_bytes; /* over all devices */
                uint64_t write_bytes;
                uint64_t read_ios;
                uint64_t write_ios;
        } io;
        struct {
                char page_size[16];
                uint64_t usage;
                uint64_t peak;
                uint64_t failcnt;
        } hugetlb[CGROUP_STATS_HUGETLB_MAX];
        size_t n_hugetlb;
        /* The counters of the container's network namespace, by interface, lo left out: filled by
         * cgroup_get_net_stats(), not cgroup_get_stats() (a namespace is no part of a cgroup). */
        struct {
                char name[16]; /* IFNAMSIZ */
                uint64_t rx_bytes;
                uint64_t rx_packets;
                uint64_t rx_errors;
                uint64_t rx_dropped;
                uint64_t tx_bytes;
                uint64_t tx_packets;
                uint64_t tx_errors;
                uint64_t tx_dropped;
        } net[CGROUP_STATS_NET_MAX];
        size_t n_net;
} CgroupStats;

/* Resolves linux.cgroupsPath against the caller's own group own: absolute paths stay, relative ones go
 * below own (opencontainers/runc:libcontainer/cgroups/fs/paths.go subsysPath; runc's v2 driver takes the
 * parent of own instead, which would make us write to a group we do not own), NULL or "" is
 * own/tether/default_name. "." and empty components go; ".." is refused (-EINVAL), as is a path that
 * names own or one of its ancestors (it would not be ours). Pure. */
int cgroup_path_resolve(const char *own, const char *spec, const char *default_name, char **ret);

/* Checks resources without touching the host: ranges, lists, names. Pure; -EINVAL or -ERANGE with
 * *reterr_what naming the field ("memory.limit", "unified key 'a/b'"), in buf (buf_size bytes). */
int cgroup_resources_check(const CgroupResources *res, char *buf, size_t buf_size, const char **reterr_what);

/* Conversions (pure), where v2 takes other units than OCI's v1 ones. */
uint64_t cgroup_cpu_shares_to_weight(uint64_t shares);
int cgroup_memory_swap_to_v2(int64_t memory_swap, int64_t memory, int64_t *ret);
uint64_t cgroup_blkio_weight_to_io_weight(uint16_t weight);
/* "max" for -1, else the number; buf of at least 24 bytes. */
const char *cgroup_format_limit(int64_t v, char *buf, size_t size);
/* cpu.max from what was given, keeping what was not: "QUOTA PERIOD"; "QUOTA" (or "max") alone when
 * period is 0, which keeps the group's period; "CURRENT PERIOD" with the quota of current (cpu.max's
 * contents; NULL: "max") when no quota is given (0 is none). -EINVAL if neither is given, -EBADMSG for
 * a current it cannot read. */
int cgroup_format_cpu_max(
        bool has_quota, int64_t quota, uint64_t period, const char *current, char *buf, size_t size);

/* The systemd driver's pure parts (cgroup-systemd-props.c). linux.cgroupsPath "slice:prefix:name" (runc's
 * format; NULL or "" is system.slice:tether:default_name, an empty slice system.slice) to the slice and the
 * scope "prefix-name.scope": -EINVAL (or -EOPNOTSUPP for a name ending in .slice, -ENAMETOOLONG) with a
 * static *reterr_what naming the part. */
int cgroup_systemd_path_parse(const char *spec,
                              const char *default_name,
                              char **ret_slice,
                              char **ret_unit,
                              const char **reterr_what);
/* "a-b.slice" to its group, "/a.slice/a-b.slice"; "-.slice" to "/". -EINVAL if not a slice's name. */
int cgroup_systemd_expand_slice(const char *slice, char **ret);
/* CPUQuotaPerSecUSec (UINT64_MAX: none), rounded up to 10 ms as systemd keeps it. */
uint64_t cgroup_systemd_cpu_quota_per_sec(bool has_quota, int64_t quota, uint64_t period);
/* "0-3,7" to AllowedCPUs='s byte array. */
int cgroup_systemd_cpuset_to_bits(const char *list, uint8_t **ret, size_t *ret_n);
/* An allow rule to DeviceAllow= paths: buf, and buf2 for type 'a''s block half ("" if none). */
int cgroup_systemd_device_allow(const CgroupDeviceRule *rule, char *buf, char *buf2, size_t size);

typedef struct Cgroup Cgroup;

/* A container's group at path_spec (see cgroup_path_resolve()) on host, which must outlive it. Touches
 * nothing. */
int cgroup_new(const CgroupHost *host, const char *path_spec, const char *name, Cgroup **ret);
Cgroup *cgroup_free(Cgroup *cg);
/* The same group found again from where cgroup_get_group() said it was: groups[c] for each v1 hierarchy
 * of host (NULL where the group has none), unified_group in the cgroup2 mount (NULL if none). Each is
 * absolute, as /proc/PID/cgroup shows it. Touches nothing; cgroup_open() next. */
int cgroup_new_at(const CgroupHost *host,
                  const char *const groups[_CGROUP_CONTROLLER_MAX],
                  const char *unified_group,
                  Cgroup **ret);

/* The groups process pid is in (it must stay unreaped meanwhile), found again as cgroup_new_at() does and
 * opened: a shim watches its container's OOM kills and stats so. host is the caller's. -EINVAL if pid
 * shares a group with the caller (or one above it): that is no container's own. Touches nothing. */
int cgroup_open_pid(const CgroupHost *host, pid_t pid, Cgroup **ret, const char **reterr_what);

/* The group's path in the hierarchy the driver tracks it by (the unified one where there is one). */
const char *cgroup_get_path(const Cgroup *cg);
const char *cgroup_get_driver(const Cgroup *cg);
/* The group in the hierarchy of v1 controller c, or, for _CGROUP_CONTROLLER_INVALID, in the cgroup2
 * mount, as /proc/PID/cgroup shows it ("/own/tether/web"); NULL if the host has no such hierarchy. */
const char *cgroup_get_group(const Cgroup *cg, CgroupController c);

/* The systemd driver (libtether_cgroups_systemd): the container's group is the transient scope that
 * path_spec names (see cgroup_systemd_path_parse()) on a cgroup v2 host. Touches nothing; bad input
 * fails here, with a static *reterr_what naming the part. Create it with cgroup_create_pid(): systemd
 * makes no scope without a process. */
int cgroup_new_systemd(const CgroupHost *host,
                       const char *path_spec,
                       const char *name,
                       Cgroup **ret,
                       const char **reterr_what);

/* Creates the group (it must not exist: -EEXIST) and applies res; on failure removes what it created.
 * The systemd driver refuses it (-EOPNOTSUPP): use cgroup_create_pid(). */
int cgroup_create(Cgroup *cg, const CgroupResources *res, const char **reterr_what);
/* Creates the group with pid in it, and applies res: for every driver (a driver that makes the group
 * around its first process, as systemd does a scope, needs this one). */
int cgroup_create_pid(Cgroup *cg, const CgroupResources *res, pid_t pid, const char **reterr_what);
/* Opens a group an earlier cgroup_create() made, for the calls below. */
int cgroup_open(Cgroup *cg, const char **reterr_what);
int cgroup_update(Cgroup *cg, const CgroupResources *res, const char **reterr_what);
int cgroup_attach(Cgroup *cg, pid_t pid, const char **reterr_what);
/* Moves the calling process into the group cgroup_create() made: for a container's first process
 * between clone() and execve(), which must be single-threaded (in each v1 hierarchy only the calling
 * thread moves). Makes only the system calls openat, write and close, so it is safe there; fills no
 * reterr_what but points *reterr_path at the group that refused (in cg's memory). -EOPNOTSUPP for the
 * systemd driver, whose group comes with its first process (cgroup_create_pid()). */
int cgroup_enter(const Cgroup *cg, const char **reterr_path);
/* Freezes or thaws; returns once the whole group is frozen (or thawed). */
int cgroup_freeze(Cgroup *cg, bool frozen, const char **reterr_what);
/* Whether the group is frozen now, as the kernel says: its own freeze or an ancestor's (v1 freezer.state
 * FROZEN; v2 "frozen 1" in cgroup.events), whoever froze it; a freeze still under way is not frozen yet.
 * Reads one small file (cgroup-frozen.c). */
int cgroup_is_frozen(Cgroup *cg, bool *ret, const char **reterr_what);
/* The file cgroup_is_frozen() reads, absolute, a new string: for a caller that keeps it (the runtime's
 * state) and asks again later with cgroup_freeze_file_read(), without finding the host's hierarchies
 * each time. -EOPNOTSUPP if the group has no freezer. */
int cgroup_get_freeze_file(const Cgroup *cg, char **ret);
/* Reads such a file: one open(), one read(). -ENOENT once the group is gone. */
int cgroup_freeze_file_read(const char *path, bool *ret);
/* SIGKILLs everything in the group until it is empty, racing forks. */
int cgroup_kill_all(Cgroup *cg, const char **reterr_what);
int cgroup_get_stats(Cgroup *cg, CgroupStats *ret, const char **reterr_what);
/* The network interface counters of the network namespace of process pid (the container's first), as
 * cadvisor reads them, into st->net (cgroup-net.c). pidfd is a pidfd of pid: /proc/PID is read from the
 * host and only used once the pidfd says the process still lives, so a recycled pid cannot give another
 * process's counters. No interfaces (n_net 0) when the process shares the caller's namespace: those are
 * the host's. -ESRCH if the process is gone. */
int cgroup_get_net_stats(pid_t pid, int pidfd, CgroupStats *st);
/* The pids in the group (its cgroup.procs: in the cgroup2 mount where there is one, else in a v1
 * hierarchy), a new array of *ret_n. */
int cgroup_get_pids(Cgroup *cg, pid_t **ret, size_t *ret_n, const char **reterr_what);
/* An fd that polls readable (POLLIN) for the shim's event loop when the group's OOM state changes (v1:
 * an OOM in the group; v2: any change of memory.events, so compare cgroup_oom_kill_count() with the last
 * count); cgroup_oom_watch_drain() re-arms it. */
int cgroup_oom_watch_open(Cgroup *cg, const char **reterr_what);
int cgroup_oom_watch_drain(Cgroup *cg, int fd);
int cgroup_oom_kill_count(Cgroup *cg, uint64_t *ret, const char **reterr_what);
/* Kills what is left and removes the group, retrying while it empties. */
int cgroup_destroy(Cgroup *cg, const char **reterr_what);
