#pragma once

/* config.json of an OCI bundle (opencontainers/runtime-spec config.md, config-linux.md), parsed into typed
 * structs by a pure function: a buffer in, a struct or a message out, no system calls but the read in
 * oci_config_parse_file(). Fields of other platforms, and Linux fields tether does not use yet (scheduler,
 * ioPriority, intelRdt, netDevices, most of linux.resources, ...) are ignored, as the spec says of unknown
 * fields. The "linux" object's fields live at the top level of OciConfig: "linux" is a macro in GNU C. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"
#include "mount-options.h"

typedef struct OciError {
        unsigned line; /* 1-based; 0 when unknown */
        unsigned column; /* 1-based, in characters; 0 when unknown */
        char path[256]; /* JSON path of the bad field, e.g. "process.args[2]"; "" for syntax errors */
        char message[1024]; /* e.g. "config.json:14:3: process.args[2]: expected a string, got an integer" */
} OciError;

typedef enum OciNamespaceType {
        OCI_NAMESPACE_MOUNT,
        OCI_NAMESPACE_PID,
        OCI_NAMESPACE_NETWORK,
        OCI_NAMESPACE_IPC,
        OCI_NAMESPACE_UTS,
        OCI_NAMESPACE_USER,
        OCI_NAMESPACE_CGROUP,
        OCI_NAMESPACE_TIME,
        _OCI_NAMESPACE_TYPE_MAX,
        _OCI_NAMESPACE_TYPE_INVALID = -EINVAL,
} OciNamespaceType;

typedef struct OciNamespace {
        OciNamespaceType type;
        char *path; /* absolute: join this namespace; NULL: create one */
} OciNamespace;

typedef struct OciIdMapping {
        uint32_t container_id;
        uint32_t host_id;
        uint32_t size; /* >= 1; neither range wraps around */
} OciIdMapping;

typedef struct OciMount {
        char *destination; /* absolute */
        char *type; /* NULL if not given */
        char *source; /* NULL if not given; always given for bind mounts */
        char **options; /* as given, NULL-terminated; NULL if none */
        MountOptions parsed;
        OciIdMapping *uid_mappings; /* an idmapped mount's own mappings; both or neither given */
        size_t n_uid_mappings;
        OciIdMapping *gid_mappings;
        size_t n_gid_mappings;
} OciMount;

typedef enum OciCapabilitySet {
        OCI_CAPABILITY_BOUNDING,
        OCI_CAPABILITY_EFFECTIVE,
        OCI_CAPABILITY_INHERITABLE,
        OCI_CAPABILITY_PERMITTED,
        OCI_CAPABILITY_AMBIENT,
        _OCI_CAPABILITY_SET_MAX,
        _OCI_CAPABILITY_SET_INVALID = -EINVAL,
} OciCapabilitySet;

typedef struct OciCapabilities {
        uint64_t sets[_OCI_CAPABILITY_SET_MAX]; /* bit (1 << CAP_*) per capability */
        unsigned given; /* bit (1 << OciCapabilitySet) per set present in the config */
} OciCapabilities;

typedef struct OciRlimit {
        int resource; /* RLIMIT_*; each at most once */
        uint64_t soft;
        uint64_t hard; /* >= soft */
} OciRlimit;

typedef struct OciUser {
        uid_t uid; /* never (uid_t) -1 */
        gid_t gid;
        bool has_umask;
        mode_t umask; /* <= 0777 */
        gid_t *additional_gids;
        size_t n_additional_gids;
} OciUser;

typedef struct OciProcess {
        bool terminal;
        bool has_console_size;
        unsigned short console_height;
        unsigned short console_width;
        OciUser user;
        char **args; /* NULL-terminated, at least one element */
        char **env; /* NULL-terminated, NAME=value; NULL if not given */
        char *cwd; /* absolute */
        bool has_capabilities;
        OciCapabilities capabilities;
        OciRlimit *rlimits;
        size_t n_rlimits;
        bool no_new_privileges;
        char *apparmor_profile; /* NULL if not given */
        bool has_oom_score_adj;
        int oom_score_adj; /* -1000..1000 */
} OciProcess;

typedef enum OciHookKind {
        OCI_HOOK_PRESTART,
        OCI_HOOK_CREATE_RUNTIME,
        OCI_HOOK_CREATE_CONTAINER,
        OCI_HOOK_START_CONTAINER,
        OCI_HOOK_POSTSTART,
        OCI_HOOK_POSTSTOP,
        _OCI_HOOK_KIND_MAX,
        _OCI_HOOK_KIND_INVALID = -EINVAL,
} OciHookKind;

typedef struct OciHook {
        char *path; /* absolute */
        char **args; /* NULL-terminated; NULL if not given */
        char **env; /* NULL-terminated; NULL if not given */
        int timeout; /* seconds, >= 1; 0 if not given */
} OciHook;

typedef struct OciHookList {
        OciHook *hooks;
        size_t n_hooks;
} OciHookList;

typedef struct OciKeyValue {
        char *key;
        char *value;
} OciKeyValue;

typedef struct OciDevice {
        char *path; /* absolute */
        mode_t type; /* S_IFCHR ("c" and "u"), S_IFBLK, S_IFIFO */
        int64_t major; /* 0 for S_IFIFO when not given */
        int64_t minor;
        bool has_file_mode;
        mode_t file_mode;
        bool has_uid;
        uid_t uid;
        bool has_gid;
        gid_t gid;
} OciDevice;

typedef struct OciTimeOffset {
        bool set;
        int64_t secs;
        uint32_t nanosecs; /* < 1000000000 */
} OciTimeOffset;

typedef enum OciSeccompAction {
        OCI_SECCOMP_ACT_KILL,
        OCI_SECCOMP_ACT_KILL_PROCESS,
        OCI_SECCOMP_ACT_KILL_THREAD,
        OCI_SECCOMP_ACT_TRAP,
        OCI_SECCOMP_ACT_ERRNO,
        OCI_SECCOMP_ACT_TRACE,
        OCI_SECCOMP_ACT_ALLOW,
        OCI_SECCOMP_ACT_LOG,
        OCI_SECCOMP_ACT_NOTIFY,
        _OCI_SECCOMP_ACTION_MAX,
        _OCI_SECCOMP_ACTION_INVALID = -EINVAL,
} OciSeccompAction;

typedef enum OciSeccompOp {
        OCI_SECCOMP_CMP_NE,
        OCI_SECCOMP_CMP_LT,
        OCI_SECCOMP_CMP_LE,
        OCI_SECCOMP_CMP_EQ,
        OCI_SECCOMP_CMP_GE,
        OCI_SECCOMP_CMP_GT,
        OCI_SECCOMP_CMP_MASKED_EQ,
        _OCI_SECCOMP_OP_MAX,
        _OCI_SECCOMP_OP_INVALID = -EINVAL,
} OciSeccompOp;

typedef enum OciSeccompArch {
        OCI_SECCOMP_ARCH_X86,
        OCI_SECCOMP_ARCH_X86_64,
        OCI_SECCOMP_ARCH_X32,
        OCI_SECCOMP_ARCH_ARM,
        OCI_SECCOMP_ARCH_AARCH64,
        OCI_SECCOMP_ARCH_LOONGARCH64,
        OCI_SECCOMP_ARCH_M68K,
        OCI_SECCOMP_ARCH_MIPS,
        OCI_SECCOMP_ARCH_MIPS64,
        OCI_SECCOMP_ARCH_MIPS64N32,
        OCI_SECCOMP_ARCH_MIPSEL,
        OCI_SECCOMP_ARCH_MIPSEL64,
        OCI_SECCOMP_ARCH_MIPSEL64N32,
        OCI_SECCOMP_ARCH_PPC,
        OCI_SECCOMP_ARCH_PPC64,
        OCI_SECCOMP_ARCH_PPC64LE,
        OCI_SECCOMP_ARCH_S390,
        OCI_SECCOMP_ARCH_S390X,
        OCI_SECCOMP_ARCH_SH,
        OCI_SECCOMP_ARCH_SHEB,
        OCI_SECCOMP_ARCH_PARISC,
        OCI_SECCOMP_ARCH_PARISC64,
        OCI_SECCOMP_ARCH_RISCV64,
        _OCI_SECCOMP_ARCH_MAX,
        _OCI_SECCOMP_ARCH_INVALID = -EINVAL,
} OciSeccompArch;

typedef enum OciSeccompFlag {
        OCI_SECCOMP_FLAG_TSYNC = 1 << 0,
        OCI_SECCOMP_FLAG_LOG = 1 << 1,
        OCI_SECCOMP_FLAG_SPEC_ALLOW = 1 << 2,
        OCI_SECCOMP_FLAG_WAIT_KILLABLE_RECV = 1 << 3,
} OciSeccompFlag;

typedef struct OciSeccompArg {
        unsigned index; /* 0..5 */
        uint64_t value;
        uint64_t value_two;
        OciSeccompOp op;
} OciSeccompArg;

typedef struct OciSeccompSyscall {
        char **names; /* NULL-terminated, at least one */
        OciSeccompAction action;
        bool has_errno_ret; /* only with SCMP_ACT_ERRNO and SCMP_ACT_TRACE */
        uint32_t errno_ret;
        OciSeccompArg *args;
        size_t n_args;
} OciSeccompSyscall;

typedef struct OciSeccomp {
        OciSeccompAction default_action; /* never SCMP_ACT_NOTIFY */
        bool has_default_errno_ret;
        uint32_t default_errno_ret;
        OciSeccompArch *architectures;
        size_t n_architectures;
        unsigned flags; /* OciSeccompFlag */
        char *listener_path; /* given if any rule uses SCMP_ACT_NOTIFY */
        char *listener_metadata; /* only with listener_path */
        OciSeccompSyscall *syscalls;
        size_t n_syscalls;
} OciSeccomp;

/* linux.resources.devices[] */
typedef struct OciDeviceRule {
        bool allow;
        char type; /* 'a' (also when not given), 'c' or 'b' */
        int64_t major; /* -1: any (not given) */
        int64_t minor;
        char access[4]; /* a non-empty subset of "rwm"; "rwm" when not given */
} OciDeviceRule;

/* linux.resources.blockIO.weightDevice[] */
typedef struct OciWeightDevice {
        int64_t major;
        int64_t minor;
        bool has_weight;
        uint16_t weight;
        bool has_leaf_weight;
        uint16_t leaf_weight;
} OciWeightDevice;

/* linux.resources.blockIO.throttle*Device[] */
typedef struct OciThrottleDevice {
        int64_t major;
        int64_t minor;
        uint64_t rate;
} OciThrottleDevice;

typedef enum OciThrottle {
        OCI_THROTTLE_READ_BPS,
        OCI_THROTTLE_WRITE_BPS,
        OCI_THROTTLE_READ_IOPS,
        OCI_THROTTLE_WRITE_IOPS,
        _OCI_THROTTLE_MAX,
        _OCI_THROTTLE_INVALID = -EINVAL,
} OciThrottle;

typedef struct OciHugepageLimit {
        char *page_size; /* "2MB" */
        uint64_t limit;
} OciHugepageLimit;

typedef struct OciNetPriority {
        char *name;
        uint32_t priority;
} OciNetPriority;

typedef struct OciRdmaLimit {
        char *device;
        bool has_hca_handles;
        uint32_t hca_handles;
        bool has_hca_objects;
        uint32_t hca_objects;
} OciRdmaLimit;

typedef struct OciResources {
        bool has_memory_limit;
        int64_t memory_limit; /* bytes; -1 = unlimited */
        bool has_memory_reservation;
        int64_t memory_reservation;
        bool has_memory_swap;
        int64_t memory_swap; /* memory+swap, bytes; -1 = unlimited */
        bool has_memory_kernel;
        int64_t memory_kernel;
        bool has_memory_kernel_tcp;
        int64_t memory_kernel_tcp;
        bool has_memory_swappiness;
        uint64_t memory_swappiness;
        bool memory_disable_oom_killer;
        bool memory_check_before_update; /* runc's: refuse a limit below the current usage */
        bool has_cpu_shares;
        uint64_t cpu_shares;
        bool has_cpu_quota;
        int64_t cpu_quota; /* µs per period; -1 = unlimited */
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
        char *cpu_cpus; /* "0-3,7"; NULL if not given */
        char *cpu_mems;
        bool has_pids_limit;
        int64_t pids_limit; /* -1 = unlimited; 0 is a limit */
        bool has_blkio_weight;
        uint16_t blkio_weight;
        bool has_blkio_leaf_weight;
        uint16_t blkio_leaf_weight;
        OciWeightDevice *blkio_weight_devices;
        size_t n_blkio_weight_devices;
        OciThrottleDevice *blkio_throttle[_OCI_THROTTLE_MAX];
        size_t n_blkio_throttle[_OCI_THROTTLE_MAX];
        OciHugepageLimit *hugepage_limits;
        size_t n_hugepage_limits;
        bool has_network_class_id;
        uint32_t network_class_id;
        OciNetPriority *network_priorities;
        size_t n_network_priorities;
        OciRdmaLimit *rdma;
        size_t n_rdma;
        OciKeyValue *unified; /* in the order of the text */
        size_t n_unified;
        bool has_devices; /* devices given at all, even empty */
        OciDeviceRule *devices;
        size_t n_devices;
} OciResources;

typedef struct OciConfig {
        char *oci_version; /* SemVer */
        char *root_path; /* absolute, or relative to the bundle */
        bool root_readonly;
        OciMount *mounts;
        size_t n_mounts;
        OciProcess *process; /* NULL if not given: then the config can create but not start */
        char *hostname; /* NULL if not given */
        char *domainname;
        OciHookList hooks[_OCI_HOOK_KIND_MAX];
        OciKeyValue *annotations;
        size_t n_annotations;

        /* linux.* */
        OciNamespace *namespaces; /* each type at most once */
        size_t n_namespaces;
        OciIdMapping *uid_mappings; /* only with a user namespace */
        size_t n_uid_mappings;
        OciIdMapping *gid_mappings;
        size_t n_gid_mappings;
        OciTimeOffset time_offset_boottime;
        OciTimeOffset time_offset_monotonic;
        OciDevice *devices;
        size_t n_devices;
        char **masked_paths; /* NULL-terminated, absolute; NULL if not given */
        char **readonly_paths; /* likewise */
        OciKeyValue *sysctl;
        size_t n_sysctl;
        char *cgroups_path; /* NULL if not given */
        MountPropagation rootfs_propagation;
        bool rootfs_propagation_recursive;
        OciSeccomp *seccomp; /* NULL if not given */
        OciResources *resources; /* NULL if not given */
} OciConfig;

/* Parses config.json from buf (len bytes; need not be NUL-terminated). filename names the file in
 * messages ("config.json" if NULL). Returns 0 and a new config in *ret, or a negative errno: -EINVAL for
 * a bad config, with a message naming the file, line and column and the JSON path of the bad field;
 * -ENOMEM. On failure *reterr (if not NULL) is written; its message is "" when strerror() says it all. */
int oci_config_parse(const char *buf, size_t len, const char *filename, OciConfig **ret, OciError *reterr);

/* Reads path (relative to dir_fd, as in openat()) and parses it, naming path in messages. Returns as
 * oci_config_parse(), and -errno if the file cannot be read. Not a regular file is -EINVAL, one larger than
 * OCI_CONFIG_SIZE_MAX -EFBIG, both with a message. */
#define OCI_CONFIG_SIZE_MAX (64U * 1024U * 1024U)
int oci_config_parse_file(int dir_fd, const char *path, OciConfig **ret, OciError *reterr);

OciConfig *oci_config_free(OciConfig *c);

/* Parses a linux.resources object on its own (`tether update -r FILE`), as oci_config_parse() does. */
int oci_resources_parse(
        const char *buf, size_t len, const char *filename, OciResources **ret, OciError *reterr);
OciResources *oci_resources_free(OciResources *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(OciResources *, oci_resources_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(OciConfig *, oci_config_free);

/* Whether a mount is a bind mount: type "bind", or the bind or rbind option. */
bool oci_mount_is_bind(const OciMount *m);
/* Whether a mount is idmapped: the idmap or ridmap option, or uidMappings and gidMappings of its own.
 * Always a bind mount; without mappings of its own it takes the container's user namespace's. */
bool oci_mount_is_idmapped(const OciMount *m);

/* The entry of that type in config->namespaces, or NULL. */
const OciNamespace *oci_config_get_namespace(const OciConfig *c, OciNamespaceType type);

const char *oci_namespace_type_to_string(OciNamespaceType t);
OciNamespaceType oci_namespace_type_from_string(const char *s);
const char *oci_namespace_type_to_proc_name(OciNamespaceType t); /* "mnt" for mount: /proc/PID/ns/ */
int oci_namespace_type_to_clone_flag(OciNamespaceType t); /* CLONE_NEW*, or -EINVAL */
const char *oci_capability_set_to_string(OciCapabilitySet s);
const char *oci_hook_kind_to_string(OciHookKind k);
OciHookKind oci_hook_kind_from_string(const char *s);
const char *oci_seccomp_action_to_string(OciSeccompAction a);
OciSeccompAction oci_seccomp_action_from_string(const char *s);
const char *oci_seccomp_op_to_string(OciSeccompOp op);
OciSeccompOp oci_seccomp_op_from_string(const char *s);
const char *oci_seccomp_arch_to_string(OciSeccompArch a);
OciSeccompArch oci_seccomp_arch_from_string(const char *s);
