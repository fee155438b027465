/* `tether kill ID [SIGNAL]` and `tether delete ID`. Both reach the container's process only through a
 * pidfd checked against its recorded start time, so a recycled pid is never hit. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "container.h"
#include "container-cgroup.h"
#include "container-pids.h"
#include "id.h"
#include "log.h"
#include "macro.h"
#include "signal-name.h"
#include "state.h"

#define KILL_USAGE "[--all] ID [SIGNAL]"
#define DELETE_USAGE "[--force] ID"

/* Every process of the container's cgroup, exec'd ones and those that left its PID namespace's tree
 * included. */
static int kill_all_in_cgroup(const ContainerState *s, ContainerStatus status, int sig) {
        _cleanup_(container_cgroup_done) ContainerCgroup cgroup = {};
        char error[1024];
        int r;

        r = container_cgroup_open(s->cgroup_paths, &cgroup, error, sizeof(error));
        if (r >= 0) /* a frozen group, whoever froze it, stays frozen */
                r = container_cgroup_signal_all(
                        &cgroup, sig, status == CONTAINER_PAUSED, error, sizeof(error));
        if (r < 0)
                return log_error_errno(r,
                                       "container '%s': failed to send SIG%s: %s",
                                       s->id,
                                       signal_to_string(sig) ?: "?",
                                       error);
        return 0;
}

int verb_kill(const GlobalOptions *g, int argc, char **argv) {
        static const struct option options[] = {
                {"all", no_argument, NULL, 'a'}, {"help", no_argument, NULL, 'h'}, {}};
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_close_ int root_fd = -EBADF, dir_fd = -EBADF;
        const char *id, *signame = "SIGTERM";
        ContainerStatus status;
        bool all = false;
        int c, sig, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+:ah", options, NULL)) >= 0) {
                if (c == 'h')
                        return cli_help("kill", KILL_USAGE);
                if (c != 'a')
                        return cli_usage_error("kill", KILL_USAGE, "unknown option '%s'", argv[optind - 1]);
                all = true;
        }
        if (optind >= argc || argc - optind > 2)
                return cli_usage_error("kill", KILL_USAGE, "expected a container id and an optional signal");
        id = argv[optind];
        if (argc - optind == 2)
                signame = argv[optind + 1];

        /* Checked before the state is touched, like the id. */
        sig = signal_from_string(signame);
        if (sig < 0)
                return log_error("unknown signal '%s'", signame), 1;
        if (cli_open_container(g, id, &root_fd, &dir_fd) < 0)
                return 1;
        r = state_read(dir_fd, &s);
        if (r < 0)
                return log_error_errno(r, "container '%s': failed to read its state", id), 1;

        status = container_state_status(s);
        if (status != CONTAINER_CREATED && status != CONTAINER_RUNNING && status != CONTAINER_PAUSED)
                return log_error(
                               "container '%s' is not running (%s)", id, container_status_to_string(status)),
                       1;
        if (all && s->cgroup_paths)
                return kill_all_in_cgroup(s, status, sig) < 0 ? 1 : 0;
        r = all ? container_signal_all(&s->init, sig) : pidref_kill(&s->init, sig);
        if (r < 0)
                return log_error_errno(
                               r, "container '%s': failed to send SIG%s", id, signal_to_string(sig) ?: "?"),
                       1;
        return 0;
}

/* Whether the state root has no entry for a valid id (nor exists at all). */
static bool container_missing(const GlobalOptions *g, const char *id) {
        _cleanup_close_ int root_fd = -EBADF;

        if (id_validate(id) < 0)
                return false;
        root_fd = open(g->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return errno == ENOENT;
        return faccessat(root_fd, id, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
}

int verb_delete(const GlobalOptions *g, int argc, char **argv) {
        static const struct option options[] = {
                {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {}};
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_close_ int root_fd = -EBADF, dir_fd = -EBADF;
        ContainerStatus status;
        bool force = false;
        const char *id;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+:fh", options, NULL)) >= 0) {
                if (c == 'h')
                        return cli_help("delete", DELETE_USAGE);
                if (c != 'f')
                        return cli_usage_error(
                                "delete", DELETE_USAGE, "unknown option '%s'", argv[optind - 1]);
                force = true;
        }
        if (argc - optind != 1)
                return cli_usage_error("delete", DELETE_USAGE, "expected exactly one container id");
        id = argv[optind];
        /* As runc: with --force a container that is gone is no error. containerd's runc shim runs
         * `delete --force` once more when it cleans up, after the task's own delete. */
        if (force && container_missing(g, id))
                return 0;
        if (cli_open_container(g, id, &root_fd, &dir_fd) < 0)
                return 1;

        r = state_read(dir_fd, &s);
        if (r < 0 && !force)
                return log_error_errno(r, "container '%s': failed to read its state", id), 1;
        /* Its scope is stopped through systemd: before anything is killed, hand over if we cannot. */
        if (s && cli_systemd_switch_for(g, s->cgroup_paths, id) < 0)
                return 1;
        status = s ? container_state_status(s) : CONTAINER_STOPPED;
        /* A paused one too, as runc's delete refuses it ("cannot delete container that is not stopped"):
         * its processes are there, only frozen. */
        if ((status == CONTAINER_RUNNING || status == CONTAINER_PAUSED) && !force)
                return log_error("container '%s' is %s: stop it first, or use --force",
                                 id,
                                 container_status_to_string(status)),
                       1;
        /* A created container has not run anything yet: deleting it kills it, as runc does. A paused one's
         * SIGKILL (v1 holds it until a thaw) comes with the group's, which thaws to deliver it. */
        if (s && (status == CONTAINER_RUNNING || status == CONTAINER_CREATED)) {
                r = pidref_kill(&s->init, SIGKILL);
                if (r < 0 && r != -ESRCH)
                        return log_error_errno(r, "container '%s': failed to kill it", id), 1;
        }
        if (s) {
                ContainerError error = {};

                /* The spec: poststop hooks run on delete; a failure is a warning. */
                if (status == CONTAINER_RUNNING || status == CONTAINER_CREATED)
                        (void) pidref_wait_exit(&s->init, 5000);
                /* runc's destroy: what is left in the cgroup is killed and the group removed, then the
                 * poststop hooks run (opencontainers/runc:libcontainer/state_linux.go destroy). */
                if (container_remove_cgroup(dir_fd, NULL, &error) < 0)
                        return log_error_errno(-EBUSY, "container '%s': %s", id, error.text), 1;
                if (container_run_poststop(dir_fd, NULL, &error) < 0)
                        log_warning("container '%s': %s, ignoring", id, error.text);
        }
        r = state_dir_remove(root_fd, id, dir_fd);
        if (r < 0)
                return log_error_errno(r, "container '%s': failed to remove its state", id), 1;
        return 0;
}
