/* shimctl run: a container under a shim of its own. With --rootfs, the bundle is written by `tether spec`
 * from tether run's friendly flags into STATE/.bundles/ID (shimctl rm removes it). The shim detaches and
 * its starter returns once the container runs, or with the runtime's error; without -d shimctl then
 * follows the log and exits with the container's code. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "child.h"
#include "macro.h"
#include "shimctl.h"

static const char usage[] =
        "[--name ID] (--bundle DIR | --rootfs DIR [tether run's friendly flags]) [-d] [--no-unit] [--runtime PATH]\n"
        "                   [--runtime-arg ARG]... [--log-driver file|journald|none] [--log-path FILE]\n"
        "                   [--log-max-size BYTES] [--log-max-files N] [--stop-timeout SECONDS] [-- CMD...]";

typedef struct RunArgs {
        const char *id;
        const char *bundle;
        const char *rootfs;
        const char *runtime;
        bool detach;
        bool no_unit; /* a detached shim even where systemd runs */
        bool unit; /* the shim runs as tether-shim-ID.service (shimctl-unit.c) */
        bool has_cgroup_parent; /* the friendly flags name one */
        char *unit_group; /* the service's cgroup, the container's parent there */
        char **runtime_args; /* "--runtime-arg", ARG pairs for the shim */
        size_t n_runtime_args;
        char **shim_args; /* the shim's own options given to run (--log-driver ...) */
        size_t n_shim_args;
        char **spec_args; /* friendly flags for tether spec */
        size_t n_spec_args;
        char **flags; /* the "--NAME"s in spec_args, ours to free */
        size_t n_flags;
        char id_buf[32];
        char bundle_buf[4096];
        char rootfs_buf[4096];
} RunArgs;

static int push(char ***v, size_t *n, const char *a) {
        char **p = reallocarray(*v, *n + 2, sizeof(char *));

        if (!p)
                return -ENOMEM;
        p[(*n)++] = (char *) a;
        p[*n] = NULL;
        *v = p;
        return 0;
}

/* Runs argv and waits for it: its exit status, or -errno if it could not run. posix_spawn (a vfork, no
 * copy of our page tables) because the shim's start is on every container's start path. */
static int run_wait(char **argv) {
        pid_t pid;
        int status, r;

        r = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
        if (r != 0)
                return -r;
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Starts the shim in a session of its own and returns once it says the container runs: 0, or 1 with its
 * error on our stderr (or -errno if it could not run). The shim reports on a pipe (--ready-fd) and does
 * not fork to detach: we made its session (tether-shim.c, take_ready_fd). It stays our child until we
 * exit, which neither waits for it nor signals it. */
static int start_shim(char ***argv, size_t *n) {
        _cleanup_close_ int ready_r = -EBADF, ready_w = -EBADF;
        posix_spawnattr_t attr;
        char fd_arg[16], buf[1024];
        pid_t pid;
        int p[2], r, status;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        ready_r = p[0];
        ready_w = p[1];
        if (fcntl(ready_w, F_SETFD, 0) < 0) /* the shim's, inherited: it sets FD_CLOEXEC again */
                return -errno;
        snprintf(fd_arg, sizeof(fd_arg), "%d", ready_w);
        if (push(argv, n, "--ready-fd") < 0 || push(argv, n, fd_arg) < 0)
                return -ENOMEM;
        r = posix_spawnattr_init(&attr);
        if (r == 0)
                r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
        if (r == 0)
                r = posix_spawn(&pid, (*argv)[0], NULL, &attr, *argv, environ);
        (void) posix_spawnattr_destroy(&attr);
        if (r != 0)
                return -r;
        ready_w = safe_close(ready_w);
        if (ready_line_read(ready_r, buf, sizeof(buf)))
                return 0;
        if (buf[0]) /* the shim's own words, as its starter always printed them */
                fprintf(stderr, "tether-shim: %s", buf);
        else if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) != 0)
                ; /* failed before it could report: its error is on our stderr already */
        else
                fprintf(stderr, "tether-shim: the shim ended before the container ran\n");
        return 1;
}

static const struct option run_options[] = {{"name", required_argument, NULL, 'N'},
                                            {"bundle", required_argument, NULL, 'b'},
                                            {"rootfs", required_argument, NULL, 'r'},
                                            {"detach", no_argument, NULL, 'd'},
                                            {"no-unit", no_argument, NULL, 'U'},
                                            /* the shim's own, passed on */
                                            {"log-driver", required_argument, NULL, 'S'},
                                            {"log-path", required_argument, NULL, 'S'},
                                            {"log-max-size", required_argument, NULL, 'S'},
                                            {"log-max-files", required_argument, NULL, 'S'},
                                            {"stop-timeout", required_argument, NULL, 'S'},
                                            {"runtime", required_argument, NULL, 'R'},
                                            {"runtime-arg", required_argument, NULL, 'A'},
                                            {"help", no_argument, NULL, 'h'},
                                            /* tether run's friendly flags, for tether spec */
                                            {"readonly", no_argument, NULL, 'F'},
                                            {"init", no_argument, NULL, 'F'},
                                            {"hostname", required_argument, NULL, 'f'},
                                            {"env", required_argument, NULL, 'f'},
                                            {"user", required_argument, NULL, 'f'},
                                            {"cwd", required_argument, NULL, 'f'},
                                            {"mount", required_argument, NULL, 'f'},
                                            {"tmpfs", required_argument, NULL, 'f'},
                                            {"net", required_argument, NULL, 'f'},
                                            {"cap-add", required_argument, NULL, 'f'},
                                            {"cap-drop", required_argument, NULL, 'f'},
                                            {"seccomp", required_argument, NULL, 'f'},
                                            {"memory", required_argument, NULL, 'f'},
                                            {"cpus", required_argument, NULL, 'f'},
                                            {"pids-limit", required_argument, NULL, 'f'},
                                            {"cgroup-parent", required_argument, NULL, 'f'},
                                            {}};

static int parse_run(int argc, char **argv, RunArgs *a, char ***ret_cmd) {
        int o, longindex;

        while ((longindex = -1, o = getopt_long(argc, argv, "+:dh", run_options, &longindex)) >= 0) {
                int r = 0;

                switch (o) {
                case 'N':
                        a->id = optarg;
                        break;
                case 'b':
                        a->bundle = optarg;
                        break;
                case 'r':
                        a->rootfs = optarg;
                        break;
                case 'd':
                        a->detach = true;
                        break;
                case 'U':
                        a->no_unit = true;
                        break;
                case 'S': {
                        char *flag = NULL;

                        r = asprintf(&flag, "--%s", run_options[longindex].name) < 0 ? -ENOMEM : 0;
                        if (r >= 0 && (r = push(&a->flags, &a->n_flags, flag)) < 0)
                                free(flag);
                        if (r >= 0)
                                r = push(&a->shim_args, &a->n_shim_args, flag);
                        if (r >= 0)
                                r = push(&a->shim_args, &a->n_shim_args, optarg);
                        break;
                }
                case 'R':
                        a->runtime = optarg;
                        break;
                case 'A':
                        r = push(&a->runtime_args, &a->n_runtime_args, "--runtime-arg");
                        if (r >= 0)
                                r = push(&a->runtime_args, &a->n_runtime_args, optarg);
                        break;
                case 'F':
                case 'f': {
                        char *flag = NULL; /* --NAME, whichever way it was written */

                        r = asprintf(&flag, "--%s", run_options[longindex].name) < 0 ? -ENOMEM : 0;
                        if (r >= 0 && (r = push(&a->flags, &a->n_flags, flag)) < 0)
                                free(flag);
                        if (r >= 0)
                                r = push(&a->spec_args, &a->n_spec_args, flag);
                        if (r >= 0 && o == 'f')
                                r = push(&a->spec_args, &a->n_spec_args, optarg);
                        if (strcmp(run_options[longindex].name, "cgroup-parent") == 0)
                                a->has_cgroup_parent = true;
                        break;
                }
                case 'h':
                        return printf("Usage: shimctl run %s\n", usage), 1;
                case ':':
                        return ctl_usage("run", usage, "option '%s' needs an argument", argv[optind - 1]);
                default:
                        return ctl_usage("run", usage, "unknown option '%s'", argv[optind - 1]);
                }
                if (r < 0)
                        return ctl_error("out of memory");
        }
        if (!a->bundle == !a->rootfs)
                return ctl_usage("run", usage, "give one of --bundle and --rootfs");
        if (a->bundle && (a->n_spec_args > 0 || optind < argc))
                return ctl_usage(
                        "run", usage, "a command and the friendly flags go with --rootfs, not --bundle");
        if (a->rootfs && optind >= argc)
                return ctl_usage("run", usage, "--rootfs needs a command: -- CMD...");
        *ret_cmd = argv + optind;
        return 0;
}

/* tether spec writes the bundle: the runtime if it is tether, else the tether on PATH. */
static int write_bundle(const Ctl *c, RunArgs *a, char **cmd) {
        const char *slash = strrchr(a->runtime, '/');
        const char *spec = strcmp(slash ? slash + 1 : a->runtime, "tether") == 0 ? a->runtime : "tether";
        _cleanup_free_ char **argv = NULL;
        size_t n = 0;
        char dir[4096];
        int r;

        if (snprintf(dir, sizeof(dir), "%s/.bundles", c->state_dir) >= (int) sizeof(dir))
                return ctl_error("state directory '%s': too long a path", c->state_dir);
        if (mkdir(c->state_dir, 0711) < 0 && errno != EEXIST)
                return ctl_error("cannot make state directory '%s': %m", c->state_dir);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return ctl_error("cannot make '%s': %m", dir);
        if (snprintf(a->bundle_buf, sizeof(a->bundle_buf), "%s/%s", dir, a->id) >=
                    (int) sizeof(a->bundle_buf) ||
            snprintf(dir, sizeof(dir), "%s/config.json", a->bundle_buf) >= (int) sizeof(dir))
                return ctl_error("state directory '%s': too long a path", c->state_dir);
        /* left from a container whose record was removed by hand: ours to replace */
        (void) unlink(dir);
        if (mkdir(a->bundle_buf, 0700) < 0 && errno != EEXIST)
                return ctl_error("cannot make '%s': %m", a->bundle_buf);
        if (push(&argv, &n, spec) < 0 || push(&argv, &n, "spec") < 0 || push(&argv, &n, "--bundle") < 0 ||
            push(&argv, &n, a->bundle_buf) < 0 || push(&argv, &n, "--rootfs") < 0 ||
            push(&argv, &n, a->rootfs) < 0)
                return ctl_error("out of memory");
        for (size_t i = 0; i < a->n_spec_args; i++)
                if (push(&argv, &n, a->spec_args[i]) < 0)
                        return ctl_error("out of memory");
        /* as a service, the container's group is the service's, beside the shim's leaf (delegate.c) */
        if (a->unit && !a->has_cgroup_parent &&
            (asprintf(&a->unit_group, "/system.slice/tether-shim-%s.service", a->id) < 0 ||
             push(&argv, &n, "--cgroup-parent") < 0 || push(&argv, &n, a->unit_group) < 0))
                return ctl_error("out of memory");
        if (push(&argv, &n, "--") < 0)
                return ctl_error("out of memory");
        for (char **p = cmd; *p; p++)
                if (push(&argv, &n, *p) < 0)
                        return ctl_error("out of memory");
        r = run_wait(argv);
        if (r != 0) {
                (void) rmdir(a->bundle_buf);
                return r < 0 ? ctl_error("cannot run '%s spec': %s", spec, strerror(-r)) : 1;
        }
        a->bundle = a->bundle_buf;
        return 0;
}

static void remove_bundle(const RunArgs *a) {
        char path[sizeof(a->bundle_buf) + 16];

        snprintf(path, sizeof(path), "%s/config.json", a->bundle_buf);
        (void) unlink(path);
        (void) rmdir(a->bundle_buf);
}

static const char *new_id(RunArgs *a) {
        uint8_t b[6] = {};

        (void) getrandom(b, sizeof(b), 0);
        snprintf(a->id_buf,
                 sizeof(a->id_buf),
                 "c%02x%02x%02x%02x%02x%02x",
                 b[0],
                 b[1],
                 b[2],
                 b[3],
                 b[4],
                 b[5]);
        return a->id_buf;
}

static void run_args_done(RunArgs *a) {
        free(a->runtime_args);
        free(a->shim_args);
        free(a->unit_group);
        for (size_t i = 0; i < a->n_flags; i++)
                free(a->flags[i]);
        free(a->flags);
        free(a->spec_args);
}

/* After the start: -d prints the id; else the log is followed and the container's code is ours. */
static int after_start(const Ctl *c, const RunArgs *a) {
        int r;

        if (a->detach) {
                puts(a->id);
                return 0;
        }
        r = ctl_follow_logs(c, a->id, -1);
        if (r != 0)
                return r;
        r = ctl_wait_exit(c, a->id);
        return r < 0 ? 1 : r;
}

/* An absolute path for ExecStart: as given, else found on PATH. */
static const char *absolute(const char *name, char *buf, size_t size) {
        const char *path = getenv("PATH") ?: "/usr/local/bin:/usr/bin:/bin";

        if (strchr(name, '/'))
                return realpath(name, buf) ? buf : name;
        for (const char *p = path; *p;) {
                size_t len = strcspn(p, ":");

                if (snprintf(buf, size, "%.*s/%s", (int) len, p, name) < (int) size &&
                    access(buf, X_OK) == 0)
                        return buf;
                p += len + (p[len] == ':');
        }
        return name;
}

static int run_as_unit(const Ctl *c, RunArgs *a, char **cmd) {
        _cleanup_free_ char **shim = NULL;
        char fifo[4096], shim_path[4096], runtime_path[4096];
        size_t n = 0;
        int r;

        if (snprintf(fifo, sizeof(fifo), "%s/.ready-%s", c->state_dir, a->id) >= (int) sizeof(fifo))
                return ctl_error("state directory '%s': too long a path", c->state_dir);
        (void) mkdir(c->state_dir, 0711);
        (void) unlink(fifo);
        if (mkfifo(fifo, 0600) < 0)
                return ctl_error("container '%s': cannot make '%s': %m", a->id, fifo);
        if (push(&shim, &n, absolute(c->shim, shim_path, sizeof(shim_path))) < 0 ||
            push(&shim, &n, "--foreground") < 0 || push(&shim, &n, "--ready-file") < 0 ||
            push(&shim, &n, fifo) < 0 || push(&shim, &n, "--delegated") < 0 || push(&shim, &n, "--id") < 0 ||
            push(&shim, &n, a->id) < 0 || push(&shim, &n, "--bundle") < 0 ||
            push(&shim, &n, a->bundle) < 0 || push(&shim, &n, "--runtime") < 0 ||
            push(&shim, &n, absolute(a->runtime, runtime_path, sizeof(runtime_path))) < 0 ||
            push(&shim, &n, "--state-dir") < 0 || push(&shim, &n, c->state_dir) < 0) {
                (void) unlink(fifo);
                return ctl_error("out of memory");
        }
        for (size_t i = 0; i < a->n_runtime_args; i++)
                if (push(&shim, &n, a->runtime_args[i]) < 0) {
                        (void) unlink(fifo);
                        return ctl_error("out of memory");
                }
        for (size_t i = 0; i < a->n_shim_args; i++)
                if (push(&shim, &n, a->shim_args[i]) < 0) {
                        (void) unlink(fifo);
                        return ctl_error("out of memory");
                }
        r = ctl_run_unit(c, a->id, shim, fifo, 10);
        (void) unlink(fifo);
        if (r != 0) {
                if (a->rootfs)
                        remove_bundle(a);
                return r;
        }
        return after_start(c, a);
}

int verb_run(const Ctl *c, int argc, char **argv) {
        _cleanup_(run_args_done) RunArgs a = {.runtime = "tether"};
        _cleanup_free_ char **shim = NULL;
        char **cmd = NULL, path[4096];
        size_t n = 0;
        int r;

        r = parse_run(argc, argv, &a, &cmd);
        if (r != 0)
                return r == 1 ? 0 : r;
        if (!a.id)
                a.id = new_id(&a);
        if (id_validate(a.id) < 0)
                return ctl_errno(-EINVAL, a.id, "");
        snprintf(path, sizeof(path), "%s/%s", c->state_dir, a.id);
        if (access(path, F_OK) == 0)
                return ctl_error("container '%s' exists already (remove it with shimctl rm)", a.id);
        /* the bundle lies elsewhere: the rootfs's path must not be relative to here */
        if (a.rootfs) {
                if (!realpath(a.rootfs, a.rootfs_buf))
                        return ctl_error("container '%s': rootfs '%s': %m", a.id, a.rootfs);
                a.rootfs = a.rootfs_buf;
        }
        a.unit = !a.no_unit && sd_booted() > 0;
        if (a.rootfs && (r = write_bundle(c, &a, cmd)) != 0)
                return r;
        if (a.unit)
                return run_as_unit(c, &a, cmd);
        if (push(&shim, &n, c->shim) < 0 || push(&shim, &n, "--id") < 0 || push(&shim, &n, a.id) < 0 ||
            push(&shim, &n, "--bundle") < 0 || push(&shim, &n, a.bundle) < 0 ||
            push(&shim, &n, "--runtime") < 0 || push(&shim, &n, a.runtime) < 0 ||
            push(&shim, &n, "--state-dir") < 0 || push(&shim, &n, c->state_dir) < 0)
                return ctl_error("out of memory");
        for (size_t i = 0; i < a.n_runtime_args; i++)
                if (push(&shim, &n, a.runtime_args[i]) < 0)
                        return ctl_error("out of memory");
        for (size_t i = 0; i < a.n_shim_args; i++)
                if (push(&shim, &n, a.shim_args[i]) < 0)
                        return ctl_error("out of memory");
        r = start_shim(&shim, &n);
        if (r != 0) {
                if (a.rootfs) { /* the shim left nothing; neither do we */
                        remove_bundle(&a);
                }
                return r < 0 ? ctl_error("cannot run '%s': %s", c->shim, strerror(-r)) : 1;
        }
        return after_start(c, &a);
}
