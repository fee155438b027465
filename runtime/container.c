/* A container's first process, from clone() to exec(), in runc's shape
 * (opencontainers/runc:libcontainer/standard_init_linux.go): the runtime clones it into its new
 * namespaces, it sets up the rootfs and the process, reports "ready" over a socketpair, and waits on the
 * read end of ROOT/ID/exec.fifo until `start` writes to it (exec-fifo.h); then it execs. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/keyctl.h>
#include <unistd.h>

#include "console.h"
#include "container.h"
#include "container-cgroup.h"
#include "exec-fifo.h"
#include "fd-util.h"
#include "hooks.h"
#include "macro.h"
#include "mount-source.h"
#include "network.h"
#include "oci-resources-update.h"
#include "pidfd-util.h"
#include "pidref.h"
#include "process.h"
#include "rootfs.h"
#include "seccomp-filter.h"
#include "state.h"
#include "userns.h"

#define EXEC_FIFO "exec.fifo"
#define CONFIG_COPY "config.json"

/* What the first process tells the runtime. */
typedef enum SyncType {
        SYNC_READY, /* set up, waiting for start */
        SYNC_HOOKS, /* mounts done: run createRuntime hooks, then send the state for createContainer */
        SYNC_ERROR, /* error and text say what failed */
} SyncType;

typedef struct SyncMessage {
        SyncType type;
        int error;
        char text[1024];
} SyncMessage;

/* The largest state JSON passed to the first process for its hooks. */
#define STATE_JSON_MAX (64 * 1024)

static int set_error(ContainerError *e, int error, const char *fmt, ...) {
        va_list ap;

        if (e) {
                va_start(ap, fmt);
                vsnprintf(e->text, sizeof(e->text), fmt, ap);
                va_end(ap);
        }
        return error;
}

_noreturn_ static void child_fail(int sync_fd, int error, const char *fmt, ...) {
        SyncMessage m = {.type = SYNC_ERROR, .error = error < 0 ? -error : error};
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(m.text, sizeof(m.text), fmt, ap);
        va_end(ap);
        (void) !write(sync_fd, &m, sizeof(m));
        _exit(1);
}

static int join_namespaces(const OciConfig *c, bool user_only, const char **reterr_what) {
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < c->n_namespaces; i++) {
                        const OciNamespace *ns = &c->namespaces[i];
                        _cleanup_close_ int fd = -EBADF;
                        bool is_user = ns->type == OCI_NAMESPACE_USER;

                        /* The user namespace first: it grants the rights to join the others. PID and time
                         * namespaces are joined by the runtime, before clone(): setns() into them only
                         * moves children. */
                        if (!ns->path || (pass == 0) != is_user || ns->type == OCI_NAMESPACE_PID ||
                            ns->type == OCI_NAMESPACE_TIME || (user_only && !is_user))
                                continue;
                        *reterr_what = ns->path;
                        fd = open(ns->path, O_RDONLY | O_CLOEXEC);
                        if (fd < 0)
                                return -errno;
                        if (setns(fd, oci_namespace_type_to_clone_flag(ns->type)) < 0)
                                return -errno;
                }
        return 0;
}

/* podman and docker turn runc's wording into exit codes 127 and 126 (containers/podman:libpod/oci_util.go
 * getOCIRuntimeError matches "executable file not found", "no such file or directory", "permission
 * denied"), so use runc's. */
_noreturn_ static void child_fail_exec(int sync_fd, int error, const char *name) {
        if (error == -ENOENT && !strchr(name, '/'))
                child_fail(
                        sync_fd,
                        error,
                        "unable to start container process: exec: \"%s\": executable file not found in $PATH",
                        name);
        if (error == -ENOENT)
                child_fail(
                        sync_fd,
                        error,
                        "unable to start container process: exec: \"%s\": stat %s: no such file or directory",
                        name,
                        name);
        child_fail(
                sync_fd, error, "unable to start container process: exec: \"%s\": permission denied", name);
}

static void load_seccomp(int sync_fd, const OciConfig *c) {
        const char *what = NULL;
        int r;

        r = seccomp_filter_load(c->seccomp, &what);
        if (r < 0)
                child_fail(sync_fd,
                           r,
                           "failed to load the seccomp filter%s%s%s",
                           what ? " for '" : "",
                           what ?: "",
                           what ? "'" : "");
}

/* Hooks run by the container's first process itself, in its namespaces. */
static void
child_run_hooks(int sync_fd, const OciHookList *hooks, const char *state_json, const char *kind) {
        const char *what = NULL;
        int status = 0, r;

        r = hooks_run(hooks, state_json, NULL, &what, &status);
        if (r == -ECHILD)
                child_fail(sync_fd, r, "%s hook '%s' failed with status %d", kind, what, status);
        if (r < 0)
                child_fail(sync_fd, r, "%s hook '%s' failed", kind, what);
}

/* Receives a state JSON from the runtime into a new buffer. */
static char *child_receive_state(int sync_fd) {
        char *buf = malloc(STATE_JSON_MAX + 1);
        ssize_t n;

        if (!buf)
                _exit(1);
        n = RETRY_ON_EINTR(read(sync_fd, buf, STATE_JSON_MAX));
        if (n <= 0)
                _exit(1); /* the runtime failed and tells the user itself */
        buf[n] = '\0';
        return buf;
}

typedef struct ChildArgs {
        const ContainerOptions *o;
        const OciConfig *c;
        int sync_fd;
        int fifo_fd; /* the exec fifo's read end */
        int *sources; /* where the mount sources the runtime opened are received (mount-source.h) */
        size_t n_sources;
        bool wait_release; /* wait for the runtime's go (release_first_process()) before anything else */
        bool new_cgroup_ns; /* unshare the cgroup namespace once in the container's cgroup */
        const Cgroup *cgroup; /* the group to enter first of all; NULL: none, or the runtime attaches us */
} ChildArgs;

_noreturn_ static void
child_exec_after_start(const ChildArgs *a, const char *exe, const char *created_state) {
        if (exec_fifo_wait(a->fifo_fd) < 0) /* until `start` */
                _exit(1);

        if (created_state) {
                const char *what = NULL;
                int status = 0;

                /* The hook's program is the image's, run inside: the runtime's environment (the caller's)
                 * is not the container's to see; it gets the process's, as in runc. */
                if (hooks_run(&a->c->hooks[OCI_HOOK_START_CONTAINER],
                              created_state,
                              process_env_get(a->o->env, a->c->process->env) ?: (char *[]){NULL},
                              &what,
                              &status) < 0) {
                        dprintf(STDERR_FILENO,
                                "tether: container '%s': startContainer hook '%s' failed\n",
                                a->o->id,
                                what);
                        _exit(1);
                }
        }

        /* Everything above the preserved fds is closed on exec (containers/crun:src/libcrun/utils.c). */
        (void) syscall(SYS_close_range, 3 + a->o->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
        execve(exe, a->c->process->args, process_env_get(a->o->env, a->c->process->env));
        dprintf(STDERR_FILENO,
                "tether: container '%s': failed to execute '%s': %s\n",
                a->o->id,
                exe,
                strerror(errno));
        _exit(127);
}

/* A session keyring of the container's own, named by its id, so that it does not share the caller's keys
 * (opencontainers/runc:libcontainer/standard_init_linux.go does the same; best effort where the kernel
 * has no keyrings). */
static int join_session_keyring(const char *id) {
        if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, id) < 0 && errno != ENOSYS)
                return -errno;
        return 0;
}

/* Whether the first process must stop between mounts and pivot_root for hooks: createRuntime and prestart
 * run in the runtime, createContainer in the container, and both get the state from the runtime. */
static bool needs_hook_sync(const OciConfig *c) {
        return hooks_any(&c->hooks[OCI_HOOK_PRESTART]) || hooks_any(&c->hooks[OCI_HOOK_CREATE_RUNTIME]) ||
               hooks_any(&c->hooks[OCI_HOOK_CREATE_CONTAINER]);
}

/* First of all, before anything of the container's is resolved or run: keep no fd of the host's (the
 * state directory's, the caller's, the runtime's), and let no other process open our
 * /proc/PID/{fd,cwd,root,exe}, which still lead to the host until pivot_root and execve
 * (opencontainers/runc:libcontainer/nsenter/nsexec.c makes runc init non-dumpable too). The kernel resets
 * dumpability at the payload's execve. Then, in a new user namespace, become its root. */
static void child_isolate(const ChildArgs *a, bool new_user_ns) {
        const OciConfig *c = a->c;
        const int keep[] = {a->sync_fd, a->fifo_fd, a->o->console_socket_fd};
        const char *path = NULL;
        int r;

        /* Into the container's cgroup before anything else, through the group's fds we inherited. */
        if (a->cgroup && (r = cgroup_enter(a->cgroup, &path)) < 0)
                child_fail(
                        a->sync_fd, r, "failed to put the container's process into its cgroup '%s'", path);
        if (a->o->child_sigmask)
                (void) sigprocmask(SIG_SETMASK, a->o->child_sigmask, NULL);
        r = close_all_fds_except(3 + (int) a->o->preserve_fds, keep, ELEMENTSOF(keep));
        if (r < 0)
                child_fail(a->sync_fd, r, "failed to close the runtime's file descriptors");
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                child_fail(a->sync_fd, errno, "failed to make the container's process non-dumpable");
        if (a->wait_release) {
                /* Wait until the runtime has put us into the container's cgroup, written our uid_map and
                 * gid_map and sent the mount sources it opened for us; the end of them is our go. Without
                 * mappings we stay the overflow uid and gid: no other can be had there (process.h). */
                if (mount_sources_receive(a->sync_fd, a->sources, a->n_sources) < 0)
                        _exit(1); /* the runtime failed, and says why */
                if (new_user_ns && ((c->n_gid_mappings > 0 && setresgid(0, 0, 0) < 0) ||
                                    (c->n_uid_mappings > 0 && setresuid(0, 0, 0) < 0)))
                        child_fail(a->sync_fd, errno, "failed to become root in the user namespace");
        }
        /* Only now, in the container's cgroup: the namespace's root is the group we are in
         * (opencontainers/runc:libcontainer/nsenter/nsexec.c unshares it after the parent's cgroup
         * setup, as crun does). */
        if (a->new_cgroup_ns && unshare(CLONE_NEWCGROUP) < 0)
                child_fail(a->sync_fd, errno, "failed to create a cgroup namespace");
}

/* The namespaces joined by path, a mount namespace of our own, lo, the names. */
static void child_enter_namespaces(const ChildArgs *a) {
        const OciConfig *c = a->c;
        const OciNamespace *ns;
        const char *what = NULL;
        int r;

        r = join_namespaces(c, false, &what);
        if (r < 0)
                child_fail(a->sync_fd, r, "failed to join namespace '%s'", what);
        /* A mount namespace joined by path is someone else's: pivot a copy of it, never it. */
        ns = oci_config_get_namespace(c, OCI_NAMESPACE_MOUNT);
        if (ns && ns->path && unshare(CLONE_NEWNS) < 0)
                child_fail(a->sync_fd, errno, "failed to make a mount namespace in '%s'", ns->path);
        r = network_setup_loopback(c);
        if (r < 0)
                child_fail(a->sync_fd, r, "failed to bring up the loopback interface 'lo'");
        r = process_set_names(c, &what);
        if (r < 0)
                child_fail(a->sync_fd, r, "failed to set the %s", what);
}

/* The mounts, the createContainer hooks, pivot_root, the terminal, the sysctls, read-only paths. */
static void child_build_rootfs(const ChildArgs *a) {
        const OciConfig *c = a->c;
        const char *what = NULL;
        int r;

        r = rootfs_prepare(c, a->o->rootfs, a->sources, &what);
        /* Before any hook of the container's runs: no mount of the host's stays open. */
        mount_sources_close(a->sources, a->n_sources);
        /* mount(MS_SLAVE) on '/' takes a mount point: without it the container's mounts would reach the
         * host's, and --no-pivot needs it as much as pivot_root(2). */
        if (r == -EINVAL && strcmp(what, "/") == 0 && rootfs_root_is_mount_point() == 0)
                child_fail(
                        a->sync_fd,
                        r,
                        "'/' is not a mount point (is tether running in a chroot?): pivot_root(2) cannot work there, nor can the container's mounts be kept from the host's, with or without --no-pivot; make the chroot directory a mount point first (mount --bind DIR DIR)");
        if (r == -EOVERFLOW && (process_userns_of(c) & (PROCESS_USERNS_NO_UIDS | PROCESS_USERNS_NO_GIDS)))
                child_fail(a->sync_fd,
                           r,
                           "failed to set up the rootfs at '%s': a user namespace without uidMappings and "
                           "gidMappings can create no file",
                           what);
        if (r < 0)
                child_fail(a->sync_fd, r, "failed to set up the rootfs at '%s'", what);
        if (needs_hook_sync(c)) {
                SyncMessage hooks = {.type = SYNC_HOOKS};
                _cleanup_free_ char *creating_state = NULL;

                if (write(a->sync_fd, &hooks, sizeof(hooks)) != sizeof(hooks))
                        _exit(1);
                creating_state = child_receive_state(a->sync_fd);
                child_run_hooks(
                        a->sync_fd, &c->hooks[OCI_HOOK_CREATE_CONTAINER], creating_state, "createContainer");
        }
        r = rootfs_enter(a->o->rootfs, a->o->no_pivot, &what);
        /* '/' is a mount point by now, and with a propagation other than shared neither the rootfs nor its
         * parent is shared: pivot_root(2) says EINVAL then when the root mount has no parent, which is the
         * initial ramfs (opencontainers/runc:create.go: --no-pivot "should be used whenever the rootfs is
         * on top of a ramdisk"). */
        if (r == -EINVAL && !a->o->no_pivot && c->rootfs_propagation != MOUNT_PROPAGATION_SHARED)
                child_fail(
                        a->sync_fd,
                        r,
                        "failed to pivot_root(2) into '%s': it cannot work when the root is the initial ramfs (an initramfs); run tether with --no-pivot",
                        what);
        if (r < 0)
                child_fail(a->sync_fd, r, "failed to set up the rootfs at '%s'", what);
        if (c->process->terminal) {
                r = console_setup(c->process, a->o->console_socket_fd, true, &what);
                if (r < 0)
                        child_fail(a->sync_fd, r, "failed to set up the terminal at '%s'", what);
                safe_close(a->o->console_socket_fd);
        }
        r = process_apply_sysctl(c, &what);
        if (r == -ENOMEDIUM)
                child_fail(a->sync_fd,
                           ENOENT,
                           "sysctl '%s' needs a procfs at /proc, and the container has none",
                           what);
        if (r < 0)
                child_fail(a->sync_fd, r, "failed to set sysctl '%s'", what);
        r = rootfs_finish(c, &what);
        if (r < 0)
                child_fail(a->sync_fd, r, "failed to set up the rootfs at '%s'", what);
}

/* The environment, the executable, the keyring, AppArmor, seccomp, the user and capabilities. */
static void child_prepare_process(const ChildArgs *a, char *exe, size_t exe_len) {
        const OciConfig *c = a->c;
        const char *what = NULL;
        int r;

        if (a->o->env)
                process_env_finish(a->o->env, c->process->user.uid);
        r = process_find_executable(c->process, exe, exe_len);
        if (r < 0)
                child_fail_exec(a->sync_fd, r, c->process->args[0]);

        if (!a->o->no_new_keyring) {
                r = join_session_keyring(a->o->id);
                if (r < 0)
                        child_fail(a->sync_fd, r, "failed to join a new session keyring");
        }
        r = process_apply_apparmor(c->process, &what);
        if (r == -EOPNOTSUPP)
                child_fail(a->sync_fd,
                           r,
                           "apparmorProfile '%s' is set, but AppArmor is not enabled on this host",
                           what);
        if (r == -ENOMEDIUM)
                child_fail(a->sync_fd,
                           ENOENT,
                           "apparmorProfile '%s' needs a procfs at /proc, and the container has none",
                           what);
        if (r < 0)
                child_fail(a->sync_fd, r, "failed to set apparmorProfile '%s'", what);

        /* Seccomp as close to execve() as it can be, so that profiles need allow little of ours; but
         * without no_new_privs loading it takes CAP_SYS_ADMIN, so then before the capabilities go
         * (opencontainers/runc:libcontainer/standard_init_linux.go). */
        if (!c->process->no_new_privileges)
                load_seccomp(a->sync_fd, c);
        r = process_setup(c->process, process_userns_of(c), &what);
        if (r == -EXDEV)
                child_fail(
                        a->sync_fd, r, "process.cwd '%s' lies outside the container's root, refusing", what);
        if (r < 0)
                child_fail(a->sync_fd, r, "failed to apply '%s'", what);
        if (c->process->no_new_privileges)
                load_seccomp(a->sync_fd, c);
}

_noreturn_ static void child_main(const ChildArgs *a, bool new_user_ns) {
        SyncMessage ready = {.type = SYNC_READY};
        char exe[4096], *created_state = NULL;

        child_isolate(a, new_user_ns);
        child_enter_namespaces(a);
        child_build_rootfs(a);
        child_prepare_process(a, exe, sizeof(exe));
        if (write(a->sync_fd, &ready, sizeof(ready)) != sizeof(ready))
                _exit(1);
        if (hooks_any(&a->c->hooks[OCI_HOOK_START_CONTAINER]))
                created_state = child_receive_state(a->sync_fd);
        close(a->sync_fd);
        child_exec_after_start(a, exe, created_state);
}

/* Joins the PID and time namespaces given by path, and makes a new time namespace with its offsets:
 * both only take effect for the caller's children, so it is done before clone(). */
static int prepare_parent_namespaces(const OciConfig *c, ContainerError *reterr) {
        const OciNamespace *ns;

        for (int t = 0; t < 2; t++) {
                ns = oci_config_get_namespace(c, t == 0 ? OCI_NAMESPACE_PID : OCI_NAMESPACE_TIME);
                if (ns && ns->path) {
                        _cleanup_close_ int fd = open(ns->path, O_RDONLY | O_CLOEXEC);

                        if (fd < 0 || setns(fd, oci_namespace_type_to_clone_flag(ns->type)) < 0)
                                return set_error(reterr, -errno, "failed to join namespace '%s'", ns->path);
                }
        }
        ns = oci_config_get_namespace(c, OCI_NAMESPACE_TIME);
        if (ns && !ns->path) {
                char buf[128];
                int n = 0;

                if (unshare(CLONE_NEWTIME) < 0)
                        return set_error(reterr, -errno, "failed to create a time namespace");
                /* Offsets can only be written before any process is in the namespace. */
                if (c->time_offset_monotonic.set)
                        n += snprintf(buf + n,
                                      sizeof(buf) - n,
                                      "monotonic %lld %u\n",
                                      (long long) c->time_offset_monotonic.secs,
                                      c->time_offset_monotonic.nanosecs);
                if (c->time_offset_boottime.set)
                        n += snprintf(buf + n,
                                      sizeof(buf) - n,
                                      "boottime %lld %u\n",
                                      (long long) c->time_offset_boottime.secs,
                                      c->time_offset_boottime.nanosecs);
                if (n > 0) {
                        _cleanup_close_ int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);

                        if (fd < 0 || write(fd, buf, n) != n)
                                return set_error(reterr, -errno, "failed to set the time namespace offsets");
                }
        }
        return 0;
}

static unsigned long new_namespace_flags(const OciConfig *c) {
        unsigned long flags = 0;

        for (size_t i = 0; i < c->n_namespaces; i++)
                if (!c->namespaces[i].path && c->namespaces[i].type != OCI_NAMESPACE_TIME)
                        flags |= (unsigned long) oci_namespace_type_to_clone_flag(c->namespaces[i].type);
        return flags;
}

static int write_pid_file(const char *path, pid_t pid) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;

        if (asprintf(&tmp, "%s.tmp", path) < 0)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        if (dprintf(fd, "%d", (int) pid) < 0 || fsync(fd) < 0 || rename(tmp, path) < 0)
                return -errno;
        return 0;
}

/* Runs hooks of the runtime's own (createRuntime, prestart, poststart, poststop) with the state as of
 * status. */
static int run_runtime_hooks(const OciConfig *c,
                             OciHookKind kind,
                             const ContainerState *s,
                             ContainerStatus status,
                             ContainerError *reterr) {
        _cleanup_free_ char *json = NULL;
        const char *what = NULL;
        int exit_status = 0, r;

        if (!hooks_any(&c->hooks[kind]))
                return 0;
        r = container_state_to_oci_json(s, status, &json);
        if (r < 0)
                return set_error(reterr, r, "failed to format the state for the hooks");
        r = hooks_run(&c->hooks[kind], json, NULL, &what, &exit_status);
        if (r == -ECHILD)
                return set_error(reterr,
                                 -EIO,
                                 "%s hook '%s' failed with status %d",
                                 oci_hook_kind_to_string(kind),
                                 what,
                                 exit_status);
        if (r < 0)
                return set_error(reterr, r, "%s hook '%s' failed", oci_hook_kind_to_string(kind), what);
        return 0;
}

static int send_state(int fd, const ContainerState *s, ContainerStatus status) {
        _cleanup_free_ char *json = NULL;
        int r;

        r = container_state_to_oci_json(s, status, &json);
        if (r < 0)
                return r;
        if (strlen(json) > STATE_JSON_MAX)
                return -E2BIG;
        return write(fd, json, strlen(json)) < 0 ? -errno : 0;
}

/* Reads the first process's messages until it is ready, running the hooks it stops for. */
static int
wait_until_ready(int sync_fd, const OciConfig *c, const ContainerState *s, ContainerError *reterr) {
        for (;;) {
                SyncMessage m = {};
                ssize_t n = RETRY_ON_EINTR(read(sync_fd, &m, sizeof(m)));
                int r;

                if (n != (ssize_t) sizeof(m))
                        return set_error(reterr, -EIO, "the container's process died while setting up");
                if (m.type == SYNC_READY)
                        return 0;
                if (m.type != SYNC_HOOKS)
                        return set_error(reterr, m.error > 0 ? -m.error : -EIO, "%s", m.text);

                /* prestart is the deprecated name of createRuntime; the spec runs it first. */
                r = run_runtime_hooks(c, OCI_HOOK_PRESTART, s, CONTAINER_CREATING, reterr);
                if (r >= 0)
                        r = run_runtime_hooks(c, OCI_HOOK_CREATE_RUNTIME, s, CONTAINER_CREATING, reterr);
                if (r < 0)
                        return r;
                r = send_state(sync_fd, s, CONTAINER_CREATING);
                if (r < 0)
                        return set_error(reterr, r, "failed to send the state to the container's process");
        }
}

static bool needs_parent_namespaces(const OciConfig *c) {
        const OciNamespace *pid = oci_config_get_namespace(c, OCI_NAMESPACE_PID);

        return (pid && pid->path) || oci_config_get_namespace(c, OCI_NAMESPACE_TIME);
}

typedef struct HelperReport {
        pid_t pid;
        int error;
        ContainerError text;
} HelperReport;

/* clone() rather than unshare(): CLONE_NEWPID makes the child PID 1 at once. Without CLONE_VM it
 * returns twice like fork(). */
static pid_t clone_raw(unsigned long flags) {
        return (pid_t) syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

/* Clones the first process into its new namespaces. PID and time namespaces to join or make apply to
 * the children of whoever joins or makes them; rather than moving the runtime itself (whose later work,
 * and LeakSanitizer's tracer at exit, would then run in them), a short-lived helper does it and clones
 * the first process as the runtime's child (CLONE_PARENT). Returns the pid or -errno with reterr. */
static pid_t clone_first_process(const ChildArgs *a, unsigned long flags, ContainerError *reterr) {
        _cleanup_close_ int read_fd = -EBADF, write_fd = -EBADF;
        HelperReport report = {.pid = -1, .error = -EIO};
        int fds[2];
        pid_t pid, helper;

        if (!needs_parent_namespaces(a->c)) {
                pid = clone_raw(flags);
                if (pid == 0)
                        child_main(a, flags & CLONE_NEWUSER);
                return pid < 0 ? set_error(reterr, -errno, "failed to create the container's process") : pid;
        }

        if (pipe2(fds, O_CLOEXEC) < 0)
                return set_error(reterr, -errno, "failed to create a pipe");
        read_fd = fds[0];
        write_fd = fds[1];
        helper = fork();
        if (helper < 0)
                return set_error(reterr, -errno, "failed to fork");
        if (helper == 0) {
                report.error = prepare_parent_namespaces(a->c, &report.text);
                if (report.error >= 0) {
                        report.pid = clone_raw(flags | CLONE_PARENT);
                        if (report.pid == 0)
                                child_main(a, flags & CLONE_NEWUSER);
                        if (report.pid < 0)
                                report.error = set_error(
                                        &report.text, -errno, "failed to create the container's process");
                }
                (void) !write(write_fd, &report, sizeof(report));
                _exit(0);
        }
        write_fd = safe_close(write_fd);
        if (RETRY_ON_EINTR(read(read_fd, &report, sizeof(report))) != (ssize_t) sizeof(report))
                report.error = set_error(&report.text, -EIO, "the helper process died");
        (void) RETRY_ON_EINTR(waitpid(helper, NULL, 0));
        if (report.error < 0) {
                *reterr = report.text;
                return report.error;
        }
        return report.pid;
}

/* What an EINVAL from opening source likely means: a filesystem (or kernel) that cannot idmap, as runc and
 * crun say; or, for a bind without MS_REC in a user namespace, locked mounts below the source, which the
 * bind would uncover. */
static const char *source_einval_hint(const OciConfig *c, const char *source) {
        for (size_t i = 0; i < c->n_mounts; i++) {
                if (c->mounts[i].source != source)
                        continue;
                if (oci_mount_is_idmapped(&c->mounts[i]))
                        return " (maybe its filesystem does not support idmapped mounts on this kernel)";
                if (!(c->mounts[i].parsed.flags & MS_REC))
                        return " (in a user namespace, a source with mounts below it needs rbind: a bind would "
                               "uncover what they hide)";
        }
        return "";
}

/* Lets the first process go on, blocked until then in mount_sources_receive(): writes its user namespace's
 * id maps, then opens the mount sources with the host root's credentials and sends them
 * (mount-source.h). */
static int
release_first_process(int sync_fd, pid_t pid, const OciConfig *c, bool new_user_ns, ContainerError *reterr) {
        const char *what = NULL;
        int r;

        if (new_user_ns) {
                r = userns_write_map(pid, "uid_map", c->uid_mappings, c->n_uid_mappings);
                if (r >= 0)
                        r = userns_write_map(pid, "gid_map", c->gid_mappings, c->n_gid_mappings);
                if (r < 0)
                        return set_error(reterr, r, "failed to write the user namespace's id maps");
        }
        r = mount_sources_send(c, pid, sync_fd, &what);
        if (r < 0)
                return set_error(reterr,
                                 r,
                                 "failed to open the bind mount source '%s'%s",
                                 what,
                                 r == -EINVAL ? source_einval_hint(c, what) : "");
        return 0;
}

/* Starts the first process (s->init.pid is set as soon as it exists) in its cgroup with the limits applied,
 * before it does anything of the container's: it enters the group made for it first of all, or, with the
 * systemd driver, waits while we put it in (containers/crun:src/libcrun/container.c
 * libcrun_container_run_internal enters the cgroup right after the clone, and
 * opencontainers/runc:libcontainer/process_linux.go applies it before it lets runc init go on); then
 * waits for its "ready". Returns the sync socket, kept for the startContainer hooks' state, or -errno
 * with reterr. */
static int spawn_first_process(const ContainerOptions *o,
                               const OciConfig *c,
                               int fifo_fd,
                               ContainerState *s,
                               ContainerCgroup *cgroup,
                               ContainerError *reterr) {
        _cleanup_close_ int parent_fd = -EBADF, child_fd = -EBADF;
        unsigned long flags = new_namespace_flags(c);
        size_t n_sources = mount_sources_count(c);
        bool use_cgroup = container_cgroup_wanted(c, o->no_cgroup, o->systemd_cgroup);
        _cleanup_free_ int *sources = NULL;
        int fds[2], r;
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
                return set_error(reterr, -errno, "failed to create a socket pair");
        parent_fd = fds[0];
        child_fd = fds[1];
        /* Allocated here: the first process may not malloc() between clone() and exec. */
        if (n_sources > 0) {
                sources = malloc(n_sources * sizeof(int));
                if (!sources)
                        return set_error(reterr, -ENOMEM, "failed to allocate the mount sources");
                for (size_t i = 0; i < n_sources; i++)
                        sources[i] = -EBADF;
        }

        ChildArgs a = {
                .o = o,
                .c = c,
                .sync_fd = child_fd,
                .fifo_fd = fifo_fd,
                .sources = sources,
                .n_sources = n_sources,
                .new_cgroup_ns = flags & CLONE_NEWCGROUP,
        };
        flags &= ~(unsigned long) CLONE_NEWCGROUP;
        /* The cgroupfs drivers' group is made before the process, which enters it itself (cgroup_enter()
         * says why that is faster); the systemd driver makes its scope around the process. */
        if (use_cgroup && !o->systemd_cgroup) {
                r = container_cgroup_create(c, o->id, false, 0, cgroup, reterr->text, sizeof(reterr->text));
                if (r < 0)
                        return r;
                a.cgroup = cgroup->cg;
        }
        a.wait_release =
                (flags & CLONE_NEWUSER) || n_sources > 0 || ((use_cgroup || a.new_cgroup_ns) && !a.cgroup);
        pid = clone_first_process(&a, flags, reterr);
        if (pid < 0)
                return pid;
        child_fd = safe_close(child_fd);
        s->init.pid = pid;
        r = process_set_oom_score_adj(c->process, pid);
        if (r < 0)
                return set_error(reterr, r, "failed to set process.oomScoreAdj");
        if (use_cgroup && o->systemd_cgroup) {
                r = container_cgroup_create(
                        c, o->id, o->systemd_cgroup, pid, cgroup, reterr->text, sizeof(reterr->text));
                if (r < 0)
                        return r;
        }
        if (a.wait_release) {
                r = release_first_process(parent_fd, pid, c, flags & CLONE_NEWUSER, reterr);
                /* A process that failed before its release (to enter its cgroup) has closed its end: its
                 * own message, queued before, says why. */
                if (r == -EPIPE || r == -ECONNRESET)
                        (void) wait_until_ready(parent_fd, c, s, reterr);
                if (r < 0)
                        return r;
        }
        r = wait_until_ready(parent_fd, c, s, reterr);
        if (r < 0)
                return r;
        return TAKE_FD(parent_fd);
}

static ContainerState *state_new(const ContainerOptions *o, const OciConfig *c) {
        _cleanup_(container_state_freep) ContainerState *s = calloc(1, sizeof(ContainerState));

        if (!s || !(s->id = strdup(o->id)) || !(s->bundle = strdup(o->bundle)) ||
            !(s->rootfs = strdup(o->rootfs)) || !(s->owner = strdup("")) || rfc3339_now(&s->created) < 0)
                return NULL;
        s->annotations = calloc(2 * c->n_annotations + 1, sizeof(char *));
        if (!s->annotations)
                return NULL;
        for (size_t i = 0; i < c->n_annotations; i++) {
                s->annotations[2 * i] = strdup(c->annotations[i].key);
                s->annotations[2 * i + 1] = strdup(c->annotations[i].value);
                if (!s->annotations[2 * i] || !s->annotations[2 * i + 1])
                        return NULL;
        }
        return TAKE_PTR(s);
}

/* The config is kept with the state: start and delete need its hooks, and a bundle may change or go. */
static int write_config_copy(int dir_fd, const char *text, size_t len) {
        _cleanup_close_ int fd = -EBADF;

        fd = openat(dir_fd, CONFIG_COPY, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        return write(fd, text, len) == (ssize_t) len ? 0 : -EIO;
}

/* In a user namespace that maps no uid (gid), the process keeps the overflow one: refuse a process.user
 * that asks for another rather than ignore it. */
static int check_unmapped_user(const OciConfig *c, ContainerError *reterr) {
        unsigned userns = process_userns_of(c);
        const OciUser *u = &c->process->user;

        if ((userns & PROCESS_USERNS_NO_UIDS) && u->uid != 0)
                return set_error(reterr,
                                 -EINVAL,
                                 "process.user.uid is %u, but the user namespace maps no uid (no "
                                 "linux.uidMappings): the process can only keep the overflow uid",
                                 (unsigned) u->uid);
        if ((userns & PROCESS_USERNS_NO_GIDS) && (u->gid != 0 || u->n_additional_gids > 0))
                return set_error(
                        reterr,
                        -EINVAL,
                        "process.user asks for gid %u or additionalGids, but the user namespace maps "
                        "no gid (no linux.gidMappings): the process can only keep the overflow gid",
                        (unsigned) u->gid);
        return 0;
}

int container_create(int root_fd,
                     const ContainerOptions *o,
                     const OciConfig *c,
                     pid_t *ret_pid,
                     ContainerCgroup *ret_cgroup,
                     ContainerError *reterr) {
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_(container_cgroup_done) ContainerCgroup cgroup = {};
        _cleanup_close_ int dir_fd = -EBADF, fifo_fd = -EBADF, sync_fd = -EBADF;
        int r;

        if (!c->process)
                return set_error(reterr, -EINVAL, "config.json has no 'process' to run");
        r = check_unmapped_user(c, reterr);
        if (r < 0)
                return r;
        s = state_new(o, c);
        if (!s)
                return set_error(reterr, -ENOMEM, "failed to record the state");
        r = state_dir_create(root_fd, o->id, &dir_fd);
        if (r == -EEXIST)
                return set_error(reterr, r, "container '%s' already exists", o->id);
        if (r < 0)
                return set_error(reterr, r, "failed to create the state directory");

        r = write_config_copy(dir_fd, o->config_json, o->config_json_len);
        if (r < 0) {
                set_error(reterr, r, "failed to keep a copy of the config");
                goto fail;
        }
        r = exec_fifo_create(dir_fd, &fifo_fd);
        if (r < 0) {
                set_error(reterr, r, "failed to create '%s'", EXEC_FIFO);
                goto fail;
        }
        r = sync_fd = spawn_first_process(o, c, fifo_fd, s, &cgroup, reterr);
        if (r < 0)
                goto fail;

        r = cgroup.cg ? container_cgroup_paths(&cgroup, &s->cgroup_paths) : 0;
        if (r >= 0 && cgroup.cg && cgroup_get_freeze_file(cgroup.cg, &s->freeze_file) == -ENOMEM)
                r = -ENOMEM; /* -EOPNOTSUPP: no freezer, never paused */
        if (r >= 0)
                r = pidref_read_start_time(s->init.pid, &s->init.start_time);
        if (r >= 0)
                r = state_write(dir_fd, s);
        if (r >= 0 && o->pid_file)
                r = write_pid_file(o->pid_file, s->init.pid);
        if (r < 0) {
                set_error(reterr, r, "failed to record the state");
                goto fail;
        }
        if (hooks_any(&c->hooks[OCI_HOOK_START_CONTAINER])) {
                r = send_state(sync_fd, s, CONTAINER_CREATED);
                if (r < 0) {
                        set_error(reterr, r, "failed to send the state to the container's process");
                        goto fail;
                }
        }
        *ret_pid = s->init.pid;
        /* Not a systemd scope's: its bus connection would stay open while the container runs, and a bus
         * allows a uid only so many (STYLE.md, 6.). */
        if (ret_cgroup && !o->systemd_cgroup) {
                *ret_cgroup = cgroup;
                cgroup = (ContainerCgroup){};
        }
        return 0;

fail:
        if (s->init.pid > 0) {
                kill(s->init.pid, SIGKILL);
                waitpid(s->init.pid, NULL, 0);
        }
        if (cgroup.cg)
                (void) cgroup_destroy(cgroup.cg, NULL);
        (void) state_dir_remove(root_fd, o->id, dir_fd);
        return r;
}

int container_remove_cgroup(int dir_fd, ContainerCgroup *created, ContainerError *reterr) {
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_(container_cgroup_done) ContainerCgroup cgroup = {};
        int r;

        if (created && created->cg)
                return container_cgroup_destroy(created, reterr->text, sizeof(reterr->text));
        r = state_read(dir_fd, &s);
        if (r < 0)
                return set_error(reterr, r, "failed to read the state");
        if (!s->cgroup_paths)
                return 0;
        r = container_cgroup_open_unit(s->cgroup_paths, s->id, &cgroup, reterr->text, sizeof(reterr->text));
        if (r == -ENOENT)
                return 0; /* gone already (a scope: collected by systemd once empty) */
        if (r < 0)
                return r;
        return container_cgroup_destroy(&cgroup, reterr->text, sizeof(reterr->text));
}

int container_load_config(int dir_fd, OciConfig **ret) {
        return oci_config_parse_file(dir_fd, CONFIG_COPY, ret, NULL);
}

int container_load_config_resources(int dir_fd, json_t **ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t len = 0;

        fd = openat(dir_fd, CONFIG_COPY, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_size > OCI_CONFIG_SIZE_MAX)
                return -EBADMSG; /* we wrote it at create: a regular file, no larger than a config */
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (len < (size_t) st.st_size) {
                ssize_t n = RETRY_ON_EINTR(read(fd, buf + len, (size_t) st.st_size - len));

                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        return oci_resources_of_config(buf, len, ret);
}

int container_start(int dir_fd, const OciConfig *config, ContainerError *reterr) {
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_(oci_config_freep) OciConfig *loaded = NULL;
        _cleanup_close_ int pidfd = -EBADF;
        const OciConfig *c = config;
        int r;

        r = state_read(dir_fd, &s);
        if (r < 0)
                return set_error(reterr, r, "failed to read the state");
        if (s->started)
                return set_error(reterr, -EALREADY, "container '%s' has already been started", s->id);
        r = pidref_open(&s->init, &pidfd);
        if (r < 0)
                return set_error(reterr, -ESRCH, "container '%s' is stopped", s->id);
        if (!c) {
                r = container_load_config(dir_fd, &loaded);
                if (r < 0)
                        return set_error(reterr, r, "failed to read the container's config");
                c = loaded;
        }

        r = exec_fifo_release(dir_fd, pidfd);
        if (r == -ESRCH)
                return set_error(reterr, r, "container '%s' exited before it started", s->id);
        if (r < 0)
                return set_error(
                        reterr, r, "failed to let container '%s' start through '%s'", s->id, EXEC_FIFO);
        s->started = true;
        r = state_write(dir_fd, s);
        if (r < 0)
                return set_error(reterr, r, "failed to record the state");
        /* The spec: a failing poststart hook is only a warning; the container runs on. */
        return run_runtime_hooks(c, OCI_HOOK_POSTSTART, s, CONTAINER_RUNNING, reterr) < 0 ? 1 : 0;
}

int container_run_poststop(int dir_fd, const OciConfig *config, ContainerError *reterr) {
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_(oci_config_freep) OciConfig *loaded = NULL;
        const OciConfig *c = config;
        int r;

        /* No hooks to run: the state they would be given need not be read either. */
        if (c && !hooks_any(&c->hooks[OCI_HOOK_POSTSTOP]))
                return 0;
        r = state_read(dir_fd, &s);
        if (r < 0)
                return set_error(reterr, r, "failed to read the state");
        if (!c) {
                r = container_load_config(dir_fd, &loaded);
                if (r < 0)
                        return set_error(reterr, r, "failed to read the container's config");
                c = loaded;
        }
        return run_runtime_hooks(c, OCI_HOOK_POSTSTOP, s, CONTAINER_STOPPED, reterr);
}
