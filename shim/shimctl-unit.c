/* shimctl run on a systemd host: the shim as a transient service, tether-shim-ID.service, through
 * org.freedesktop.systemd1.Manager.StartTransientUnit: Type=notify (the start job ends once the shim says
 * READY=1, the container running), Delegate=yes (the shim hands the container a group of the service's,
 * delegate.c), KillMode=mixed (`systemctl stop` sends SIGTERM to the shim alone, which stops the container
 * within its --stop-timeout), CollectMode=inactive-or-failed (no unit stays once the container ended).
 * The shim's "ok PID" or its error comes back through a FIFO, as the detached shim's through its pipe.
 * After containers/crun:src/libcrun/cgroup-systemd.c and cgroups/cgroup-systemd.c (JobRemoved). */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "macro.h"
#include "shimctl.h"

#define JOB_TIMEOUT_USEC (120ULL * 1000000ULL) /* bounds a failure; the shim starts in milliseconds */

typedef struct Job {
        const char *path;
        bool removed;
        char result[32];
} Job;

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *job = userdata;
        const char *path, *unit, *result;
        uint32_t id;

        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) >= 0 && job->path &&
            strcmp(path, job->path) == 0) {
                job->removed = true;
                snprintf(job->result, sizeof(job->result), "%s", result);
        }
        return 0;
}

static int append_exec(sd_bus_message *m, char **argv) {
        int r;

        if ((r = sd_bus_message_open_container(m, 'r', "sv")) < 0 ||
            (r = sd_bus_message_append(m, "s", "ExecStart")) < 0 ||
            (r = sd_bus_message_open_container(m, 'v', "a(sasb)")) < 0 ||
            (r = sd_bus_message_open_container(m, 'a', "(sasb)")) < 0 ||
            (r = sd_bus_message_open_container(m, 'r', "sasb")) < 0 ||
            (r = sd_bus_message_append(m, "s", argv[0])) < 0 ||
            (r = sd_bus_message_append_strv(m, argv)) < 0 || (r = sd_bus_message_append(m, "b", 0)) < 0)
                return r;
        for (int i = 0; i < 4; i++)
                if ((r = sd_bus_message_close_container(m)) < 0)
                        return r;
        return 0;
}

static int
start_unit(sd_bus *bus, const char *unit, const char *id, char **argv, double stop_timeout, Job *job) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char description[256];
        int r;

        snprintf(description, sizeof(description), "tether container %s", id);
        r = sd_bus_message_new_method_call(bus,
                                           &m,
                                           "org.freedesktop.systemd1",
                                           "/org/freedesktop/systemd1",
                                           "org.freedesktop.systemd1.Manager",
                                           "StartTransientUnit");
        if (r < 0 || (r = sd_bus_message_append(m, "ss", unit, "fail")) < 0 ||
            (r = sd_bus_message_open_container(m, 'a', "(sv)")) < 0 ||
            (r = sd_bus_message_append(m, "(sv)", "Description", "s", description)) < 0 ||
            (r = sd_bus_message_append(m, "(sv)", "Type", "s", "notify")) < 0 ||
            (r = sd_bus_message_append(m, "(sv)", "NotifyAccess", "s", "main")) < 0 ||
            (r = sd_bus_message_append(m, "(sv)", "Delegate", "b", 1)) < 0 ||
            (r = sd_bus_message_append(m, "(sv)", "KillMode", "s", "mixed")) < 0 ||
            (r = sd_bus_message_append(m, "(sv)", "CollectMode", "s", "inactive-or-failed")) < 0 ||
            (r = sd_bus_message_append(
                     m, "(sv)", "TimeoutStopUSec", "t", (uint64_t) ((stop_timeout + 10) * 1e6))) < 0 ||
            (r = append_exec(m, argv)) < 0 || (r = sd_bus_message_close_container(m)) < 0 ||
            (r = sd_bus_message_append(m, "a(sa(sv))", 0)) < 0)
                return ctl_error(
                        "container '%s': cannot build the call for unit '%s': %s", id, unit, strerror(-r));
        r = sd_bus_call(bus, m, JOB_TIMEOUT_USEC, &error, &reply);
        if (r < 0) {
                ctl_error("container '%s': systemd cannot start unit '%s': %s",
                          id,
                          unit,
                          error.message ?: strerror(-r));
                sd_bus_error_free(&error);
                return 1;
        }
        r = sd_bus_message_read(reply, "o", &job->path);
        if (r < 0)
                return ctl_error("container '%s': no job for unit '%s': %s", id, unit, strerror(-r));
        job->path = strdup(job->path);
        return job->path ? 0 : ctl_error("out of memory");
}

/* The shim's line from the FIFO: "ok PID" or its error; waits up to timeout_ms for it. */
static void read_ready(int fd, int timeout_ms, char *buf, size_t size) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        size_t len = 0;

        buf[0] = '\0';
        while (len + 1 < size && poll(&p, 1, timeout_ms) > 0) {
                ssize_t n = read(fd, buf + len, size - 1 - len);

                if (n <= 0)
                        break;
                len += (size_t) n;
                buf[len] = '\0';
                if (memchr(buf, '\n', len))
                        break;
        }
        buf[strcspn(buf, "\n")] = '\0';
}

int ctl_run_unit(const Ctl *c, const char *id, char **argv, const char *fifo, double stop_timeout) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_close_ int fd = -EBADF;
        Job job = {};
        char unit[256], line[1024];
        int r;

        snprintf(unit, sizeof(unit), "tether-shim-%s.service", id);
        /* open for reading first, without waiting for a writer: the shim opens it non-blocking */
        fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return ctl_error("container '%s': cannot open '%s': %m", id, fifo);
        r = sd_bus_open_system(&bus);
        if (r < 0)
                return ctl_error("container '%s': cannot connect to the system bus: %s", id, strerror(-r));
        r = sd_bus_match_signal(bus,
                                &slot,
                                "org.freedesktop.systemd1",
                                "/org/freedesktop/systemd1",
                                "org.freedesktop.systemd1.Manager",
                                "JobRemoved",
                                on_job_removed,
                                &job);
        if (r < 0)
                return ctl_error("container '%s': cannot watch systemd's jobs: %s", id, strerror(-r));
        r = start_unit(bus, unit, id, argv, stop_timeout, &job);
        if (r != 0)
                return r;
        while (!job.removed) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        break;
                if (r == 0 && (r = sd_bus_wait(bus, JOB_TIMEOUT_USEC)) <= 0)
                        break;
        }
        free((char *) job.path);
        read_ready(fd, strcmp(job.result, "done") == 0 ? 5000 : 1000, line, sizeof(line));
        if (strcmp(job.result, "done") == 0 && strncmp(line, "ok ", 3) == 0)
                return 0;
        if (line[0])
                return ctl_error("%s", line);
        return ctl_error("container '%s': unit '%s' did not start (%s); see journalctl -u %s",
                         id,
                         unit,
                         job.result[0] ? job.result : "no answer",
                         unit);
}
