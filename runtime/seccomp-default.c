/* The default seccomp profile, after docker's (moby/moby:profiles/seccomp/default.json). That file is a
 * template: its entries carry "includes"/"excludes" on capabilities, architectures and kernel versions
 * that docker resolves before writing config.json (moby/profiles:seccomp/seccomp_linux.go). This is the
 * result for docker's default capabilities on the architecture we are built for, written out as tables.
 *
 * Where it differs from docker's, it is stricter, on purpose:
 * - name_to_handle_at needs CAP_SYS_ADMIN, as in docker before moby/moby#45766 (2023): its handles are
 *   what open_by_handle_at takes, the syscall of the 2014 "shocker" escape.
 * - ptrace, process_vm_readv and process_vm_writev need CAP_SYS_PTRACE, as in docker before it allowed
 *   them on kernels from 4.8 (where ptrace can no longer skip seccomp; moby/moby 1124543ca8, 2018).
 * Denied as in docker: everything that needs a capability docker does not grant by default (mount,
 * unshare, setns, bpf, keyctl and the key syscalls, kexec_*, *_module, reboot, swapon, acct, quotactl,
 * iopl, settimeofday, mbind, userfaultfd, ...) and the obsolete ones (uselib, ustat, sysfs, _sysctl,
 * nfsservctl). */

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <sys/personality.h>
#include <sys/socket.h>

#include "macro.h"
#include "seccomp-default.h"

/* Allowed whatever the arguments. Names this libseccomp or architecture lacks are skipped when loading
 * (seccomp-filter.c), so the list may hold the union of all architectures, as docker's does. chroot needs
 * CAP_SYS_CHROOT, which docker grants by default. */
/* clang-format off */
static const char *const allowed_syscalls[] = {
        "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget", "capset",
        "chdir", "chmod", "chown", "chown32", "chroot", "clock_adjtime", "clock_adjtime64", "clock_getres",
        "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
        "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
        "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
        "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit",
        "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark",
        "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64",
        "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat",
        "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
        "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat", "getcpu",
        "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid",
        "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid",
        "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32",
        "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt",
        "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "getxattrat",
        "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl",
        "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set",
        "io_setup", "io_submit", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
        "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen",
        "listmount", "listxattr", "listxattrat", "llistxattr", "_llseek", "lremovexattr", "lseek",
        "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack", "membarrier", "memfd_create",
        "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall",
        "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
        "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap", "mseal",
        "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap", "nanosleep",
        "newfstatat", "_newselect", "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal",
        "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64",
        "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
        "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat",
        "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages",
        "removexattr", "removexattrat", "rename", "renameat", "renameat2", "restart_syscall",
        "riscv_hwprobe", "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
        "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
        "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr", "sched_getparam",
        "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
        "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr", "sched_setparam",
        "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop",
        "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid",
        "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32",
        "setitimer", "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
        "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
        "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "setxattrat",
        "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
        "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs",
        "statfs64", "statmount", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs",
        "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun",
        "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create",
        "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill",
        "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "uretprobe",
        "utime", "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid",
        "waitpid", "write", "writev",
#if defined(__x86_64__)
        "arch_prctl", "modify_ldt",
#elif defined(__i386__)
        "modify_ldt",
#elif defined(__aarch64__) || defined(__arm__)
        "arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls",
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        "sync_file_range2", "swapcontext",
#elif defined(__s390__)
        "s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr",
#elif defined(__riscv)
        "riscv_flush_icache",
#endif
        NULL,
};

/* docker's "archMap": the native architecture and those whose binaries it also runs. */
static const char *const architectures[] = {
#if defined(__x86_64__)
        "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
#elif defined(__aarch64__)
        "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",
#elif defined(__s390x__)
        "SCMP_ARCH_S390X", "SCMP_ARCH_S390",
#elif defined(__mips__) && defined(_ABI64) && _MIPS_SIM == _ABI64
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32",
#else
        "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32",
#endif
#elif defined(__mips__) && defined(_ABIN32) && _MIPS_SIM == _ABIN32
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
#else
        "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
#endif
#elif defined(__riscv) && __riscv_xlen == 64
        "SCMP_ARCH_RISCV64",
#elif defined(__loongarch64)
        "SCMP_ARCH_LOONGARCH64",
#endif
        NULL, /* elsewhere none: the native architecture only */
};
/* clang-format on */

/* s390 passes clone()'s flags second (docker: "s390 parameter ordering for clone is different"). */
#if defined(__s390__)
#define CLONE_FLAGS_ARG 1
#else
#define CLONE_FLAGS_ARG 0
#endif
/* 0x7E020000, docker's mask: without CAP_SYS_ADMIN no new namespace, so clone() may not make one. */
#define CLONE_NAMESPACE_FLAGS                                                                         \
        (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | \
         CLONE_NEWNET)
_Static_assert(CLONE_NAMESPACE_FLAGS == 0x7E020000, "docker's mask for clone()");

/* Allowed with one argument comparison each; entries of one syscall are alternatives. */
typedef struct ArgRule {
        const char *name;
        unsigned index;
        uint64_t value; /* the mask for SCMP_CMP_MASKED_EQ, which compares with valueTwo */
        uint64_t value_two;
        const char *op;
} ArgRule;

static const ArgRule arg_rules[] = {
        /* Every address family but AF_ALG (38) and AF_VSOCK (40), the kernel crypto API and the
         * host-guest channel of VMs. */
        {"socket", 0, AF_ALG, 0, "SCMP_CMP_LT"},
        {"socket", 0, AF_NFC, 0, "SCMP_CMP_EQ"},
        {"socket", 0, AF_VSOCK, 0, "SCMP_CMP_GT"},
        /* Linux, 32-bit, a 2.6 uname, both, and 0xffffffff, which only reads the personality: not
         * ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC and the like, which weaken exploit mitigations. */
        {"personality", 0, PER_LINUX, 0, "SCMP_CMP_EQ"},
        {"personality", 0, PER_LINUX32, 0, "SCMP_CMP_EQ"},
        {"personality", 0, UNAME26, 0, "SCMP_CMP_EQ"},
        {"personality", 0, PER_LINUX32 | UNAME26, 0, "SCMP_CMP_EQ"},
        {"personality", 0, 0xffffffffU, 0, "SCMP_CMP_EQ"},
        {"clone", CLONE_FLAGS_ARG, CLONE_NAMESPACE_FLAGS, 0, "SCMP_CMP_MASKED_EQ"},
};

static json_t *strv_to_json(const char *const *strv) {
        json_t *a = json_array();

        for (size_t i = 0; a && strv[i]; i++)
                if (json_array_append_new(a, json_string(strv[i])) < 0)
                        return json_decref(a), NULL;
        return a;
}

/* {"names": names, "action": action, "args": args}; takes names and args (NULL: none). NULL on OOM. */
static json_t *syscall_json(json_t *names, const char *action, json_t *args) {
        json_auto_t *n = names, *a = args, *o = json_object();

        if (!o || !n || json_object_set_new(o, "names", TAKE_PTR(n)) < 0 ||
            json_object_set_new(o, "action", json_string(action)) < 0 ||
            (a && json_object_set_new(o, "args", TAKE_PTR(a)) < 0))
                return NULL;
        return TAKE_PTR(o);
}

static json_t *arg_rule_json(const ArgRule *r) {
        json_t *args = json_pack("[{s:I, s:I, s:I, s:s}]",
                                 "index",
                                 (json_int_t) r->index,
                                 "value",
                                 (json_int_t) r->value,
                                 "valueTwo",
                                 (json_int_t) r->value_two,
                                 "op",
                                 r->op);

        return args ? syscall_json(json_pack("[s]", r->name), "SCMP_ACT_ALLOW", args) : NULL;
}

/* clone3() passes its flags in memory, out of seccomp's reach, so it cannot be limited like clone():
 * ENOSYS, not EPERM, makes glibc and others fall back to clone(), which can. */
static json_t *clone3_json(void) {
        json_t *o = syscall_json(json_pack("[s]", "clone3"), "SCMP_ACT_ERRNO", NULL);

        if (o && json_object_set_new(o, "errnoRet", json_integer(ENOSYS)) < 0)
                return json_decref(o), NULL;
        return o;
}

static json_t *syscalls_json(void) {
        json_auto_t *syscalls = json_array();

        if (!syscalls ||
            json_array_append_new(syscalls,
                                  syscall_json(strv_to_json(allowed_syscalls), "SCMP_ACT_ALLOW", NULL)) < 0)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(arg_rules); i++)
                if (json_array_append_new(syscalls, arg_rule_json(&arg_rules[i])) < 0)
                        return NULL;
        if (json_array_append_new(syscalls, clone3_json()) < 0)
                return NULL;
        return TAKE_PTR(syscalls);
}

json_t *seccomp_default_profile(void) {
        json_auto_t *o = json_object();

        if (!o || json_object_set_new(o, "defaultAction", json_string("SCMP_ACT_ERRNO")) < 0 ||
            json_object_set_new(o, "defaultErrnoRet", json_integer(EPERM)) < 0 ||
            json_object_set_new(o, "architectures", strv_to_json(architectures)) < 0 ||
            json_object_set_new(o, "syscalls", syscalls_json()) < 0)
                return NULL;
        return TAKE_PTR(o);
}
