/* Where the systemd cgroup driver runs. It needs libsystemd, which Debian ships only as a shared library,
 * while `tether` is static-pie to make its two execs per container cheap (runtime/meson.build). So the
 * driver lives in `tether-systemd`, the same runtime linked with it, installed beside `tether`; the static
 * binary hands a command over to it, argv and environment unchanged, when the command must talk to
 * systemd: create and run under --systemd-cgroup (the scope is made around the first process), and update
 * and delete of a container whose group is a scope (SetUnitProperties and StopUnit: writing limits into
 * the group behind systemd's back would be undone at its next daemon-reload, and removing the group would
 * leave the unit). Every other verb uses the scope's cgroup v2 group directly. */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "container-cgroup.h"
#include "log.h"

#ifndef HAVE_SYSTEMD_DRIVER
#define HAVE_SYSTEMD_DRIVER 0
#endif

#define SYSTEMD_BUILD "tether-systemd"

bool cli_have_systemd_driver(void) {
        return HAVE_SYSTEMD_DRIVER;
}

int cli_systemd_build_path(const GlobalOptions *g, char *buf, size_t size) {
        int r;

        if (HAVE_SYSTEMD_DRIVER)
                return -ELOOP; /* we are it */
        r = cli_beside_self(g->self_exe, SYSTEMD_BUILD, buf, size);
        if (r < 0)
                return r;
        return access(buf, X_OK) < 0 ? -errno : 0;
}

int cli_systemd_switch(const GlobalOptions *g, const char *what) {
        char path[PATH_MAX];
        int r;

        if (HAVE_SYSTEMD_DRIVER)
                return 0;
        r = cli_beside_self(g->self_exe, SYSTEMD_BUILD, path, sizeof(path));
        if (r < 0)
                return log_error_errno(
                        r, "%s needs the systemd cgroup driver, but tether's own path is unknown", what);
        log_debug("%s: handing the command over to '%s'", what, path);
        log_close(); /* --log is opened again by the other binary */
        execv(path, g->argv);
        r = -errno;
        (void) log_open(g->log, g->log_json, g->debug);
        return log_error_errno(
                r,
                "%s needs the systemd cgroup driver, which is in '%s' (installed beside tether): "
                "cannot execute it",
                what,
                path);
}

int cli_systemd_switch_for(const GlobalOptions *g, char **cgroup_paths, const char *id) {
        char what[160];

        if (HAVE_SYSTEMD_DRIVER || !container_cgroup_paths_systemd(cgroup_paths))
                return 0;
        snprintf(what, sizeof(what), "container '%s' (in a systemd scope)", id);
        return cli_systemd_switch(g, what);
}
