/* `tether exec ID CMD...`: runs another process in a running container, with runc's options and exit
 * codes (opencontainers/runc:exec.go: the process's status, or 255 with "exec failed: ..." when it could
 * not be started; podman and containerd read both). */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "console.h"
#include "container.h"
#include "container-cgroup.h"
#include "fd-util.h"
#include "log.h"
#include "macro.h"
#include "oci-config.h"
#include "pidfd-util.h"
#include "process.h"
#include "process-env.h"
#include "seccomp-filter.h"
#include "state.h"

#define EXEC_USAGE                                                                                                                    \
        "[--process FILE] [--tty --console-socket SOCKET] [--cwd DIR] [--env K=V]... [--user UID[:GID]] [--additional-gids GID]...\n" \
        "                   [--cap CAP]... [--no-new-privs[=BOOL]] [--detach] [--pid-file FILE] [--preserve-fds N]\n"                 \
        "                   [--ignore-paused] ID [--] [COMMAND [ARGS...]]"
#define EXEC_FAILED 255

typedef struct ExecArgs {
        const char *process_file;
        const char *cwd;
        const char *user;
        const char *pid_file;
        const char *console_socket;
        bool tty;
        json_t *env, *caps, *gids; /* arrays */
        int no_new_privs; /* -1: not given, the config's holds; else the flag's value */
        bool detach;
        bool ignore_paused;
        bool help; /* -h or --help: the usage is printed, nothing else to do */
        unsigned preserve_fds;
        const char *id;
        char **command;
} ExecArgs;

enum {
        OPT_CWD = 0x100,
        OPT_PID_FILE,
        OPT_NO_NEW_PRIVS,
        OPT_PRESERVE_FDS,
        OPT_CONSOLE_SOCKET,
        OPT_IGNORE_PAUSED,
};

/* A boolean flag's value as runc's CLI library takes it (Go's strconv.ParseBool): 1, 0, or -EINVAL. */
static int parse_bool(const char *s) {
        static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
        static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcmp(s, yes[i]) == 0)
                        return 1;
                if (strcmp(s, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

static int parse_exec_args(int argc, char **argv, ExecArgs *a) {
        static const struct option options[] = {
                {"process", required_argument, NULL, 'p'},
                {"cwd", required_argument, NULL, OPT_CWD},
                {"env", required_argument, NULL, 'e'},
                {"user", required_argument, NULL, 'u'},
                {"additional-gids", required_argument, NULL, 'g'},
                {"cap", required_argument, NULL, 'c'},
                {"no-new-privs", optional_argument, NULL, OPT_NO_NEW_PRIVS},
                {"detach", no_argument, NULL, 'd'},
                {"pid-file", required_argument, NULL, OPT_PID_FILE},
                {"preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS},
                {"tty", no_argument, NULL, 't'},
                {"console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET},
                {"ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED},
                {"help", no_argument, NULL, 'h'},
                {}};
        char *end;
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+:p:e:u:g:c:dth", options, NULL)) >= 0)
                switch (c) {
                case 'p':
                        a->process_file = optarg;
                        break;
                case OPT_CWD:
                        a->cwd = optarg;
                        break;
                case 'e':
                        if (!strchr(optarg, '='))
                                return cli_usage_error(
                                        "exec", EXEC_USAGE, "invalid --env '%s': expected K=V", optarg);
                        json_array_append_new(a->env, json_string(optarg));
                        break;
                case 'u':
                        a->user = optarg;
                        break;
                case 'g':
                        errno = 0;
                        json_array_append_new(a->gids, json_integer(strtol(optarg, &end, 10)));
                        if (errno || *end || *optarg == '-')
                                return cli_usage_error(
                                        "exec", EXEC_USAGE, "invalid --additional-gids '%s'", optarg);
                        break;
                case 'c':
                        json_array_append_new(a->caps, json_string(optarg));
                        break;
                case OPT_NO_NEW_PRIVS:
                        a->no_new_privs = optarg ? parse_bool(optarg) : 1;
                        if (a->no_new_privs < 0)
                                return cli_usage_error(
                                        "exec", EXEC_USAGE, "invalid --no-new-privs '%s'", optarg);
                        break;
                case 'd':
                        a->detach = true;
                        break;
                case OPT_PID_FILE:
                        a->pid_file = optarg;
                        break;
                case OPT_PRESERVE_FDS:
                        errno = 0;
                        a->preserve_fds = (unsigned) strtoul(optarg, &end, 10);
                        if (errno || *end || *optarg == '-' || a->preserve_fds > 1024)
                                return cli_usage_error(
                                        "exec", EXEC_USAGE, "invalid --preserve-fds '%s'", optarg);
                        break;
                case 't':
                        a->tty = true;
                        break;
                case OPT_CONSOLE_SOCKET:
                        a->console_socket = optarg;
                        break;
                case OPT_IGNORE_PAUSED:
                        a->ignore_paused = true;
                        break;
                case 'h':
                        a->help = true;
                        return cli_help("exec", EXEC_USAGE);
                case ':':
                        return cli_usage_error(
                                "exec", EXEC_USAGE, "option '%s' needs an argument", argv[optind - 1]);
                default:
                        return cli_usage_error("exec", EXEC_USAGE, "unknown option '%s'", argv[optind - 1]);
                }
        if (optind >= argc)
                return cli_usage_error("exec", EXEC_USAGE, "expected a container id");
        a->id = argv[optind++];
        if (optind < argc && strcmp(argv[optind], "--") == 0)
                optind++;
        a->command = argv + optind;
        if (!a->process_file && !a->command[0])
                return cli_usage_error("exec", EXEC_USAGE, "expected a command or --process FILE");
        return 0;
}

static int set_user(json_t *process, const char *user) {
        unsigned long uid, gid;
        char *end;

        errno = 0;
        uid = strtoul(user, &end, 10);
        gid = uid;
        if (!errno && end != user && *end == ':') {
                const char *g = end + 1;

                gid = strtoul(g, &end, 10);
                if (end == g)
                        return -EINVAL;
        }
        if (errno || end == user || *end || *user == '-' || uid >= UINT32_MAX || gid >= UINT32_MAX)
                return -EINVAL;
        json_object_set_new(
                process, "user", json_pack("{s:I, s:I}", "uid", (json_int_t) uid, "gid", (json_int_t) gid));
        return 0;
}

static void add_capabilities(json_t *process, json_t *caps) {
        static const char *const sets[] = {"bounding", "effective", "permitted", "ambient"};
        json_t *c = json_object_get(process, "capabilities"), *name;
        size_t i;

        if (!json_is_object(c)) {
                c = json_object();
                json_object_set_new(process, "capabilities", c);
        }
        for (size_t s = 0; s < ELEMENTSOF(sets); s++) {
                json_t *set = json_object_get(c, sets[s]);

                if (!json_is_array(set)) {
                        set = json_array();
                        json_object_set_new(c, sets[s], set);
                }
                json_array_foreach(caps, i, name) json_array_append(set, name);
        }
}

/* The exec'd process: the container's own, adjusted by the options, or --process FILE; checked by the
 * same parser as config.json, with the container's config around it. */
static int load_exec_config(int dir_fd, const ExecArgs *a, OciConfig **ret) {
        _cleanup_free_ char *text = NULL;
        OciError error = {};
        json_t *config, *process;
        json_error_t jerr;
        int r;

        errno = 0;
        config = json_load_at(dir_fd, "config.json", &jerr);
        if (!config && errno != 0)
                return log_error_errno(errno, "container '%s': failed to read its config", a->id);
        if (!config)
                return log_error("container '%s': its config is unreadable: %s", a->id, jerr.text), -EINVAL;
        json_object_del(config, "hooks"); /* hooks are the container's, not an exec's */

        if (a->process_file) {
                process = json_load_file(a->process_file, 0, &jerr);
                if (!process) {
                        json_decref(config);
                        return log_error("%s:%d:%d: %s", a->process_file, jerr.line, jerr.column, jerr.text),
                               -EINVAL;
                }
                json_object_set_new(config, "process", process);
        } else {
                json_t *args = json_array(), *env;

                process = json_object_get(config, "process");
                for (char **c = a->command; *c; c++)
                        json_array_append_new(args, json_string(*c));
                json_object_set_new(process, "args", args);
                env = json_object_get(process, "env");
                if (!json_is_array(env))
                        json_object_set_new(process, "env", env = json_array());
                json_array_extend(env, a->env);
                if (a->cwd)
                        json_object_set_new(process, "cwd", json_string(a->cwd));
                if (a->user && set_user(process, a->user) < 0) {
                        json_decref(config);
                        return log_error("invalid --user '%s': expected UID[:GID]", a->user), -EINVAL;
                }
                if (json_array_size(a->gids) > 0)
                        json_object_set(json_object_get(process, "user"), "additionalGids", a->gids);
                if (json_array_size(a->caps) > 0)
                        add_capabilities(process, a->caps);
                /* As runc exec (opencontainers/runc:exec.go getProcess): config.json's process, its
                 * noNewPrivileges replaced only when the flag is given; a --process FILE as it is. */
                if (a->no_new_privs >= 0)
                        json_object_set_new(process, "noNewPrivileges", json_boolean(a->no_new_privs));
                json_object_set_new(process, "terminal", json_boolean(a->tty));
        }
        text = json_dumps(config, JSON_COMPACT);
        json_decref(config);
        if (!text)
                return log_error_errno(ENOMEM, "failed to build the process"), -ENOMEM;
        r = oci_config_parse(text, strlen(text), a->process_file ?: "exec process", ret, &error);
        if (r < 0)
                return log_error("%s", error.message[0] ? error.message : strerror(-r)), r;
        return 0;
}

/* The namespaces of pid that are not ours, as CLONE_NEW* flags for setns(pidfd). */
static int foreign_namespaces(pid_t pid) {
        int flags = 0;

        for (OciNamespaceType t = 0; t < _OCI_NAMESPACE_TYPE_MAX; t++) {
                char theirs[64], ours[64];
                struct stat a, b;

                snprintf(theirs,
                         sizeof(theirs),
                         "/proc/%d/ns/%s",
                         (int) pid,
                         oci_namespace_type_to_proc_name(t));
                snprintf(ours, sizeof(ours), "/proc/self/ns/%s", oci_namespace_type_to_proc_name(t));
                if (stat(theirs, &a) == 0 && stat(ours, &b) == 0 && a.st_ino != b.st_ino)
                        flags |= oci_namespace_type_to_clone_flag(t);
        }
        return flags;
}

/* Sends the reason the process could not be started to the runtime, which logs it. */
_printf_(3, 4) _noreturn_ static void exec_child_fail(int error_fd, int error, const char *fmt, ...) {
        char msg[1024];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (error != 0 && n >= 0 && (size_t) n < sizeof(msg))
                snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(error < 0 ? -error : error));
        (void) !write(error_fd, msg, strlen(msg));
        _exit(EXEC_FAILED);
}

_noreturn_ static void
exec_child(const OciConfig *c, bool user_ns, unsigned preserve_fds, int console_fd, int error_fd) {
        const OciProcess *p = c->process;
        const char *what = NULL;
        char exe[4096];
        int r;

        r = process_find_executable(p, exe, sizeof(exe));
        if (r == -ENOENT && !strchr(p->args[0], '/'))
                exec_child_fail(
                        error_fd,
                        0,
                        "unable to start container process: exec: \"%s\": executable file not found in $PATH",
                        p->args[0]);
        if (r == -ENOENT)
                exec_child_fail(error_fd,
                                0,
                                "unable to start container process: exec: \"%s\": no such file or directory",
                                p->args[0]);
        if (r < 0)
                exec_child_fail(error_fd,
                                0,
                                "unable to start container process: exec: \"%s\": permission denied",
                                p->args[0]);
        if (p->terminal) {
                r = console_setup(p, console_fd, false, &what);
                if (r < 0)
                        exec_child_fail(error_fd, r, "failed to set up the terminal at '%s'", what);
                safe_close(console_fd);
        }
        r = process_apply_apparmor(p, &what);
        if (r == -EOPNOTSUPP)
                exec_child_fail(error_fd,
                                0,
                                "apparmorProfile '%s' is set, but AppArmor is not enabled on this host",
                                what);
        if (r == -ENOMEDIUM)
                exec_child_fail(error_fd,
                                ENOENT,
                                "apparmorProfile '%s' needs a procfs at /proc, and the container has none",
                                what);
        if (r < 0)
                exec_child_fail(error_fd, r, "failed to set apparmorProfile '%s'", what);
        if (!p->no_new_privileges && (r = seccomp_filter_load(c->seccomp, &what)) < 0)
                exec_child_fail(error_fd, r, "failed to load the seccomp filter for '%s'", what ?: "");
        r = process_setup(p, user_ns ? process_userns_of(c) | PROCESS_USERNS : 0, &what);
        if (r == -EXDEV)
                exec_child_fail(
                        error_fd, 0, "process.cwd '%s' lies outside the container's root, refusing", what);
        if (r < 0)
                exec_child_fail(error_fd, r, "failed to apply '%s'", what);
        if (p->no_new_privileges && (r = seccomp_filter_load(c->seccomp, &what)) < 0)
                exec_child_fail(error_fd, r, "failed to load the seccomp filter for '%s'", what ?: "");
        (void) syscall(SYS_close_range, 3 + preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
        execve(exe, p->args, p->env ?: (char *[]){NULL});
        exec_child_fail(error_fd, errno, "unable to start container process: exec: \"%s\"", p->args[0]);
}

/* Starts the process in the container's namespaces and returns its pid once it has exec'd, or -errno
 * after logging why not. A short-lived helper joins the namespaces, all at once with setns(pidfd)
 * (Linux 5.8), and clones the process as our child (CLONE_PARENT): the runtime itself stays where it is,
 * since joining a PID namespace only moves one's children anyway, and LeakSanitizer's tracer thread
 * would be lost in it. */
/* Puts the helper into the container's cgroup while it waits on go (the process it clones inherits the
 * group, as runc's setns process joins it before runc init goes on: opencontainers/runc:libcontainer/
 * process_linux.go setnsProcess.start), then lets it go. */
static int join_cgroup(char **cgroup_paths, pid_t helper, int go) {
        _cleanup_(container_cgroup_done) ContainerCgroup cgroup = {};
        const char *what = NULL;
        char error[1024];
        int r;

        if (cgroup_paths) {
                r = container_cgroup_open(cgroup_paths, &cgroup, error, sizeof(error));
                if (r < 0)
                        return log_error_errno(r, "exec failed: container's cgroup: %s", error);
                r = cgroup_attach(cgroup.cg, helper, &what);
                if (r < 0)
                        return log_error_errno(r, "exec failed: joining the container's cgroup: %s", what);
        }
        return write(go, "g", 1) == 1 ? 0 : log_error_errno(errno, "exec failed");
}

static int spawn_in_container(
        const ExecArgs *a, const OciConfig *c, int pidfd, const ContainerState *s, int console_fd) {
        _cleanup_close_ int error_read = -EBADF, error_write = -EBADF, pid_read = -EBADF, pid_write = -EBADF,
                            go_read = -EBADF, go_write = -EBADF;
        pid_t init_pid = s->init.pid;
        int flags = foreign_namespaces(init_pid), fds[2];
        pid_t helper, pid = -1;
        char msg[1024];
        ssize_t n;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return log_error_errno(errno, "exec failed");
        error_read = fds[0];
        error_write = fds[1];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return log_error_errno(errno, "exec failed");
        pid_read = fds[0];
        pid_write = fds[1];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return log_error_errno(errno, "exec failed");
        go_read = fds[0];
        go_write = fds[1];

        helper = fork();
        if (helper < 0)
                return log_error_errno(errno, "exec failed");
        if (helper == 0) {
                const int keep[] = {error_write, pid_write, console_fd, pidfd, go_read};
                char go;
                int r;

                /* Before the container's namespaces: no fd of the host's goes along, and no process of
                 * the container may open our /proc/PID/{fd,cwd,root,exe} (the process we clone inherits
                 * both; execve makes the payload dumpable again). */
                r = close_all_fds_except(3 + (int) a->preserve_fds, keep, ELEMENTSOF(keep));
                if (r < 0)
                        exec_child_fail(error_write, r, "failed to close the runtime's file descriptors");
                if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                        exec_child_fail(error_write, errno, "failed to make the process non-dumpable");
                /* In the container's cgroup before anything of the container's. */
                if (RETRY_ON_EINTR(read(go_read, &go, 1)) != 1)
                        _exit(EXEC_FAILED); /* the runtime failed, and says why */
                go_read = safe_close(go_read);
                r = process_set_oom_score_adj(c->process, getpid());
                if (r < 0)
                        exec_child_fail(error_write, r, "failed to set process.oomScoreAdj");
                if (flags != 0 && setns(pidfd, flags) < 0)
                        exec_child_fail(error_write,
                                        errno,
                                        "failed to join the namespaces of container '%s'",
                                        a->id);
                pidfd = safe_close(pidfd);
                pid = (pid_t) syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
                if (pid == 0)
                        exec_child(c, flags & CLONE_NEWUSER, a->preserve_fds, console_fd, error_write);
                if (pid < 0)
                        exec_child_fail(error_write, errno, "failed to start the process%s", "");
                (void) !write(pid_write, &pid, sizeof(pid));
                _exit(0);
        }
        error_write = safe_close(error_write);
        pid_write = safe_close(pid_write);
        go_read = safe_close(go_read);
        if (join_cgroup(s->cgroup_paths, helper, go_write) < 0) {
                go_write = safe_close(go_write); /* the helper exits */
                (void) RETRY_ON_EINTR(waitpid(helper, NULL, 0));
                return -EIO;
        }
        go_write = safe_close(go_write);
        (void) RETRY_ON_EINTR(waitpid(helper, NULL, 0));
        if (RETRY_ON_EINTR(read(pid_read, &pid, sizeof(pid))) != (ssize_t) sizeof(pid))
                pid = -1;

        /* EOF once the process has exec'd (the write end is close-on-exec), or why it could not. */
        n = RETRY_ON_EINTR(read(error_read, msg, sizeof(msg) - 1));
        if (n > 0 || pid < 0) {
                msg[n > 0 ? n : 0] = '\0';
                if (pid > 0)
                        (void) waitpid(pid, NULL, 0);
                return log_error("exec failed: %s", n > 0 ? msg : "the helper process died"), -EIO;
        }
        return pid;
}

int verb_exec(const GlobalOptions *g, int argc, char **argv) {
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_(oci_config_freep) OciConfig *c = NULL;
        _cleanup_close_ int root_fd = -EBADF, dir_fd = -EBADF, pidfd = -EBADF, pid_file_fd = -EBADF,
                            console_fd = -EBADF;
        ExecArgs a = {.env = json_array(), .caps = json_array(), .gids = json_array(), .no_new_privs = -1};
        int r, status;
        pid_t pid;

        r = parse_exec_args(argc, argv, &a);
        if (r != 0 || a.help)
                goto finish;
        r = EXEC_FAILED;
        if (cli_check_preserve_fds(g, a.preserve_fds) < 0)
                goto finish;
        if (cli_open_container(g, a.id, &root_fd, &dir_fd) < 0)
                goto finish;
        if (state_read(dir_fd, &s) < 0 || pidref_open(&s->init, &pidfd) < 0) {
                log_error("exec failed: container '%s' is not running", a.id);
                goto finish;
        }
        /* runc's words (opencontainers/runc:exec.go): the process would join a frozen group and never get
         * to exec, with this command waiting for it. */
        if (!a.ignore_paused && container_state_status(s) == CONTAINER_PAUSED) {
                log_error(
                        "exec failed: cannot exec in a paused container (use --ignore-paused to override)");
                goto finish;
        }
        if (load_exec_config(dir_fd, &a, &c) < 0)
                goto finish;
        if (process_env_set_home_of(c->process, s->init.pid, pidfd) < 0) {
                log_error("exec failed: container '%s' is not running", a.id);
                goto finish;
        }
        /* Let others use the container while this process runs; and open the pid file while its path is
         * still ours to resolve, before we enter the container's mount namespace. */
        dir_fd = safe_close(dir_fd);
        if (a.pid_file) {
                pid_file_fd = open(a.pid_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (pid_file_fd < 0) {
                        log_error_errno(errno, "exec failed: pid file '%s'", a.pid_file);
                        goto finish;
                }
        }
        if (c->process->terminal) {
                if (!a.console_socket) {
                        log_error("exec failed: a terminal needs --console-socket");
                        goto finish;
                }
                console_fd = console_socket_connect(a.console_socket);
                if (console_fd < 0) {
                        log_error_errno(console_fd, "exec failed: console socket '%s'", a.console_socket);
                        goto finish;
                }
        }
        pid = spawn_in_container(&a, c, pidfd, s, console_fd);
        if (pid < 0)
                goto finish;
        if (pid_file_fd >= 0)
                dprintf(pid_file_fd, "%d", (int) pid);
        if (a.detach) {
                r = 0;
                goto finish;
        }
        status = cli_wait_forwarding(pid);
        r = status;
finish:
        json_decref(a.env);
        json_decref(a.caps);
        json_decref(a.gids);
        return r;
}
