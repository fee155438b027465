/* `tether create`, `start` and `run`, with runc's options (opencontainers/runc:create.go, run.go). */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "console.h"
#include "container.h"
#include "id.h"
#include "log.h"
#include "macro.h"
#include "oci-config.h"
#include "oci-validate.h"
#include "pidfd-util.h"
#include "spec.h"
#include "state.h"

#define CREATE_USAGE \
        "[--bundle DIR] [--pid-file FILE] [--console-socket SOCKET] [--no-pivot] [--no-new-keyring] [--preserve-fds N] ID"
#define RUN_USAGE                                                                                                  \
        "[--bundle DIR] [--pid-file FILE] [--detach] [--keep] [--no-pivot] [--preserve-fds N] ID\n"                \
        "       tether run --rootfs DIR [--rm] [--readonly] [--hostname NAME] [--env K=V]... [--user UID[:GID]]\n" \
        "                  [--cwd DIR] [--mount SRC:DST[:ro]]... [--tmpfs DST]... [--net none|host|PATH]\n"        \
        "                  [--cap-add CAP]... [--cap-drop CAP]... [--seccomp default|unconfined|FILE]\n"           \
        "                  [--memory SIZE] [--cpus N.N] [--pids-limit N] [--cgroup-parent PATH]\n"                 \
        "                  [--init] [--detach] [ID] [--] COMMAND [ARGS...]"
#define SPEC_USAGE                                                                                                      \
        "[--bundle DIR] [--rootless] [--rootfs DIR] [--readonly] [--hostname NAME] [--env K=V]... [--user UID[:GID]]\n" \
        "                   [--cwd DIR] [--mount SRC:DST[:ro]]... [--tmpfs DST]... [--net none|host|PATH]\n"            \
        "                   [--cap-add CAP]... [--cap-drop CAP]... [--seccomp default|unconfined|FILE]\n"               \
        "                   [--memory SIZE] [--cpus N.N] [--pids-limit N] [--cgroup-parent PATH]\n"                     \
        "                   [--init] [COMMAND [ARGS...]]"
#define LIST_MAX 64

/* A bounded list for repeatable options. */
typedef struct ArgList {
        char *items[LIST_MAX + 1];
        size_t n;
} ArgList;

typedef struct CreateArgs {
        const char *bundle;
        const char *pid_file;
        const char *console_socket;
        bool no_pivot;
        bool no_new_keyring;
        bool detach;
        bool keep;
        bool help; /* -h or --help: the usage is printed, nothing else to do */
        unsigned preserve_fds;
        const char *id;
        char id_buf[32];
        /* The friendly flags of `run --rootfs`: a config built in memory, no bundle. */
        SpecOptions spec;
        bool friendly;
        ArgList env, mounts, tmpfs, cap_add, cap_drop;
        char init_path[PATH_MAX];
        const char *self_exe; /* where the tether binary was started from, or NULL */
} CreateArgs;

enum {
        OPT_PID_FILE = 0x100,
        OPT_CONSOLE_SOCKET,
        OPT_NO_PIVOT,
        OPT_NO_NEW_KEYRING,
        OPT_PRESERVE_FDS,
        OPT_KEEP,
        OPT_ROOTFS,
        OPT_READONLY,
        OPT_HOSTNAME,
        OPT_ENV,
        OPT_USER,
        OPT_CWD,
        OPT_MOUNT,
        OPT_TMPFS,
        OPT_NET,
        OPT_CAP_ADD,
        OPT_CAP_DROP,
        OPT_SECCOMP,
        OPT_INIT,
        OPT_RM,
        OPT_ROOTLESS,
        OPT_MEMORY,
        OPT_CPUS,
        OPT_PIDS_LIMIT,
        OPT_CGROUP_PARENT,
};

static int list_add(ArgList *l, char *item) {
        if (l->n >= LIST_MAX)
                return -E2BIG;
        l->items[l->n++] = item;
        return 0;
}

/* tether-init for --init: $TETHER_INIT, else beside us (installed), else in the build tree. We run from
 * a sealed copy of our binary (exe-seal.c): "beside us" is beside self_exe, where we were started. */
static int find_tether_init(const char *self_exe, char *buf, size_t len) {
        static const char *const beside[] = {
                "tether-init", "../init/static/tether-init", "../init/tether-init"};
        const char *env = getenv("TETHER_INIT");

        if (env && *env)
                return snprintf(buf, len, "%s", env) < (int) len && access(buf, X_OK) == 0 ? 0 : -ENOENT;
        for (size_t i = 0; i < ELEMENTSOF(beside); i++)
                if (cli_beside_self(self_exe, beside[i], buf, len) >= 0 && access(buf, X_OK) == 0)
                        return 0;
        return -ENOENT;
}

static int parse_user(const char *s, SpecOptions *o) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *s == '-' || v >= UINT32_MAX)
                return -EINVAL;
        o->uid = o->gid = (unsigned) v;
        if (*end == ':') {
                s = end + 1;
                v = strtoul(s, &end, 10);
                if (errno || end == s || *s == '-' || v >= UINT32_MAX)
                        return -EINVAL;
                o->gid = (unsigned) v;
        }
        if (*end)
                return -EINVAL;
        o->has_user = true;
        return 0;
}

/* docker/go-units RAMInBytes, as docker's --memory: a number with an optional b, k, m, g (binary). */
static int parse_memory(const char *s, int64_t *ret) {
        static const char units[] = "bkmgt";
        const char *u;
        char *end;
        double v;

        errno = 0;
        v = strtod(s, &end);
        if (errno || end == s || !(v > 0) || *s == '+' || *s == ' ')
                return -EINVAL;
        if (*end) {
                u = strchr(units, *end | 0x20);
                if (!u || (end[1] && !(u != units && (end[1] | 0x20) == 'b' && !end[2])))
                        return -EINVAL;
                v *= (double) (UINT64_C(1) << ((u - units) * 10));
        }
        if (v >= 9.2e18)
                return -ERANGE;
        *ret = (int64_t) v;
        return 0;
}

/* The flags of the container's cgroup (docker's names). */
static int parse_cgroup_option(int c, SpecOptions *o) {
        char *end;

        switch (c) {
        case OPT_MEMORY:
                o->has_memory = true;
                return parse_memory(optarg, &o->memory);
        case OPT_CPUS:
                errno = 0;
                o->cpus = strtod(optarg, &end);
                /* at least one 1000 µs quota (the kernel's minimum) of a 100000 µs period */
                return errno || end == optarg || *end || !(o->cpus >= 0.01) || o->cpus > 1e6 ? -EINVAL : 0;
        case OPT_PIDS_LIMIT:
                errno = 0;
                o->pids_limit = strtoll(optarg, &end, 10);
                o->has_pids_limit = o->pids_limit != 0; /* docker's: 0 and -1 are unlimited */
                return errno || end == optarg || *end || o->pids_limit < -1 ? -EINVAL : 0;
        case OPT_CGROUP_PARENT:
                o->cgroup_parent = optarg;
                return *optarg ? 0 : -EINVAL;
        }
        return -EINVAL;
}

static int parse_friendly_option(int c, CreateArgs *a) {
        SpecOptions *o = &a->spec;

        a->friendly = true;
        switch (c) {
        case OPT_ROOTFS:
                o->rootfs = optarg;
                return 0;
        case OPT_READONLY:
                o->readonly = true;
                return 0;
        case OPT_HOSTNAME:
                o->hostname = optarg;
                return 0;
        case OPT_ENV:
                return strchr(optarg, '=') ? list_add(&a->env, optarg) : -EINVAL;
        case OPT_USER:
                return parse_user(optarg, o);
        case OPT_CWD:
                o->cwd = optarg;
                return optarg[0] == '/' ? 0 : -EINVAL;
        case OPT_MOUNT:
                return list_add(&a->mounts, optarg);
        case OPT_TMPFS:
                return list_add(&a->tmpfs, optarg);
        case OPT_NET:
                if (strcmp(optarg, "none") == 0)
                        o->network = SPEC_NETWORK_NONE;
                else if (strcmp(optarg, "host") == 0)
                        o->network = SPEC_NETWORK_HOST;
                else if (optarg[0] == '/') {
                        o->network = SPEC_NETWORK_PATH;
                        o->network_path = optarg;
                } else
                        return -EINVAL;
                return 0;
        case OPT_CAP_ADD:
                return list_add(&a->cap_add, optarg);
        case OPT_CAP_DROP:
                return list_add(&a->cap_drop, optarg);
        case OPT_SECCOMP:
                o->seccomp = optarg;
                return 0;
        case 't':
                o->tty = true;
                return 0;
        case OPT_INIT:
                if (find_tether_init(a->self_exe, a->init_path, sizeof(a->init_path)) < 0)
                        return -ENOENT;
                o->init_path = a->init_path;
                return 0;
        case OPT_RM: /* the default: run removes the container when it exits, unless --keep */
                return 0;
        }
        return parse_cgroup_option(c, o);
}

static int finish_friendly_lists(CreateArgs *a);

/* After the friendly flags: [ID] [--] COMMAND [ARGS...]; without an ID one is made up. */
static int
parse_friendly_command(const char *verb, const char *usage, int argc, char **argv, CreateArgs *a) {
        bool dashdash = optind > 0 && strcmp(argv[optind - 1], "--") == 0;

        if (!a->spec.rootfs)
                return cli_usage_error(verb, usage, "the friendly flags need --rootfs DIR");
        if (!dashdash && optind < argc) {
                a->id = argv[optind++];
                if (optind < argc && strcmp(argv[optind], "--") == 0)
                        optind++;
        }
        if (!a->id) {
                snprintf(a->id_buf,
                         sizeof(a->id_buf),
                         "tether-%08x%04x",
                         (unsigned) getpid(),
                         (unsigned) (time(NULL) & 0xffff));
                a->id = a->id_buf;
        }
        if (optind >= argc)
                return cli_usage_error(verb, usage, "no command given");
        a->spec.args = argv + optind;
        return finish_friendly_lists(a);
}

static int finish_friendly_lists(CreateArgs *a) {
        a->env.items[a->env.n] = NULL;
        a->mounts.items[a->mounts.n] = NULL;
        a->tmpfs.items[a->tmpfs.n] = NULL;
        a->cap_add.items[a->cap_add.n] = NULL;
        a->cap_drop.items[a->cap_drop.n] = NULL;
        a->spec.env = a->env.items;
        a->spec.mounts = a->mounts.items;
        a->spec.tmpfs = a->tmpfs.items;
        a->spec.cap_add = a->cap_add.items;
        a->spec.cap_drop = a->cap_drop.items;
        return 0;
}

static int parse_create_args(
        const GlobalOptions *g, const char *verb, const char *usage, int argc, char **argv, CreateArgs *a) {
        static const struct option options[] = {
                {"bundle", required_argument, NULL, 'b'},
                {"pid-file", required_argument, NULL, OPT_PID_FILE},
                {"console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET},
                {"no-pivot", no_argument, NULL, OPT_NO_PIVOT},
                {"no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING},
                {"preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS},
                {"detach", no_argument, NULL, 'd'},
                {"keep", no_argument, NULL, OPT_KEEP},
                {"rootfs", required_argument, NULL, OPT_ROOTFS},
                {"readonly", no_argument, NULL, OPT_READONLY},
                {"hostname", required_argument, NULL, OPT_HOSTNAME},
                {"env", required_argument, NULL, OPT_ENV},
                {"user", required_argument, NULL, OPT_USER},
                {"cwd", required_argument, NULL, OPT_CWD},
                {"mount", required_argument, NULL, OPT_MOUNT},
                {"tmpfs", required_argument, NULL, OPT_TMPFS},
                {"net", required_argument, NULL, OPT_NET},
                {"cap-add", required_argument, NULL, OPT_CAP_ADD},
                {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
                {"seccomp", required_argument, NULL, OPT_SECCOMP},
                {"tty", no_argument, NULL, 't'},
                {"init", no_argument, NULL, OPT_INIT},
                {"rm", no_argument, NULL, OPT_RM},
                {"rootless", no_argument, NULL, OPT_ROOTLESS},
                {"memory", required_argument, NULL, OPT_MEMORY},
                {"cpus", required_argument, NULL, OPT_CPUS},
                {"pids-limit", required_argument, NULL, OPT_PIDS_LIMIT},
                {"cgroup-parent", required_argument, NULL, OPT_CGROUP_PARENT},
                {"help", no_argument, NULL, 'h'},
                {}};
        bool is_run = strcmp(verb, "run") == 0, is_spec = strcmp(verb, "spec") == 0;
        char *end;
        int c, r;

        *a = (CreateArgs){.bundle = ".", .self_exe = g->self_exe};
        optind = 0;
        int longindex = -1;

        while ((c = getopt_long(argc, argv, is_run ? "+:b:dth" : "+:b:h", options, &longindex)) >= 0)
                switch (c) {
                case 'b':
                        a->bundle = optarg;
                        break;
                case OPT_PID_FILE:
                        a->pid_file = optarg;
                        break;
                case OPT_CONSOLE_SOCKET:
                        a->console_socket = optarg;
                        break;
                case OPT_NO_PIVOT:
                        a->no_pivot = true;
                        break;
                case OPT_NO_NEW_KEYRING:
                        a->no_new_keyring = true;
                        break;
                case OPT_PRESERVE_FDS:
                        errno = 0;
                        a->preserve_fds = (unsigned) strtoul(optarg, &end, 10);
                        if (errno || *end || *optarg == '-' || a->preserve_fds > 1024)
                                return cli_usage_error(verb, usage, "invalid --preserve-fds '%s'", optarg);
                        break;
                case 'd':
                        a->detach = true;
                        break;
                case OPT_KEEP:
                        a->keep = true;
                        break;
                case OPT_ROOTLESS: /* runc's spec --rootless (opencontainers/runc:spec.go) */
                        if (!is_spec)
                                return cli_usage_error(verb, usage, "unknown option '%s'", argv[optind - 1]);
                        a->spec.rootless = true;
                        a->spec.rootless_uid = geteuid();
                        a->spec.rootless_gid = getegid();
                        break;
                case 'h':
                        a->help = true;
                        return cli_help(verb, usage);
                case ':':
                        return cli_usage_error(
                                verb, usage, "option '%s' needs an argument", argv[optind - 1]);
                case '?':
                        return cli_usage_error(verb, usage, "unknown option '%s'", argv[optind - 1]);
                default:
                        if (!is_run && !is_spec)
                                return cli_usage_error(verb, usage, "unknown option '%s'", argv[optind - 1]);
                        r = parse_friendly_option(c, a);
                        if (r == -ENOENT)
                                return cli_usage_error(
                                        verb, usage, "--init: no tether-init found; set TETHER_INIT");
                        if (r < 0)
                                return cli_usage_error(verb,
                                                       usage,
                                                       "invalid value '%s' for '--%s'",
                                                       optarg ?: "",
                                                       longindex >= 0 ? options[longindex].name : "?");
                }
        if (is_spec) {
                a->friendly = true;
                a->spec.args = optind < argc ? argv + optind : NULL;
                return finish_friendly_lists(a);
        }
        if (a->friendly)
                return parse_friendly_command(verb, usage, argc, argv, a);
        if (argc - optind != 1)
                return cli_usage_error(verb, usage, "expected exactly one container id");
        a->id = argv[optind];
        return 0;
}

/* The friendly flags' config: built as JSON, then parsed like any config.json, so it is checked the same. */
static int
load_friendly_config(const CreateArgs *a, OciConfig **ret, char **ret_text, char *bundle, char *rootfs) {
        _cleanup_free_ char *text = NULL;
        OciError parse_error = {};
        const char *what = NULL;
        json_t *spec = NULL;
        int r;

        if (!realpath(a->spec.rootfs, rootfs))
                return log_error_errno(errno, "rootfs '%s'", a->spec.rootfs);
        strcpy(bundle, rootfs);
        r = spec_build(&a->spec, &spec, &what);
        if (r < 0)
                return log_error_errno(r, "invalid value '%s'", what ?: "");
        json_object_set_new(json_object_get(spec, "root"), "path", json_string(rootfs));
        text = json_dumps(spec, JSON_COMPACT);
        json_decref(spec);
        if (!text)
                return log_error_errno(ENOMEM, "failed to build the config");
        r = oci_config_parse(text, strlen(text), "(--rootfs config)", ret, &parse_error);
        if (r < 0)
                return log_error("%s", parse_error.message[0] ? parse_error.message : strerror(-r)), r;
        *ret_text = TAKE_PTR(text);
        return 0;
}

static int
load_bundle_config(const CreateArgs *a, OciConfig **ret, char **ret_text, char *bundle, char *rootfs) {
        _cleanup_(oci_config_freep) OciConfig *config = NULL;
        _cleanup_close_ int bundle_fd = -EBADF, fd = -EBADF;
        _cleanup_free_ char *text = NULL;
        char joined[PATH_MAX * 2], path[PATH_MAX + 16];
        OciError parse_error = {};
        struct stat st;
        int r;

        if (!realpath(a->bundle, bundle))
                return log_error_errno(errno, "bundle '%s'", a->bundle);
        bundle_fd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (bundle_fd < 0)
                return log_error_errno(errno, "bundle '%s'", bundle);
        /* Read here rather than by oci_config_parse_file(): the text is kept with the state. */
        snprintf(path, sizeof(path), "%s/config.json", bundle);
        fd = openat(bundle_fd, "config.json", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                return log_error_errno(errno, "failed to read '%s'", path);
        if (!S_ISREG(st.st_mode) || st.st_size > OCI_CONFIG_SIZE_MAX)
                return log_error("'%s' is not a regular file of at most 64 MiB", path), -EINVAL;
        text = malloc(st.st_size + 1);
        if (!text || read(fd, text, st.st_size) != st.st_size)
                return log_error_errno(text ? errno : ENOMEM, "failed to read '%s'", path);
        text[st.st_size] = '\0';
        r = oci_config_parse(text, st.st_size, path, &config, &parse_error);
        if (r < 0 && parse_error.message[0])
                return log_error("%s", parse_error.message), r;
        if (r < 0)
                return log_error_errno(r, "failed to parse '%s'", path);

        snprintf(joined,
                 sizeof(joined),
                 "%s%s%s",
                 config->root_path[0] == '/' ? "" : bundle,
                 config->root_path[0] == '/' ? "" : "/",
                 config->root_path);
        if (!realpath(joined, rootfs))
                return log_error_errno(errno, "rootfs '%s' of bundle '%s'", config->root_path, bundle);
        *ret = TAKE_PTR(config);
        *ret_text = TAKE_PTR(text);
        return 0;
}

/* systemd's socket activation (sd_listen_fds(3)): the LISTEN_FDS fds from 3 on are ours when LISTEN_PID is
 * our pid. runc passes them on ahead of --preserve-fds's, with LISTEN_FDS and LISTEN_PID for the container
 * (opencontainers/runc:utils_linux.go, docs/terminals.md); LISTEN_PID then is the container's process's pid
 * as it sees itself (runc writes 1, the same in a PID namespace). Returns their number, 0 if none. */
static unsigned listen_fds_for_us(void) {
        const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
        unsigned long p, n;
        char *end;

        if (!pid || !fds)
                return 0;
        errno = 0;
        p = strtoul(pid, &end, 10);
        if (errno || end == pid || *end || p != (unsigned long) getpid())
                return 0;
        n = strtoul(fds, &end, 10);
        if (errno || end == fds || *end || *fds == '-' || n > 1024)
                return 0;
        return (unsigned) n;
}

/* Validates the id, reads the config and creates the container: our child, waiting for start. */
static int create_from_args(const GlobalOptions *g,
                            const CreateArgs *a,
                            const sigset_t *child_sigmask,
                            int own_console_fd,
                            int *ret_root_fd,
                            pid_t *ret_pid,
                            OciConfig **ret_config,
                            ContainerCgroup *ret_cgroup) {
        _cleanup_(oci_config_freep) OciConfig *config = NULL;
        _cleanup_(process_env_freep) ProcessEnv *env = NULL;
        _cleanup_close_ int root_fd = -EBADF, console_fd = -EBADF;
        _cleanup_free_ char *text = NULL;
        char bundle[PATH_MAX], rootfs[PATH_MAX];
        OciError validate_error = {};
        ContainerError error = {};
        ContainerOptions o;
        unsigned listen_fds;
        int r;

        /* The id first: a bad one is refused before any file is read or written. */
        if (id_validate(a->id) < 0)
                return log_error(
                               "invalid container id '%s': expected 1 to 128 of [A-Za-z0-9_.-], starting with a letter or digit",
                               a->id),
                       -EINVAL;
        listen_fds = listen_fds_for_us();
        r = cli_check_preserve_fds(g, listen_fds + a->preserve_fds);
        if (r < 0)
                return r;
        r = a->friendly ? load_friendly_config(a, &config, &text, bundle, rootfs)
                        : load_bundle_config(a, &config, &text, bundle, rootfs);
        if (r < 0)
                return r;
        if (!config->process)
                return log_error("'%s/config.json' has no 'process' to run", bundle), -EINVAL;
        /* Settings that would change the host's, not the container's: refused before anything exists. */
        r = oci_config_validate(config, &validate_error);
        if (r == -EINVAL)
                return log_error("container '%s': %s", a->id, validate_error.message), r;
        if (r < 0)
                return log_error_errno(r, "container '%s': %s", a->id, validate_error.message);
        if (config->process->terminal && !a->console_socket && own_console_fd < 0)
                return log_error("process.terminal is set, but no --console-socket is given"), -EINVAL;
        if (config->process->terminal && !a->console_socket) {
                /* run in the foreground: the pty comes to us (cli-tty.c). */
                console_fd = fcntl(own_console_fd, F_DUPFD_CLOEXEC, 3);
                if (console_fd < 0)
                        return log_error_errno(errno, "failed to set up the terminal");
        } else if (config->process->terminal) {
                console_fd = console_socket_connect(a->console_socket);
                if (console_fd < 0)
                        return log_error_errno(
                                console_fd, "failed to connect to console socket '%s'", a->console_socket);
        }

        r = process_env_new(config->process->env, listen_fds, &env);
        if (r < 0)
                return log_error_errno(r, "failed to build the process's environment");
        r = state_root_open(g->root, &root_fd);
        if (r < 0)
                return log_error_errno(r, "failed to open state directory '%s'", g->root);
        o = (ContainerOptions){
                .id = a->id,
                .bundle = bundle,
                .rootfs = rootfs,
                .pid_file = a->pid_file,
                .no_pivot = a->no_pivot,
                .no_new_keyring = a->no_new_keyring,
                .preserve_fds = listen_fds + a->preserve_fds,
                .env = env,
                .console_socket_fd = console_fd,
                .child_sigmask = child_sigmask,
                .config_json = text,
                .config_json_len = strlen(text),
                .no_cgroup = g->no_cgroup,
                .systemd_cgroup = g->systemd_cgroup,
        };
        r = container_create(root_fd, &o, config, ret_pid, ret_cgroup, &error);
        if (r < 0)
                return log_error_errno(r, "container '%s': %s", a->id, error.text);
        *ret_root_fd = TAKE_FD(root_fd);
        if (ret_config)
                *ret_config = TAKE_PTR(config);
        return 0;
}

int verb_create(const GlobalOptions *g, int argc, char **argv) {
        _cleanup_close_ int root_fd = -EBADF;
        CreateArgs a;
        pid_t pid;
        int r;

        r = parse_create_args(g, "create", CREATE_USAGE, argc, argv, &a);
        if (r != 0 || a.help)
                return r;
        return create_from_args(g, &a, NULL, -EBADF, &root_fd, &pid, NULL, NULL) < 0 ? 1 : 0;
}

static int start_container(const GlobalOptions *g, const char *id, const OciConfig *config) {
        _cleanup_close_ int root_fd = -EBADF, dir_fd = -EBADF;
        ContainerError error = {};
        int r;

        if (cli_open_container(g, id, &root_fd, &dir_fd) < 0)
                return -EINVAL;
        r = container_start(dir_fd, config, &error);
        if (r < 0)
                return log_error_errno(r, "container '%s': %s", id, error.text);
        if (r > 0)
                log_warning("container '%s': %s, ignoring", id, error.text);
        return 0;
}

int verb_start(const GlobalOptions *g, int argc, char **argv) {
        if (argc == 2 && cli_is_help(argv[1]))
                return cli_help("start", "ID");
        if (argc != 2)
                return cli_usage_error("start", "ID", "expected exactly one container id");
        return start_container(g, argv[1], NULL) < 0 ? 1 : 0;
}

/* Forwards the signals `run` gets to the container's process until it exits, then returns its status:
 * its exit code, or 128+N after signal N (as a shell reports it). */
int cli_wait_forwarding(pid_t pid) {
        _cleanup_close_ int sfd = -EBADF, pidfd = -EBADF;
        sigset_t all, old;
        int status;

        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, &old);
        sfd = signalfd(-1, &all, SFD_CLOEXEC);
        pidfd = pidfd_open_pid(pid);
        for (;;) {
                struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
                struct signalfd_siginfo si;

                if (waitpid(pid, &status, WNOHANG) == pid)
                        break;
                if (sfd < 0 || pidfd < 0) { /* no way to multiplex: just wait */
                        if (RETRY_ON_EINTR(waitpid(pid, &status, 0)) == pid)
                                break;
                        continue;
                }
                if (RETRY_ON_EINTR(poll(p, 2, -1)) < 0)
                        continue;
                if ((p[0].revents & POLLIN) && read(sfd, &si, sizeof(si)) == sizeof(si) &&
                    si.ssi_signo != SIGCHLD)
                        (void) pidfd_kill(pidfd, pid, (int) si.ssi_signo);
        }
        sigprocmask(SIG_SETMASK, &old, NULL);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void remove_state(int root_fd, const char *id, const OciConfig *config, ContainerCgroup *cgroup) {
        _cleanup_close_ int dir_fd = -EBADF;
        ContainerError error = {};

        if (state_dir_open(root_fd, id, &dir_fd) < 0)
                return;
        if (container_remove_cgroup(dir_fd, cgroup, &error) < 0)
                log_warning("container '%s': %s, ignoring", id, error.text);
        if (container_run_poststop(dir_fd, config, &error) < 0)
                log_warning("container '%s': %s, ignoring", id, error.text);
        (void) state_dir_remove(root_fd, id, dir_fd);
}

int verb_run(const GlobalOptions *g, int argc, char **argv) {
        _cleanup_close_ int root_fd = -EBADF, console_ours = -EBADF, console_theirs = -EBADF,
                            master = -EBADF;
        _cleanup_(oci_config_freep) OciConfig *config = NULL; /* as parsed at create, for start and delete */
        _cleanup_(container_cgroup_done) ContainerCgroup cgroup = {}; /* as made at create, for delete */
        sigset_t all, old;
        CreateArgs a;
        pid_t pid;
        int r, status, fds[2];

        r = parse_create_args(g, "run", RUN_USAGE, argc, argv, &a);
        if (r != 0 || a.help)
                return r;
        /* Blocked from before the container exists until it is gone, so that a signal meant for it is
         * forwarded, never lost, nor kills us and orphans it; the container's process gets our mask back. */
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, &old);
        /* In the foreground without --console-socket, a terminal's master comes back to us over this. */
        if (!a.detach && !a.console_socket && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0) {
                console_ours = fds[0];
                console_theirs = fds[1];
        }
        if (create_from_args(g, &a, &old, console_theirs, &root_fd, &pid, &config, &cgroup) < 0)
                return 1;
        console_theirs = safe_close(console_theirs);
        if (start_container(g, a.id, config) < 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                remove_state(root_fd, a.id, config, &cgroup);
                return 1;
        }
        if (a.detach)
                return 0;
        /* Only a container with a terminal sent anything; the other end is closed by now. */
        if (console_ours >= 0) {
                struct pollfd p = {.fd = console_ours, .events = POLLIN};

                if (poll(&p, 1, 0) == 1 && (p.revents & POLLIN))
                        master = cli_receive_fd(console_ours);
        }
        status = master >= 0 ? cli_relay_tty(pid, master) : cli_wait_forwarding(pid);
        if (!a.keep)
                remove_state(root_fd, a.id, config, &cgroup);
        return status;
}

/* `tether spec`: writes BUNDLE/config.json with our secure defaults and the friendly flags; never
 * overwrites one (opencontainers/runc:spec.go refuses too). */
int verb_spec(const GlobalOptions *g, int argc, char **argv) {
        _cleanup_close_ int bundle_fd = -EBADF, fd = -EBADF;
        _cleanup_free_ char *text = NULL;
        const char *what = NULL;
        json_t *spec = NULL;
        CreateArgs a;
        size_t len;
        int r;

        r = parse_create_args(g, "spec", SPEC_USAGE, argc, argv, &a);
        if (r != 0 || a.help)
                return r;
        r = spec_build(&a.spec, &spec, &what);
        if (r < 0)
                return log_error_errno(r, "invalid value '%s'", what ?: ""), 1;
        text = json_dumps(spec, JSON_INDENT(8));
        json_decref(spec);
        if (!text)
                return log_error_errno(ENOMEM, "failed to build the config"), 1;

        bundle_fd = open(a.bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (bundle_fd < 0)
                return log_error_errno(errno, "bundle '%s'", a.bundle), 1;
        fd = openat(bundle_fd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno == EEXIST)
                return log_error("'%s/config.json' exists already: remove it first", a.bundle), 1;
        if (fd < 0)
                return log_error_errno(errno, "failed to create '%s/config.json'", a.bundle), 1;
        len = strlen(text);
        if (write(fd, text, len) != (ssize_t) len || write(fd, "\n", 1) != 1)
                return log_error_errno(errno, "failed to write '%s/config.json'", a.bundle), 1;
        return 0;
}
