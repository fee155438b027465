#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "process.h"
#include "stdio-owner.h"

static int write_file(const char *path, const char *value) {
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(value);

        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (write(fd, value, len) != (ssize_t) len)
                return errno ? -errno : -EIO;
        return 0;
}

static int apply_rlimits(const OciProcess *p, const char **reterr_what) {
        for (size_t i = 0; i < p->n_rlimits; i++) {
                struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};

                *reterr_what = "process.rlimits";
                if (setrlimit(p->rlimits[i].resource, &rl) < 0)
                        return -errno;
        }
        return 0;
}

static int drop_bounding_set(const OciCapabilities *caps) {
        for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
                if (caps->sets[OCI_CAPABILITY_BOUNDING] & (UINT64_C(1) << cap))
                        continue;
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) /* EINVAL: unknown here */
                        return -errno;
        }
        return 0;
}

static int set_capabilities(const OciCapabilities *caps) {
        static const struct {
                OciCapabilitySet set;
                cap_flag_t flag;
        } sets[] = {
                {OCI_CAPABILITY_EFFECTIVE, CAP_EFFECTIVE},
                {OCI_CAPABILITY_PERMITTED, CAP_PERMITTED},
                {OCI_CAPABILITY_INHERITABLE, CAP_INHERITABLE},
        };
        cap_t c = cap_init();
        int r = 0;

        if (!c)
                return -ENOMEM;
        for (size_t s = 0; s < ELEMENTSOF(sets); s++)
                for (cap_value_t cap = 0; cap <= CAP_LAST_CAP; cap++)
                        if (caps->sets[sets[s].set] & (UINT64_C(1) << cap))
                                cap_set_flag(c, sets[s].flag, 1, &cap, CAP_SET);
        if (cap_set_proc(c) < 0)
                r = -errno;
        cap_free(c);
        if (r < 0)
                return r;

        /* An ambient capability must be permitted and inheritable too; the kernel refuses the others
         * with EPERM, which runc's own `runc spec` config triggers (no inheritable set). Skip those, as
         * containers/crun:src/libcrun/linux.c set_ambient_caps does. */
        for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
                if ((caps->sets[OCI_CAPABILITY_AMBIENT] & (UINT64_C(1) << cap)) &&
                    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0 && errno != EPERM &&
                    errno != EINVAL)
                        return -errno;
        return 0;
}

/* A user namespace that maps no gid (uid) leaves the groups (uid) as the kernel made them: the overflow
 * ids, which cannot be changed, as the kernel refuses any id it cannot map (EINVAL). */
static int switch_user(const OciUser *u, unsigned userns) {
        if (!(userns & PROCESS_USERNS_NO_GIDS)) {
                /* In a user namespace with setgroups denied, only an empty change is allowed. */
                if (setgroups(u->n_additional_gids, u->additional_gids) < 0 &&
                    !((userns & PROCESS_USERNS) && errno == EPERM))
                        return -errno;
                if (setresgid(u->gid, u->gid, u->gid) < 0)
                        return -errno;
        }
        if (!(userns & PROCESS_USERNS_NO_UIDS) && setresuid(u->uid, u->uid, u->uid) < 0)
                return -errno;
        return 0;
}

unsigned process_userns_of(const OciConfig *c) {
        const OciNamespace *ns = oci_config_get_namespace(c, OCI_NAMESPACE_USER);

        if (!ns)
                return 0;
        if (ns->path) /* joined: its maps are its owner's business */
                return PROCESS_USERNS;
        return PROCESS_USERNS | (c->n_uid_mappings == 0 ? PROCESS_USERNS_NO_UIDS : 0) |
               (c->n_gid_mappings == 0 ? PROCESS_USERNS_NO_GIDS : 0);
}

int process_set_oom_score_adj(const OciProcess *p, pid_t pid) {
        char path[64], buf[32];

        if (!p->has_oom_score_adj)
                return 0;
        snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int) pid);
        snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
        return write_file(path, buf);
}

/* The working directory must lie inside our root: the kernel's getcwd() says "(unreachable)" (or fails
 * with ENOENT) for one outside it, such as a host directory reached through a leaked fd
 * (CVE-2024-21626; opencontainers/runc:libcontainer/init_linux.go verifyCwd). A raw syscall, since
 * glibc's wrapper may try to walk the path itself. */
static int verify_cwd(void) {
        char buf[4096];
        long n = syscall(SYS_getcwd, buf, sizeof(buf));

        if (n < 0)
                return errno == ENOENT ? -EXDEV : -errno;
        return buf[0] == '/' ? 0 : -EXDEV;
}

int process_setup(const OciProcess *p, unsigned userns, const char **reterr_what) {
        int r;

        r = apply_rlimits(p, reterr_what);
        if (r < 0)
                return r;
        if (p->has_capabilities) {
                *reterr_what = "process.capabilities.bounding";
                r = drop_bounding_set(&p->capabilities);
                if (r < 0)
                        return r;
        }

        /* Keep the permitted set across the change from uid 0, then set what the config asks. */
        *reterr_what = "process.user";
        /* An uid the namespace does not map cannot own anything (chown says EINVAL). */
        r = userns & PROCESS_USERNS_NO_UIDS ? 0 : stdio_give_to_user(p);
        if (r < 0)
                return r;
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return -errno;
        r = switch_user(&p->user, userns);
        if (r < 0)
                return r;
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return -errno;
        if (p->has_capabilities) {
                *reterr_what = "process.capabilities";
                r = set_capabilities(&p->capabilities);
                if (r < 0)
                        return r;
        }

        *reterr_what = p->cwd;
        if (chdir(p->cwd) < 0)
                return -errno;
        r = verify_cwd();
        if (r < 0)
                return r;
        if (p->user.has_umask)
                umask(p->user.umask);
        if (p->no_new_privileges) {
                *reterr_what = "process.noNewPrivileges";
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        return -errno;
        }
        return 0;
}

static const char *env_path(char **env) {
        for (char **e = env; e && *e; e++)
                if (strncmp(*e, "PATH=", 5) == 0)
                        return *e + 5;
        return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

static int check_executable(const char *path) {
        struct stat st;

        if (stat(path, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EACCES;
        return access(path, X_OK) < 0 ? -errno : 0;
}

int process_find_executable(const OciProcess *p, char *buf, size_t len) {
        const char *name = p->args[0], *path;
        int r, best = -ENOENT;

        if (strchr(name, '/')) {
                if ((size_t) snprintf(buf, len, "%s", name) >= len)
                        return -ENAMETOOLONG;
                return check_executable(buf);
        }
        for (path = env_path(p->env); path;) {
                const char *colon = strchr(path, ':');
                size_t dir_len = colon ? (size_t) (colon - path) : strlen(path);

                if ((size_t) snprintf(buf, len, "%.*s%s%s", (int) dir_len, path, dir_len ? "/" : "", name) <
                    len) {
                        r = check_executable(buf);
                        if (r == 0)
                                return 0;
                        if (r == -EACCES)
                                best = r;
                }
                path = colon ? colon + 1 : NULL;
        }
        return best;
}

int process_set_names(const OciConfig *c, const char **reterr_what) {
        if (c->hostname && sethostname(c->hostname, strlen(c->hostname)) < 0)
                return *reterr_what = "hostname", -errno;
        if (c->domainname && setdomainname(c->domainname, strlen(c->domainname)) < 0)
                return *reterr_what = "domainname", -errno;
        return 0;
}

/* The container's /proc, made sure of: a procfs reached through no symlink. An image whose /proc is a
 * symlink (to a volume, say) would otherwise receive the writes meant for the kernel: sysctls silently
 * unset, an AppArmor profile silently not applied (opencontainers/runc CVE-2019-19921's class).
 * -ENOMEDIUM where /proc is not a procfs. */
static int open_proc(void) {
        struct open_how how = {
                .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                .resolve = RESOLVE_NO_SYMLINKS,
        };
        struct statfs sfs;
        int fd;

        fd = (int) syscall(SYS_openat2, AT_FDCWD, "/proc", &how, sizeof(how));
        if (fd < 0)
                return errno == ENOENT || errno == ELOOP ? -ENOMEDIUM : -errno;
        if (fstatfs(fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC) {
                safe_close(fd);
                return -ENOMEDIUM;
        }
        return fd;
}

/* Writes value to path below proc_fd, through no symlink and on no other mount. */
static int write_proc_file(int proc_fd, const char *path, const char *value) {
        struct open_how how = {
                .flags = O_WRONLY | O_CLOEXEC | O_NOCTTY,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV,
        };
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(value);

        fd = (int) syscall(SYS_openat2, proc_fd, path, &how, sizeof(how));
        if (fd < 0)
                return -errno;
        if (write(fd, value, len) != (ssize_t) len)
                return errno ? -errno : -EIO;
        return 0;
}

int process_apply_sysctl(const OciConfig *c, const char **reterr_what) {
        _cleanup_close_ int proc_fd = -EBADF;

        for (size_t i = 0; i < c->n_sysctl; i++) {
                char path[512];
                int r;

                *reterr_what = c->sysctl[i].key;
                /* net.ipv4.ip_forward -> sys/net/ipv4/ip_forward; no '/' may walk out of /proc/sys. */
                if (strchr(c->sysctl[i].key, '/') || strstr(c->sysctl[i].key, ".."))
                        return -EINVAL;
                if (proc_fd < 0) {
                        proc_fd = open_proc();
                        if (proc_fd < 0)
                                return proc_fd;
                }
                snprintf(path, sizeof(path), "sys/%s", c->sysctl[i].key);
                for (char *p = path + strlen("sys/"); *p; p++)
                        if (*p == '.')
                                *p = '/';
                r = write_proc_file(proc_fd, path, c->sysctl[i].value);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* AppArmor: the profile applies at the next exec (/proc/self/attr/apparmor/exec, Linux 5.8; the older
 * /proc/self/attr/exec before), as runc's libcontainer/apparmor does. Asked for where AppArmor is off,
 * it is an error, not a silent no-op. */
int process_apply_apparmor(const OciProcess *p, const char **reterr_what) {
        _cleanup_close_ int fd = -EBADF, proc_fd = -EBADF;
        char path[64];
        char enabled = 'N', buf[4096];
        int n;

        if (!p->apparmor_profile)
                return 0;
        *reterr_what = p->apparmor_profile;
        fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, &enabled, 1) != 1 || enabled != 'Y')
                return -EOPNOTSUPP;
        n = snprintf(buf, sizeof(buf), "exec %s", p->apparmor_profile);
        if (n < 0 || (size_t) n >= sizeof(buf))
                return -ENAMETOOLONG;
        proc_fd = open_proc();
        if (proc_fd < 0)
                return proc_fd;
        /* Our pid's directory, not "self", which is a symlink. */
        snprintf(path, sizeof(path), "%d/attr/apparmor/exec", (int) getpid());
        if (write_proc_file(proc_fd, path, buf) < 0) {
                snprintf(path, sizeof(path), "%d/attr/exec", (int) getpid());
                return write_proc_file(proc_fd, path, buf);
        }
        return 0;
}
