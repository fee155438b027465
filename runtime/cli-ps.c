/* `tether ps ID [PS ARGS...]`: runs ps(1) and keeps the header and the container's lines, or prints the
 * pids as JSON, as runc does (opencontainers/runc:ps.go); docker top and podman top parse both. */

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "container-cgroup.h"
#include "container-pids.h"
#include "log.h"
#include "macro.h"
#include "state.h"

#define PS_USAGE "[--format table|json] ID [PS OPTIONS...]"

static int pid_column(const char *header) {
        _cleanup_free_ char *copy = strdup(header);
        char *save = NULL;
        int i = 0;

        for (char *f = copy ? strtok_r(copy, " \t", &save) : NULL; f; f = strtok_r(NULL, " \t", &save), i++)
                if (strcmp(f, "PID") == 0)
                        return i;
        return -ENOENT;
}

static long field_at(const char *line, int column) {
        _cleanup_free_ char *copy = strdup(line);
        char *save = NULL, *f = copy ? strtok_r(copy, " \t", &save) : NULL;

        for (int i = 0; f && i < column; i++)
                f = strtok_r(NULL, " \t", &save);
        return f ? strtol(f, NULL, 10) : -1;
}

static bool has_pid(const pid_t *pids, size_t n, long pid) {
        for (size_t i = 0; i < n; i++)
                if (pids[i] == pid)
                        return true;
        return false;
}

static int run_ps(char **ps_args, const pid_t *pids, size_t n) {
        char *line = NULL;
        size_t cap = 0;
        int column = -1, status, fds[2];
        FILE *out;
        pid_t child;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        child = fork();
        if (child < 0)
                return -errno;
        if (child == 0) {
                dup2(fds[1], STDOUT_FILENO);
                execvp("ps", ps_args);
                _exit(127);
        }
        close(fds[1]);
        out = fdopen(fds[0], "r");
        if (!out)
                return -errno;
        while (getline(&line, &cap, out) > 0) {
                if (column < 0) {
                        column = pid_column(line);
                        if (column < 0)
                                break;
                        fputs(line, stdout);
                } else if (has_pid(pids, n, field_at(line, column)))
                        fputs(line, stdout);
        }
        free(line);
        fclose(out);
        if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -ECHILD;
        return column < 0 ? -ENOENT : 0;
}

/* From the container's cgroup where it has one, as runc's ps (opencontainers/runc:ps.go reads the
 * cgroup's processes); else from /proc (container-pids.h). -ESRCH if it is not running. */
static int list_pids(const ContainerState *s, pid_t **ret, size_t *ret_n) {
        _cleanup_(container_cgroup_done) ContainerCgroup cgroup = {};
        ContainerStatus status = container_state_status(s);
        char error[1024];
        int r;

        if (!s->cgroup_paths) {
                r = container_pids(&s->init, ret, ret_n);
                if (r < 0 && r != -ESRCH)
                        return log_error_errno(r, "container '%s': failed to list its processes", s->id);
                return r;
        }
        if (status == CONTAINER_STOPPED || status == CONTAINER_CREATING)
                return -ESRCH;
        r = container_cgroup_open(s->cgroup_paths, &cgroup, error, sizeof(error));
        if (r >= 0)
                r = container_cgroup_pids(&cgroup, ret, ret_n, error, sizeof(error));
        if (r < 0)
                return log_error_errno(r, "container '%s': %s", s->id, error);
        return 0;
}

int verb_ps(const GlobalOptions *g, int argc, char **argv) {
        static const struct option options[] = {
                {"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {}};
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_close_ int root_fd = -EBADF, dir_fd = -EBADF;
        _cleanup_free_ pid_t *pids = NULL;
        char *default_args[] = {"ps", "-ef", NULL}, **ps_args;
        bool json = false;
        size_t n = 0;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+:f:h", options, NULL)) >= 0) {
                if (c == 'h')
                        return cli_help("ps", PS_USAGE);
                if (c != 'f' || (strcmp(optarg, "json") != 0 && strcmp(optarg, "table") != 0))
                        return cli_usage_error("ps", PS_USAGE, "invalid option '%s'", argv[optind - 1]);
                json = strcmp(optarg, "json") == 0;
        }
        if (optind >= argc)
                return cli_usage_error("ps", PS_USAGE, "expected a container id");
        if (cli_open_container(g, argv[optind], &root_fd, &dir_fd) < 0)
                return 1;
        r = state_read(dir_fd, &s);
        if (r < 0)
                return log_error_errno(r, "container '%s': failed to read its state", argv[optind]), 1;
        r = list_pids(s, &pids, &n);
        if (r == -ESRCH)
                return log_error("container '%s' is not running", argv[optind]), 1;
        if (r < 0)
                return 1; /* logged */

        if (json) {
                printf("[");
                for (size_t i = 0; i < n; i++)
                        printf("%s%d", i ? "," : "", (int) pids[i]);
                printf("]\n");
                return 0;
        }
        /* Everything after the id goes to ps, with "ps" as its argv[0]. */
        ps_args = optind + 1 < argc ? argv + optind : default_args;
        if (ps_args != default_args)
                ps_args[0] = "ps";
        r = run_ps(ps_args, pids, n);
        if (r == -ENOENT)
                return log_error("ps printed no PID column"), 1;
        if (r < 0)
                return log_error_errno(r, "failed to run ps"), 1;
        return 0;
}
