/* `tether state ID` and `tether list`, in runc's formats (opencontainers/runc:list.go, state.go), which
 * podman, docker and containerd's runc shim parse. */

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "id.h"
#include "log.h"
#include "macro.h"
#include "process-env.h"
#include "state.h"

#define LIST_USAGE "[--format table|json] [--quiet]"

int verb_state(const GlobalOptions *g, int argc, char **argv) {
        _cleanup_(container_state_freep) ContainerState *s = NULL;
        _cleanup_close_ int root_fd = -EBADF, dir_fd = -EBADF;
        _cleanup_free_ char *json = NULL;
        int r;

        if (argc == 2 && cli_is_help(argv[1]))
                return cli_help("state", "ID");
        if (argc != 2)
                return cli_usage_error("state", "ID", "expected exactly one container id");
        if (cli_open_container(g, argv[1], &root_fd, &dir_fd) < 0)
                return 1;
        r = state_read(dir_fd, &s);
        if (r < 0)
                return log_error_errno(r, "container '%s': failed to read its state", argv[1]), 1;
        r = container_state_to_oci_json(s, container_state_status(s), &json);
        if (r < 0)
                return log_error_errno(r, "container '%s': failed to format its state", argv[1]), 1;
        puts(json);
        return 0;
}

typedef struct ListEntry {
        ContainerState *state;
        ContainerStatus status;
        char owner[64];
} ListEntry;

/* The name from /etc/passwd, read directly: a static tether has no NSS (getpwuid would dlopen it). */
static void owner_name(int dir_fd, char *buf, size_t len) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        if (fstat(dir_fd, &st) < 0) {
                snprintf(buf, len, "#?");
                return;
        }
        fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || passwd_find_field(fd, st.st_uid, PASSWD_NAME, buf, len) < 0)
                snprintf(buf, len, "#%u", (unsigned) st.st_uid);
}

/* Reads every container of the state root that can be read; unreadable ones are skipped, as by runc. */
static int list_read(int root_fd, ListEntry **ret, size_t *ret_n) {
        _cleanup_free_ ListEntry *entries = NULL;
        size_t n = 0;
        struct dirent *de;
        DIR *d;
        int fd;

        fd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d)
                return safe_close(fd), -errno;
        while ((de = readdir(d))) {
                _cleanup_close_ int dir_fd = -EBADF;
                ListEntry *e, *grown;

                if (id_validate(de->d_name) < 0 || state_dir_open(root_fd, de->d_name, &dir_fd) < 0)
                        continue;
                grown = realloc(entries, (n + 1) * sizeof(ListEntry));
                if (!grown)
                        break;
                entries = grown;
                e = &entries[n];
                if (state_read(dir_fd, &e->state) < 0)
                        continue;
                e->status = container_state_status(e->state);
                owner_name(dir_fd, e->owner, sizeof(e->owner));
                n++;
        }
        closedir(d);
        *ret = TAKE_PTR(entries);
        *ret_n = n;
        return 0;
}

/* Go's text/tabwriter as runc sets it up: minwidth 12, padding 3, padded with spaces; the last column is
 * not padded. */
static void print_table(const ListEntry *e, size_t n) {
        const char *header[] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
        size_t width[5];
        char pid[16];

        for (int c = 0; c < 5; c++)
                width[c] = strlen(header[c]);
        for (size_t i = 0; i < n; i++) {
                const char *cells[] = {e[i].state->id,
                                       pid,
                                       container_status_to_string(e[i].status),
                                       e[i].state->bundle,
                                       e[i].state->created};

                snprintf(pid,
                         sizeof(pid),
                         "%d",
                         e[i].status == CONTAINER_STOPPED ? 0 : (int) e[i].state->init.pid);
                for (int c = 0; c < 5; c++)
                        if (strlen(cells[c]) > width[c])
                                width[c] = strlen(cells[c]);
        }
        for (int c = 0; c < 5; c++)
                width[c] = width[c] + 3 < 12 ? 12 : width[c] + 3;

        for (int c = 0; c < 5; c++)
                printf("%-*s", (int) width[c], header[c]);
        printf("%s\n", header[5]);
        for (size_t i = 0; i < n; i++) {
                snprintf(pid,
                         sizeof(pid),
                         "%d",
                         e[i].status == CONTAINER_STOPPED ? 0 : (int) e[i].state->init.pid);
                printf("%-*s%-*s%-*s%-*s%-*s%s\n",
                       (int) width[0],
                       e[i].state->id,
                       (int) width[1],
                       pid,
                       (int) width[2],
                       container_status_to_string(e[i].status),
                       (int) width[3],
                       e[i].state->bundle,
                       (int) width[4],
                       e[i].state->created,
                       e[i].owner);
        }
}

static int print_json(const ListEntry *e, size_t n) {
        json_auto_t *array = json_array();
        _cleanup_free_ char *text = NULL;

        if (!array)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *one = NULL;
                json_t *j;

                if (container_state_to_oci_json(e[i].state, e[i].status, &one) < 0)
                        return -ENOMEM;
                j = json_loads(one, 0, NULL);
                if (!j)
                        return -ENOMEM;
                json_object_set_new(j, "owner", json_string(e[i].owner));
                json_array_append_new(array, j);
        }
        /* runc encodes a nil slice: "null" when there is no container. */
        text = n == 0 ? strdup("null") : json_dumps(array, JSON_COMPACT);
        if (!text)
                return -ENOMEM;
        puts(text);
        return 0;
}

int verb_list(const GlobalOptions *g, int argc, char **argv) {
        static const struct option options[] = {{"format", required_argument, NULL, 'f'},
                                                {"quiet", no_argument, NULL, 'q'},
                                                {"help", no_argument, NULL, 'h'},
                                                {}};
        _cleanup_close_ int root_fd = -EBADF;
        _cleanup_free_ ListEntry *entries = NULL;
        bool json = false, quiet = false;
        size_t n = 0;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "+:f:qh", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        return cli_help("list", LIST_USAGE);
                case 'f':
                        if (strcmp(optarg, "json") != 0 && strcmp(optarg, "table") != 0)
                                return cli_usage_error("list",
                                                       LIST_USAGE,
                                                       "invalid format '%s': expected table or json",
                                                       optarg);
                        json = strcmp(optarg, "json") == 0;
                        break;
                case 'q':
                        quiet = true;
                        break;
                default:
                        return cli_usage_error("list", LIST_USAGE, "unknown option '%s'", argv[optind - 1]);
                }
        if (optind < argc)
                return cli_usage_error("list", LIST_USAGE, "unexpected argument '%s'", argv[optind]);

        r = state_root_open(g->root, &root_fd);
        if (r < 0)
                return log_error_errno(r, "failed to open state directory '%s'", g->root), 1;
        r = list_read(root_fd, &entries, &n);
        if (r < 0)
                return log_error_errno(r, "failed to read state directory '%s'", g->root), 1;

        if (quiet)
                for (size_t i = 0; i < n; i++)
                        puts(entries[i].state->id);
        else if (json)
                r = print_json(entries, n);
        else
                print_table(entries, n);
        for (size_t i = 0; i < n; i++)
                container_state_free(entries[i].state);
        if (r < 0)
                return log_error_errno(r, "failed to format the list"), 1;
        return 0;
}
