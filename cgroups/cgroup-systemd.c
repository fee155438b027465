/* The systemd backend: the container's group is a transient scope, "prefix-name.scope" in the slice of
 * linux.cgroupsPath, that systemd's manager makes on the system bus (StartTransientUnit, PIDs=[pid],
 * Delegate=yes) with the limits systemd has properties for; the rest (the `unified` keys, io.max, hugetlb,
 * rdma, cpu.idle, the exact device filter) go into the delegated group through the v2 backend, as do
 * freeze, kill, stats and the OOM watch. After opencontainers/runc:vendor/github.com/opencontainers/
 * cgroups/systemd/{common,v2,dbus}.go (startUnit, stopUnit, genV2ResourcesProperties) and
 * containers/crun:src/libcrun/cgroup-systemd.c (enter_systemd_cgroup_scope, systemd_job_removed,
 * append_resources). cgroup v2 hosts only: on v1 systemd spreads a scope over a hierarchy per
 * controller, which tether's v1 backend does not follow. Blocking sd-bus calls: the runtime is a CLI. */

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-bus.h>

#include "cgroup-internal.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
/* Bounds a failure only: starting or stopping a scope takes milliseconds, under a second in the vm
 * suite's emulated guest. */
#define JOB_TIMEOUT_USEC (60ULL * 1000000ULL)

typedef struct Systemd {
        sd_bus *bus;
        char *slice;
        char *unit;
        unsigned version; /* the manager's, 0 until asked */
} Systemd;

typedef struct Job {
        const char *path; /* the job's object path, NULL until StartTransientUnit answers */
        bool removed; /* JobRemoved came */
        char *result; /* its result; NULL if strdup() failed */
} Job;

static void sd_done(Cgroup *cg) {
        Systemd *s = cg->backend;

        if (!s)
                return;
        sd_bus_flush_close_unref(s->bus);
        free(s->slice);
        free(s->unit);
        free(s);
        cg->backend = NULL;
}

static const char *system_bus_address(void) {
        const char *a = getenv("DBUS_SYSTEM_BUS_ADDRESS");

        return a && a[0] ? a : "unix:path=/run/dbus/system_bus_socket";
}

/* The bus, and systemd on it: either missing is an error that names the bus and the driver. */
static int bus_get(Cgroup *cg, sd_bus **ret) {
        Systemd *s = cg->backend;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus *bus = NULL;
        int r;

        if (s->bus) {
                *ret = s->bus;
                return 0;
        }
        r = sd_bus_open_system(&bus);
        if (r < 0)
                return cg_fail(cg,
                               r,
                               "systemd cgroup driver: cannot connect to the system bus at '%s'",
                               system_bus_address());
        r = sd_bus_call_method(bus,
                               "org.freedesktop.DBus",
                               "/org/freedesktop/DBus",
                               "org.freedesktop.DBus",
                               "GetNameOwner",
                               &error,
                               &reply,
                               "s",
                               SYSTEMD_DEST);
        if (r < 0) {
                r = cg_fail(cg,
                            r,
                            "systemd cgroup driver: no systemd (%s) on the system bus at '%s': %s",
                            SYSTEMD_DEST,
                            system_bus_address(),
                            error.message ? error.message : strerror(-r));
                sd_bus_error_free(&error);
                sd_bus_flush_close_unref(bus);
                return r;
        }
        s->bus = *ret = bus;
        return 0;
}

static int bus_fail(Cgroup *cg, int r, sd_bus_error *error, const char *what) {
        r = cg_fail(cg,
                    r,
                    "systemd: %s of unit '%s': %s",
                    what,
                    ((Systemd *) cg->backend)->unit,
                    error && error->message ? error->message : strerror(-r));
        sd_bus_error_free(error);
        return r;
}

static int job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *job = userdata;
        const char *path = NULL, *unit = NULL, *result = NULL;
        uint32_t id;

        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (job->path && strcmp(path, job->path) == 0 && !job->removed) {
                job->removed = true;
                job->result = strdup(result);
        }
        return 0;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Waits for the job's JobRemoved (the match was added before the call, so that a fast job's signal is
 * queued, not lost: runc's startUnit and crun's systemd_check_job_status do the same) and checks that
 * it is "done": anything else ("failed", "timeout", "dependency", "canceled") is the job's failure. */
static int job_wait(Cgroup *cg, Job *job, const char *op) {
        sd_bus *bus = ((Systemd *) cg->backend)->bus;
        uint64_t deadline = now_usec() + JOB_TIMEOUT_USEC;
        int r;

        while (!job->removed) {
                uint64_t now = now_usec();

                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return bus_fail(cg, r, NULL, op);
                if (r > 0)
                        continue;
                if (now >= deadline)
                        return bus_fail(cg, -ETIMEDOUT, NULL, op);
                r = sd_bus_wait(bus, deadline - now);
                if (r < 0)
                        return bus_fail(cg, r, NULL, op);
        }
        if (!job->result)
                return -ENOMEM;
        if (strcmp(job->result, "done") != 0)
                return cg_fail(cg,
                               -EIO,
                               "systemd: %s of unit '%s': the job's result is '%s', not 'done'",
                               op,
                               ((Systemd *) cg->backend)->unit,
                               job->result);
        return 0;
}

/* Sends m, a Manager call that returns a job, and waits for the job. With ret_no_unit, a unit that is not
 * loaded (NoSuchUnit) is no error but sets it. */
static int call_job(Cgroup *cg, sd_bus_message *m, const char *op, bool *ret_no_unit) {
        Systemd *s = cg->backend;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        Job job = {};
        int r;

        r = sd_bus_match_signal(
                s->bus, &slot, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "JobRemoved", job_removed, &job);
        if (r < 0)
                return bus_fail(cg, r, NULL, "adding a match for JobRemoved");
        r = sd_bus_call(s->bus, m, JOB_TIMEOUT_USEC, &error, &reply);
        if (r < 0 && ret_no_unit && sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit")) {
                sd_bus_error_free(&error);
                *ret_no_unit = true;
                return 0;
        }
        if (r < 0)
                return bus_fail(cg, r, &error, op);
        r = sd_bus_message_read(reply, "o", &job.path);
        if (r < 0)
                return bus_fail(cg, r, NULL, op);
        r = job_wait(cg, &job, op);
        free(job.result);
        return r;
}

static int manager_version(Cgroup *cg) {
        Systemd *s = cg->backend;
        _cleanup_free_ char *v = NULL;

        if (s->version == 0 &&
            sd_bus_get_property_string(
                    s->bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "Version", NULL, &v) >= 0)
                s->version = (unsigned) strtoul(v + strspn(v, "v"), NULL, 10); /* "252.38-1~deb12u1" */
        return (int) s->version;
}

static int append_u64(sd_bus_message *m, const char *name, uint64_t v) {
        return sd_bus_message_append(m, "(sv)", name, "t", v);
}

static int append_bits(sd_bus_message *m, const char *name, const uint8_t *bits, size_t n) {
        int r;

        if ((r = sd_bus_message_open_container(m, 'r', "sv")) < 0 ||
            (r = sd_bus_message_append(m, "s", name)) < 0 ||
            (r = sd_bus_message_open_container(m, 'v', "ay")) < 0 ||
            (r = sd_bus_message_append_array(m, 'y', bits, n)) < 0 ||
            (r = sd_bus_message_close_container(m)) < 0)
                return r;
        return sd_bus_message_close_container(m);
}

/* -1 ("max") is systemd's infinity. */
static uint64_t limit(int64_t v) {
        return v < 0 ? UINT64_MAX : (uint64_t) v;
}

/* MemoryMax, MemoryLow, MemorySwapMax (v2's swap alone, runc's conversion against the limit given, else
 * the group's current one), TasksMax (runc: 0 and -1 are no limit). */
static int append_memory_pids(Cgroup *cg, sd_bus_message *m, const CgroupResources *res) {
        int64_t swap = 0;
        int r;

        if (res->has_memory_swap) {
                int64_t mem = res->has_memory_limit ? res->memory_limit : -1;
                uint64_t cur;

                if (!res->has_memory_limit && cg->unified.fd >= 0 &&
                    cg_read_u64_at(cg->unified.fd, "memory.max", &cur) >= 0)
                        mem = cur == UINT64_MAX ? -1 : (int64_t) cur;
                r = cgroup_memory_swap_to_v2(res->memory_swap, mem, &swap);
                if (r < 0)
                        return cg_fail(cg,
                                       r,
                                       "memory.swap: %" PRIi64
                                       " cannot be converted against memory.limit %" PRIi64,
                                       res->memory_swap,
                                       mem);
        }
        if (res->has_memory_limit && (r = append_u64(m, "MemoryMax", limit(res->memory_limit))) < 0)
                return r;
        if (res->has_memory_reservation &&
            (r = append_u64(m, "MemoryLow", limit(res->memory_reservation))) < 0)
                return r;
        if (res->has_memory_swap && (r = append_u64(m, "MemorySwapMax", limit(swap))) < 0)
                return r;
        if (res->has_pids_limit &&
            (r = append_u64(m, "TasksMax", res->pids_limit > 0 ? (uint64_t) res->pids_limit : UINT64_MAX)) <
                    0)
                return r;
        return 0;
}

/* CPUWeight from shares (runc's and crun's conversion), CPUQuotaPerSecUSec and, from systemd 242,
 * CPUQuotaPeriodUSec (runc's addCPUQuota), AllowedCPUs and AllowedMemoryNodes as bit masks (runc's
 * addCpuset; systemd 244 has them), IOWeight from blkio's weight (runc's ConvertBlkIOToIOWeightValue). */
static int append_cpu_io(Cgroup *cg, sd_bus_message *m, const CgroupResources *res) {
        const char *sets[2][2] = {{"AllowedCPUs", res->cpu_cpus}, {"AllowedMemoryNodes", res->cpu_mems}};
        int r;

        if (res->has_cpu_shares && res->cpu_shares != 0 &&
            (r = append_u64(m, "CPUWeight", cgroup_cpu_shares_to_weight(res->cpu_shares))) < 0)
                return r;
        if (res->has_cpu_period && res->cpu_period != 0 && manager_version(cg) >= 242 &&
            (r = append_u64(m, "CPUQuotaPeriodUSec", res->cpu_period)) < 0)
                return r;
        if ((res->has_cpu_quota && res->cpu_quota != 0) || (res->has_cpu_period && res->cpu_period != 0)) {
                uint64_t q = cgroup_systemd_cpu_quota_per_sec(
                        res->has_cpu_quota, res->cpu_quota, res->has_cpu_period ? res->cpu_period : 0);

                if ((r = append_u64(m, "CPUQuotaPerSecUSec", q)) < 0)
                        return r;
        }
        for (size_t i = 0; i < 2; i++) {
                _cleanup_free_ uint8_t *bits = NULL;
                size_t n;

                if (!sets[i][1])
                        continue;
                r = cgroup_systemd_cpuset_to_bits(sets[i][1], &bits, &n);
                if (r < 0)
                        return cg_fail(cg,
                                       r,
                                       "%s: '%.64s' is not a list of numbers and ranges below 8192",
                                       i == 0 ? "cpu.cpus" : "cpu.mems",
                                       sets[i][1]);
                if ((r = append_bits(m, sets[i][0], bits, n)) < 0)
                        return r;
        }
        if (res->has_blkio_weight &&
            (r = append_u64(m, "IOWeight", cgroup_blkio_weight_to_io_weight(res->blkio_weight))) < 0)
                return r;
        return 0;
}

/* DevicePolicy and DeviceAllow, as runc's devices/systemd.go: "strict" with an entry covering each allow
 * rule, or "auto" with none when a rule allows everything. systemd has no deny entries: its entries are
 * a superset, and the v2 backend's eBPF filter, attached next to systemd's program, makes the rules
 * exact (a device passes only if every program allows it). An empty DeviceAllow first clears an
 * updated unit's list (runc does the same). */
static int append_devices(Cgroup *cg, sd_bus_message *m, const CgroupResources *res) {
        bool all = false;
        int r;

        if (!res->has_devices)
                return 0;
        for (size_t i = 0; i < res->n_devices; i++) {
                const CgroupDeviceRule *d = &res->devices[i];

                if (d->allow && d->type == 'a' && d->major < 0 && d->minor < 0 && strchr(d->access, 'r') &&
                    strchr(d->access, 'w') && strchr(d->access, 'm'))
                        all = true;
        }
        if ((r = sd_bus_message_append(m, "(sv)", "DevicePolicy", "s", all ? "auto" : "strict")) < 0 ||
            (r = sd_bus_message_append(m, "(sv)", "DeviceAllow", "a(ss)", 0)) < 0)
                return r;
        if (all)
                return 0;
        if ((r = sd_bus_message_open_container(m, 'r', "sv")) < 0 ||
            (r = sd_bus_message_append(m, "s", "DeviceAllow")) < 0 ||
            (r = sd_bus_message_open_container(m, 'v', "a(ss)")) < 0 ||
            (r = sd_bus_message_open_container(m, 'a', "(ss)")) < 0)
                return r;
        for (size_t i = 0; i < res->n_devices; i++) {
                char a[64], b[64];

                if (!res->devices[i].allow)
                        continue;
                r = cgroup_systemd_device_allow(&res->devices[i], a, b, sizeof(a));
                if (r < 0)
                        return cg_fail(cg, r, "devices[%zu]: no DeviceAllow= entry for it", i);
                if ((r = sd_bus_message_append(m, "(ss)", a, res->devices[i].access)) < 0 ||
                    (b[0] && (r = sd_bus_message_append(m, "(ss)", b, res->devices[i].access)) < 0))
                        return r;
        }
        if ((r = sd_bus_message_close_container(m)) < 0 || (r = sd_bus_message_close_container(m)) < 0)
                return r;
        return sd_bus_message_close_container(m);
}

/* The limits as properties; *ret_rest gets what systemd has no property for, for the v2 backend. */
static int
append_limits(Cgroup *cg, sd_bus_message *m, const CgroupResources *res, CgroupResources *ret_rest) {
        CgroupResources rest = *res;
        int r;

        if ((r = append_memory_pids(cg, m, res)) < 0 || (r = append_cpu_io(cg, m, res)) < 0 ||
            (r = append_devices(cg, m, res)) < 0)
                return r;
        rest.has_memory_limit = rest.has_memory_reservation = rest.has_memory_swap = false;
        rest.has_pids_limit = rest.has_cpu_shares = rest.has_cpu_quota = rest.has_cpu_period = false;
        rest.cpu_cpus = rest.cpu_mems = NULL;
        rest.has_blkio_weight = false;
        *ret_rest = rest; /* devices stay: the eBPF filter makes them exact */
        return 0;
}

/* The unit's group, from its ControlGroup property, opened as the v2 backend's group. */
static int open_group(Cgroup *cg) {
        Systemd *s = cg->backend;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *rel = NULL, *path = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *object;
        int r;

        r = sd_bus_call_method(s->bus,
                               SYSTEMD_DEST,
                               SYSTEMD_PATH,
                               SYSTEMD_MANAGER,
                               "GetUnit",
                               &error,
                               &reply,
                               "s",
                               s->unit);
        if (r < 0)
                return bus_fail(cg, r, &error, "GetUnit");
        r = sd_bus_message_read(reply, "o", &object);
        if (r < 0)
                return bus_fail(cg, r, NULL, "GetUnit");
        r = sd_bus_get_property_string(s->bus,
                                       SYSTEMD_DEST,
                                       object,
                                       "org.freedesktop.systemd1.Scope",
                                       "ControlGroup",
                                       &error,
                                       &rel);
        if (r < 0)
                return bus_fail(cg, r, &error, "reading ControlGroup");
        if (rel[0] != '/')
                return cg_fail(
                        cg, -ENOENT, "systemd: unit '%s' has no group (ControlGroup '%s')", s->unit, rel);
        if (asprintf(&path, "%s%s", cg->host->unified.mount, rel) < 0)
                return -ENOMEM;
        free(cg->unified.rel);
        free(cg->unified.path);
        cg->unified.rel = TAKE_PTR(rel);
        cg->unified.path = TAKE_PTR(path);
        r = cg_dir_open(&cg->unified);
        if (r < 0)
                return cg_fail(cg, r, "cgroup2 group %s of unit '%s'", cg->unified.path, s->unit);
        cg->enabled = cg_v2_read_mask(cg->unified.fd, "cgroup.controllers");
        return 0;
}

static int new_manager_call(Cgroup *cg, const char *method, sd_bus_message **ret) {
        sd_bus *bus;
        int r;

        r = bus_get(cg, &bus);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_call(bus, ret, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, method);
        if (r < 0)
                return bus_fail(cg, r, NULL, method);
        return 0;
}

/* StopUnit, waiting for the job, then ResetFailedUnit: a scope whose process an OOM kill ended may be
 * "failed" and stay loaded. A unit already gone is no error: systemd collects a scope once its last
 * process exited, which cgroup_destroy()'s kill makes happen, so the unit may go at any moment. */
static int stop_unit(Cgroup *cg) {
        Systemd *s = cg->backend;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        bool gone = false;
        int r;

        r = new_manager_call(cg, "StopUnit", &m);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ss", s->unit, "replace");
        if (r < 0)
                return bus_fail(cg, r, NULL, "StopUnit");
        r = call_job(cg, m, "StopUnit", &gone);
        if (r < 0 || gone)
                return r;
        (void) sd_bus_call_method(s->bus,
                                  SYSTEMD_DEST,
                                  SYSTEMD_PATH,
                                  SYSTEMD_MANAGER,
                                  "ResetFailedUnit",
                                  NULL,
                                  NULL,
                                  "s",
                                  s->unit);
        return 0;
}

/* StartTransientUnit(name, "replace", properties, no auxiliary units). */
static int sd_create_pid(Cgroup *cg, const CgroupResources *res, pid_t pid) {
        Systemd *s = cg->backend;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        CgroupResources rest;
        char saved[sizeof(cg->what)];
        int r;

        r = new_manager_call(cg, "StartTransientUnit", &m);
        if (r < 0)
                return r;
        cg->what[0] = '\0';
        if ((r = sd_bus_message_append(m, "ss", s->unit, "replace")) < 0 ||
            (r = sd_bus_message_open_container(m, 'a', "(sv)")) < 0 ||
            (r = sd_bus_message_append(m, "(sv)", "Description", "s", "tether container")) < 0 ||
            (r = sd_bus_message_append(m, "(sv)", "Slice", "s", s->slice)) < 0 ||
            (r = sd_bus_message_append(m, "(sv)", "PIDs", "au", 1, (uint32_t) pid)) < 0 ||
            (r = sd_bus_message_append(m, "(sv)", "Delegate", "b", 1)) < 0 ||
            /* runc's: no dependencies on the system's shutdown ordering; a failed scope is collected */
            (r = sd_bus_message_append(m, "(sv)", "DefaultDependencies", "b", 0)) < 0 ||
            (r = sd_bus_message_append(m, "(sv)", "CollectMode", "s", "inactive-or-failed")) < 0 ||
            (r = sd_bus_message_append(m, "(sv)", "MemoryAccounting", "b", 1)) < 0 ||
            (r = sd_bus_message_append(m, "(sv)", "CPUAccounting", "b", 1)) < 0 ||
            (r = sd_bus_message_append(m, "(sv)", "IOAccounting", "b", 1)) < 0 ||
            (r = sd_bus_message_append(m, "(sv)", "TasksAccounting", "b", 1)) < 0 ||
            (r = append_limits(cg, m, res, &rest)) < 0 || (r = sd_bus_message_close_container(m)) < 0 ||
            (r = sd_bus_message_append(m, "a(sa(sv))", 0)) < 0)
                return cg->what[0] ? r : bus_fail(cg, r, NULL, "building StartTransientUnit");
        r = call_job(cg, m, "StartTransientUnit", NULL);
        if (r < 0)
                return r;
        r = open_group(cg);
        if (r >= 0)
                r = cg_v2_apply(cg, &rest);
        if (r < 0) {
                /* the process is ours to lose: the caller's container fails with this */
                memcpy(saved, cg->what, sizeof(saved));
                if (cg->unified.fd >= 0)
                        (void) cg_v2_kill(cg, &cg->unified);
                (void) stop_unit(cg);
                memcpy(cg->what, saved, sizeof(saved));
        }
        return r;
}

static int sd_create(Cgroup *cg) {
        return cg_fail(
                cg,
                -EOPNOTSUPP,
                "systemd cgroup driver: a scope is made around a process: cgroup_create_pid(), not cgroup_create()");
}

static int sd_check(Cgroup *cg, const CgroupResources *res) {
        if (!cg->host->unified.mount || cg->host->mode != CGROUP_MODE_UNIFIED)
                return cg_fail(cg,
                               -EOPNOTSUPP,
                               "systemd cgroup driver: needs a cgroup v2 (unified) host, this one is %s",
                               cgroup_mode_to_string(cg->host->mode));
        return cg_v2_refuse_v1_only(cg, res);
}

static int sd_open(Cgroup *cg) {
        sd_bus *bus;
        int r;

        r = bus_get(cg, &bus);
        if (r < 0)
                return r;
        return open_group(cg);
}

/* An update: SetUnitProperties(runtime), then the rest into the group. */
static int sd_apply(Cgroup *cg, const CgroupResources *res) {
        Systemd *s = cg->backend;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        CgroupResources rest;
        int r;

        if (cg->unified.fd < 0)
                return cg_fail(cg, -EBADF, "systemd: unit '%s' not opened", s->unit);
        r = new_manager_call(cg, "SetUnitProperties", &m);
        if (r < 0)
                return r;
        cg->what[0] = '\0';
        if ((r = sd_bus_message_append(m, "sb", s->unit, 1)) < 0 ||
            (r = sd_bus_message_open_container(m, 'a', "(sv)")) < 0 ||
            (r = append_limits(cg, m, res, &rest)) < 0 || (r = sd_bus_message_close_container(m)) < 0)
                return cg->what[0] ? r : bus_fail(cg, r, NULL, "building SetUnitProperties");
        r = sd_bus_call(s->bus, m, JOB_TIMEOUT_USEC, &error, &reply);
        if (r < 0)
                return bus_fail(cg, r, &error, "SetUnitProperties");
        return cg_v2_apply(cg, &rest);
}

/* More processes go straight into the delegated group, as runc's AddPid does for a subgroup. */
static int sd_attach(Cgroup *cg, pid_t pid) {
        int r;

        r = cg_attach_at(cg->unified.fd, pid);
        if (r < 0)
                return cg_fail(cg, r, "cgroup.procs in %s", cg->unified.path);
        return 0;
}

static int sd_freeze(Cgroup *cg, bool frozen) {
        return cg_v2_freeze(cg, &cg->unified, frozen);
}

/* -ENOENT when the group is gone (the unit collected once empty): cgroup_destroy() goes on to stop. */
static int sd_kill_all(Cgroup *cg) {
        int r;

        if (cg->unified.fd < 0)
                return -ENOENT;
        r = cg_v2_kill(cg, &cg->unified);
        return r == -ENODEV ? -ENOENT : r;
}

static int sd_remove(Cgroup *cg, bool rollback) {
        if (rollback) /* cgroup_create()'s: nothing was made */
                return 0;
        return stop_unit(cg);
}

static const CgroupOps cgroup_systemd_ops = {
        .name = "systemd",
        .check = sd_check,
        .create = sd_create,
        .create_pid = sd_create_pid,
        .open = sd_open,
        .apply = sd_apply,
        .attach = sd_attach,
        .freeze = sd_freeze,
        .kill_all = sd_kill_all,
        .stats = cg_v2_stats,
        .oom_watch_open = cg_v2_oom_watch_open,
        .oom_watch_drain = cg_v2_oom_watch_drain,
        .oom_kill_count = cg_v2_oom_kill_count,
        .remove = sd_remove,
        .done = sd_done,
};

int cgroup_new_systemd(const CgroupHost *host,
                       const char *path_spec,
                       const char *name,
                       Cgroup **ret,
                       const char **reterr_what) {
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        _cleanup_free_ char *slice_path = NULL, *rel = NULL, *path = NULL;
        Systemd *s;
        int r;

        cg = cgroup_alloc(host, &cgroup_systemd_ops);
        s = calloc(1, sizeof(Systemd));
        if (!cg || !s) {
                free(s);
                return -ENOMEM;
        }
        cg->backend = s;
        r = cgroup_systemd_path_parse(path_spec, name, &s->slice, &s->unit, reterr_what);
        if (r < 0)
                return r;
        /* Where systemd will put it; the ControlGroup property says for sure once it exists. */
        r = cgroup_systemd_expand_slice(s->slice, &slice_path);
        if (r < 0)
                return r;
        if (asprintf(&rel, "%s/%s", strcmp(slice_path, "/") == 0 ? "" : slice_path, s->unit) < 0) {
                rel = NULL;
                return -ENOMEM;
        }
        if (asprintf(&path, "%s%s", host->unified.mount ?: "/sys/fs/cgroup", rel) < 0) {
                path = NULL;
                return -ENOMEM;
        }
        cg->unified.rel = TAKE_PTR(rel);
        cg->unified.path = TAKE_PTR(path);
        *ret = TAKE_PTR(cg);
        return 0;
}
