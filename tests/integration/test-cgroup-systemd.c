/* The systemd driver (cgroups/cgroup-systemd.c). Everywhere: without a system bus (here, an address where
 * none listens) it fails with an error that names the bus and the driver, and nothing is created; a bad
 * cgroupsPath and a v1-only setting are refused before the bus is asked. With systemd on the system bus,
 * as in the vm suite's guest (tests/vm/guest/test_cgroup_programs.py runs this program there): the
 * transient scope exists with the limits as unit properties (systemctl show) and in the group's files,
 * the test's child is in it, the device rules hold, what systemd has no property for lands in the
 * delegated group, an update and a second opener reach the unit, freeze and thaw work, a memory limit
 * OOM-kills and the OOM watch fires, and the unit is gone after destroy. As root; units
 * tether-test-<random>-*.scope in system.slice. */

#include <inttypes.h>
#include <sys/mman.h>

#include "cgroup-test.h"

#define MIB (INT64_C(1) << 20)

static const CgroupHost *host;

static void child_idle(int report) {
        for (;;)
                pause();
}

/* The output of a shell command, its trailing newline cut. */
static char *command_output(const char *cmd) {
        static char buf[4096];
        FILE *f = popen(cmd, "re");
        size_t n = 0;

        buf[0] = '\0';
        if (!f)
                return buf;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        while (n > 0 && buf[n - 1] == '\n')
                buf[--n] = '\0';
        (void) pclose(f);
        return buf;
}

static void expect_property(const char *unit, const char *prop, const char *want) {
        char cmd[512];
        const char *got;

        snprintf(cmd, sizeof(cmd), "systemctl show -P %s %s 2>&1", prop, unit);
        got = command_output(cmd);
        if (!tap_ok(strcmp(got, want) == 0, "systemctl show: %s=%s", prop, want))
                printf("#   got '%s'\n", got);
}

/* A property of several values, which systemctl show -P prints a line each (in its own order). */
static void expect_property_has(const char *unit, const char *prop, const char *line) {
        char cmd[512], want[256];
        const char *got;

        snprintf(cmd, sizeof(cmd), "systemctl show -P %s %s 2>&1", prop, unit);
        snprintf(want, sizeof(want), "\n%s\n", line);
        got = command_output(cmd);
        {
                char framed[4200];

                snprintf(framed, sizeof(framed), "\n%s\n", got);
                if (!tap_ok(strstr(framed, want) != NULL, "systemctl show: %s has '%s'", prop, line))
                        printf("#   got '%s'\n", got);
        }
}

static void expect_file(Cgroup *cg, const char *file, const char *want) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = cg_read_at(cg->unified.fd, file, &text);
        if (r >= 0)
                text[strcspn(text, "\n")] = '\0';
        if (!tap_ok(r >= 0 && strcmp(text, want) == 0, "%s reads back '%s'", file, want))
                printf("#   got '%s' (%s)\n", text ? text : "", r < 0 ? strerror(-r) : "read");
}

static bool group_has(Cgroup *cg, const char *file, const char *line) {
        _cleanup_free_ char *text = NULL;

        return cg_read_at(cg->unified.fd, file, &text) >= 0 && strstr(text, line);
}

static Cgroup *new_group(const char *name, char *unit, size_t size) {
        char spec[128];
        Cgroup *cg = NULL;
        const char *what = "";
        int r;

        snprintf(spec, sizeof(spec), "system.slice:%s:%s", test_parent, name);
        snprintf(unit, size, "%s-%s.scope", test_parent, name);
        r = cgroup_new_systemd(host, spec, name, &cg, &what);
        if (!tap_ok(r >= 0, "cgroup_new_systemd(%s)", spec))
                printf("#   %s: %s\n", what, strerror(-r));
        return cg;
}

static void destroy(Cgroup *cg, const char *unit) {
        char path[PATH_MAX];
        const char *what = "";
        struct stat st;
        int r;

        snprintf(path, sizeof(path), "%s", cgroup_get_path(cg));
        r = cgroup_destroy(cg, &what);
        if (!tap_ok(r >= 0, "destroy %s", unit))
                printf("#   %s: %s\n", what, strerror(-r));
        expect_property(unit, "LoadState", "not-found");
        tap_ok(stat(path, &st) < 0 && errno == ENOENT, "the scope's group %s is gone", path);
        cgroup_free(cg);
}

/* An update goes through SetUnitProperties; another Cgroup (as a later `tether delete` makes) opens the
 * same unit's group by name. */
static void test_update_and_open(Cgroup *cg, const char *unit) {
        CgroupResources res = {
                .has_memory_limit = true,
                .memory_limit = 48 * MIB,
                .has_pids_limit = true,
                .pids_limit = 16,
        };
        const char *what = "";
        Cgroup *again = NULL;
        int r;

        r = cgroup_update(cg, &res, &what);
        if (!tap_ok(r >= 0, "update %s", unit))
                printf("#   %s: %s\n", what, strerror(-r));
        expect_property(unit, "MemoryMax", "50331648");
        expect_property(unit, "TasksMax", "16");
        expect_file(cg, "memory.max", "50331648");
        expect_file(cg, "pids.max", "16");
        r = cgroup_new_systemd(host, "system.slice:tether-test-x:limits", "limits", &again, &what);
        TAP_EQ_INT(r, 0);
        if (again) {
                r = cgroup_open(again, &what);
                tap_ok(r == -ENXIO || r == -ENOENT, "opening a unit that does not exist fails (%s)", what);
                cgroup_free(again);
                again = NULL;
        }
        {
                char spec[160];

                snprintf(spec, sizeof(spec), "system.slice:%s:limits", test_parent);
                TAP_EQ_INT(cgroup_new_systemd(host, spec, "limits", &again, &what), 0);
        }
        if (again) {
                r = cgroup_open(again, &what);
                if (!tap_ok(r >= 0, "a second Cgroup opens %s", unit))
                        printf("#   %s: %s\n", what, strerror(-r));
                TAP_EQ_STR(cgroup_get_path(again), cgroup_get_path(cg));
                cgroup_free(again);
        }
}

/* Opens /dev/null (allowed) and /dev/zero (not) for reading; reports both errnos (0: opened). */
static void child_open_devices(int report) {
        int err[2];
        const char *paths[2] = {"/dev/null", "/dev/zero"};

        for (int i = 0; i < 2; i++) {
                int fd = open(paths[i], O_RDONLY | O_CLOEXEC);

                err[i] = fd < 0 ? errno : 0;
                if (fd >= 0)
                        close(fd);
        }
        (void) write(report, err, sizeof(err));
}

static void test_devices_enforced(Cgroup *cg) {
        Child c = {.pidfd = -1, .report = -1};
        int err[2] = {-1, -1};

        TAP_EQ_INT(test_spawn(cg, child_open_devices, &c), 0);
        TAP_EQ_INT(test_read(c.report, err, sizeof(err), 30000), 0);
        TAP_EQ_INT(err[0], 0); /* c 1:3, allowed by DeviceAllow and by the eBPF filter */
        TAP_EQ_INT(err[1], EPERM); /* c 1:5, under "deny all" */
        test_wait(&c, 10000, &(siginfo_t){});
        test_child_done(&c);
}

static void test_limits(void) {
        static const CgroupKeyValue unified[] = {{"memory.high", "62914560"}};
        static const CgroupDeviceRule devices[] = {
                {.allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"},
                {.allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rwm"},
                {.allow = true, .type = 'c', .major = 136, .minor = -1, .access = "rw"},
        };
        CgroupResources res = {
                .has_memory_limit = true,
                .memory_limit = 64 * MIB,
                .has_memory_reservation = true,
                .memory_reservation = 8 * MIB,
                .has_memory_swap = true,
                .memory_swap = 64 * MIB,
                .has_pids_limit = true,
                .pids_limit = 32,
                .has_cpu_quota = true,
                .cpu_quota = 20000,
                .has_cpu_period = true,
                .cpu_period = 100000,
                .has_cpu_shares = true,
                .cpu_shares = 2048,
                .cpu_cpus = "0",
                .has_blkio_weight = true,
                .blkio_weight = 500,
                .unified = unified,
                .n_unified = 1,
                .has_devices = true,
                .devices = devices,
                .n_devices = 3,
        };
        char unit[160], want[256], proc[64];
        Child c = {.pidfd = -1, .report = -1};
        _cleanup_free_ char *own = NULL;
        const char *what = "";
        CgroupStats st = {};
        Cgroup *cg;
        int r;

        cg = new_group("limits", unit, sizeof(unit));
        if (!cg)
                return;
        TAP_EQ_INT(test_spawn(NULL, child_idle, &c), 0);
        r = cgroup_create_pid(cg, &res, c.pid, &what);
        if (!tap_ok(r >= 0, "create scope %s around the child", unit)) {
                printf("#   %s: %s\n", what, strerror(-r));
                test_child_done(&c);
                cgroup_free(cg);
                return;
        }
        expect_property(unit, "ActiveState", "active");
        expect_property(unit, "Delegate", "yes");
        expect_property(unit, "Slice", "system.slice");
        snprintf(want, sizeof(want), "/system.slice/%s", unit);
        expect_property(unit, "ControlGroup", want);
        snprintf(want, sizeof(want), "/sys/fs/cgroup/system.slice/%s", unit);
        TAP_EQ_STR(cgroup_get_path(cg), want);
        TAP_EQ_STR(cgroup_get_driver(cg), "systemd");
        expect_property(unit, "MemoryMax", "67108864");
        expect_property(unit, "MemoryLow", "8388608");
        expect_property(unit, "MemorySwapMax", "0");
        expect_property(unit, "TasksMax", "32");
        expect_property(unit, "CPUQuotaPerSecUSec", "200ms");
        expect_property(unit, "CPUQuotaPeriodUSec", "100ms");
        expect_property(unit, "CPUWeight", "174");
        expect_property(unit, "AllowedCPUs", "0");
        expect_property(unit, "IOWeight", "4950");
        expect_property(unit, "DevicePolicy", "strict");
        expect_property_has(unit, "DeviceAllow", "/dev/char/1:3 rwm");
        expect_property_has(unit, "DeviceAllow", "char-136 rw");
        expect_file(cg, "memory.max", "67108864");
        expect_file(cg, "memory.swap.max", "0");
        expect_file(cg, "pids.max", "32");
        expect_file(cg, "cpu.max", "20000 100000");
        expect_file(cg, "cpu.weight", "174");
        expect_file(cg, "memory.high", "62914560"); /* the unified key, no property: the delegated group */
        snprintf(proc, sizeof(proc), "/proc/%d/cgroup", (int) c.pid);
        (void) cg_read_at(AT_FDCWD, proc, &own);
        snprintf(want, sizeof(want), "/system.slice/%s", unit);
        tap_ok(own && cg_proc_cgroup_in(own, NULL, want), "the child is in the scope (%s)", want);
        TAP_EQ_INT(cgroup_get_stats(cg, &st, &what), 0);
        TAP_EQ_INT(st.pids.current, 1);
        TAP_EQ_INT(st.pids.limit, 32);
        test_devices_enforced(cg);
        test_update_and_open(cg, unit);
        TAP_EQ_INT(cgroup_freeze(cg, true, &what), 0);
        tap_ok(group_has(cg, "cgroup.events", "frozen 1"), "frozen: cgroup.events says frozen 1");
        TAP_EQ_INT(cgroup_freeze(cg, false, &what), 0);
        tap_ok(group_has(cg, "cgroup.events", "frozen 0"), "thawed: cgroup.events says frozen 0");
        destroy(cg, unit);
        {
                siginfo_t si = {};

                TAP_EQ_INT(test_wait(&c, 30000, &si), 0);
                tap_ok(si.si_code == CLD_KILLED && si.si_status == SIGKILL, "destroy SIGKILLed the child");
        }
        test_child_done(&c);
}

/* Touches 256 MiB page by page: the 32 MiB limit (no swap) OOM-kills it. */
static void child_hog(int report) {
        size_t size = 256 * MIB;
        char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (p == MAP_FAILED)
                _exit(2);
        for (size_t i = 0; i < size; i += 4096)
                p[i] = 1;
        _exit(3);
}

static void test_oom(void) {
        CgroupResources res = {
                .has_memory_limit = true,
                .memory_limit = 32 * MIB,
                .has_memory_swap = true,
                .memory_swap = 32 * MIB,
        };
        Child idle = {.pidfd = -1, .report = -1}, hog = {.pidfd = -1, .report = -1};
        _cleanup_close_ int watch = -EBADF;
        const char *what = "";
        uint64_t kills = 99;
        siginfo_t si = {};
        struct pollfd p;
        char unit[160];
        Cgroup *cg;
        int r;

        cg = new_group("oom", unit, sizeof(unit));
        if (!cg)
                return;
        /* the idle child keeps the scope alive once the hog is gone: systemd stops an empty scope */
        TAP_EQ_INT(test_spawn(NULL, child_idle, &idle), 0);
        r = cgroup_create_pid(cg, &res, idle.pid, &what);
        if (!tap_ok(r >= 0, "create scope %s", unit)) {
                printf("#   %s: %s\n", what, strerror(-r));
                test_child_done(&idle);
                cgroup_free(cg);
                return;
        }
        watch = cgroup_oom_watch_open(cg, &what);
        if (!tap_ok(watch >= 0, "OOM watch opened"))
                printf("#   %s: %s\n", what, strerror(-watch));
        if (watch >= 0)
                TAP_EQ_INT(cgroup_oom_watch_drain(cg, watch), 0);
        TAP_EQ_INT(test_spawn(cg, child_hog, &hog), 0);
        TAP_EQ_INT(test_wait(&hog, 60000, &si), 0);
        tap_ok(si.si_code == CLD_KILLED && si.si_status == SIGKILL,
               "the child touching 256 MiB under MemoryMax=32M is SIGKILLed (code %d, status %d)",
               si.si_code,
               si.si_status);
        p = (struct pollfd){.fd = watch, .events = POLLIN};
        tap_ok(watch >= 0 && poll(&p, 1, 10000) == 1 && (p.revents & POLLIN),
               "the OOM watch polls readable");
        TAP_EQ_INT(cgroup_oom_kill_count(cg, &kills, &what), 0);
        tap_ok(kills >= 1, "memory.events counts %" PRIu64 " oom_kill", kills);
        test_child_done(&hog);
        destroy(cg, unit);
        test_child_done(&idle);
}

/* The payload exits and systemd collects the empty scope, maybe before destroy comes: destroy succeeds
 * either way. */
static void test_payload_gone(void) {
        Child c = {.pidfd = -1, .report = -1};
        const char *what = "";
        siginfo_t si = {};
        char unit[160];
        Cgroup *cg;
        int r;

        cg = new_group("gone", unit, sizeof(unit));
        if (!cg)
                return;
        TAP_EQ_INT(test_spawn(NULL, child_idle, &c), 0);
        r = cgroup_create_pid(cg, NULL, c.pid, &what);
        if (!tap_ok(r >= 0, "create scope %s", unit))
                printf("#   %s: %s\n", what, strerror(-r));
        (void) pidfd_kill(c.pidfd, c.pid, SIGKILL);
        TAP_EQ_INT(test_wait(&c, 30000, &si), 0);
        if (r >= 0)
                destroy(cg, unit);
        else
                cgroup_free(cg);
        test_child_done(&c);
}

/* Refused before anything exists: a v1-only setting, cgroup_create() without a process. */
static void test_refusals(void) {
        CgroupResources v1 = {.has_memory_swappiness = true, .memory_swappiness = 10};
        Child c = {.pidfd = -1, .report = -1};
        const char *what = "";
        char unit[160];
        Cgroup *cg;
        int r;

        cg = new_group("refused", unit, sizeof(unit));
        if (!cg)
                return;
        TAP_EQ_INT(test_spawn(NULL, child_idle, &c), 0);
        r = cgroup_create_pid(cg, &v1, c.pid, &what);
        if (!tap_ok(r == -EOPNOTSUPP && strstr(what, "memory.swappiness"),
                    "memory.swappiness is refused by name"))
                printf("#   %d %s\n", r, what);
        r = cgroup_create(cg, NULL, &what);
        if (!tap_ok(r == -EOPNOTSUPP && strstr(what, "cgroup_create_pid"), "cgroup_create() is refused"))
                printf("#   %d %s\n", r, what);
        expect_property(unit, "LoadState", "not-found");
        cgroup_free(cg);
        test_child_done(&c);
}

/* Pure checks, before any bus: a slice without .slice names the slice; nothing is created. */
static void test_bad_path(void) {
        Cgroup *cg = NULL;
        const char *what = "";
        int r;

        r = cgroup_new_systemd(host, "system:tether:web", "web", &cg, &what);
        if (!tap_ok(r == -EINVAL && !cg && strstr(what, ".slice"),
                    "cgroupsPath 'system:tether:web' is refused"))
                printf("#   %d %s\n", r, what);
        r = cgroup_new_systemd(host, "system.slice:../x:web", "web", &cg, &what);
        if (!tap_ok(r == -EINVAL && !cg && strstr(what, "prefix"),
                    "cgroupsPath with '../x' as prefix is refused"))
                printf("#   %d %s\n", r, what);
}

/* No system bus: address (NULL: the default one, where this host has none) with nobody listening. The
 * error names the bus and the driver. */
static void test_no_bus(const char *address, const char *problem) {
        char unit[160], expected[PATH_MAX];
        Child c = {.pidfd = -1, .report = -1};
        const char *what = "";
        struct stat st;
        Cgroup *cg;
        int r;

        const char *saved = getenv("DBUS_SYSTEM_BUS_ADDRESS");
        _cleanup_free_ char *old = saved ? strdup(saved) : NULL;

        if (address)
                setenv("DBUS_SYSTEM_BUS_ADDRESS", address, 1);
        else
                unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
        cg = new_group("nobus", unit, sizeof(unit));
        if (cg && test_spawn(NULL, child_idle, &c) == 0) {
                snprintf(expected, sizeof(expected), "%s", cgroup_get_path(cg));
                r = cgroup_create_pid(cg, NULL, c.pid, &what);
                if (!tap_ok(r < 0 && strstr(what, problem) && strstr(what, "systemd cgroup driver") &&
                                    strstr(what,
                                           address ? address : "unix:path=/run/dbus/system_bus_socket"),
                            "%s at %s: a clear error",
                            problem,
                            address ? address : "the default address"))
                        printf("#   %d %s\n", r, what);
                else
                        printf("#   %s: %s\n", what, strerror(-r));
                tap_ok(stat(expected, &st) < 0 && errno == ENOENT, "nothing created at %s", expected);
        }
        test_child_done(&c);
        cgroup_free(cg);
        if (old)
                setenv("DBUS_SYSTEM_BUS_ADDRESS", old, 1);
        else
                unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
}

/* A bus without systemd: a private dbus-daemon of our own (session config, a socket in /tmp), whose
 * address stands in for the system bus; killed by its pidfd. */
static void test_bus_without_systemd(void) {
        Child d = {.pidfd = -1, .report = -1};
        char address[512] = "";
        int out[2];
        size_t n = 0;

        if (access("/usr/bin/dbus-daemon", X_OK) < 0) {
                tap_skip("a bus without systemd", "no /usr/bin/dbus-daemon");
                return;
        }
        if (pipe2(out, O_CLOEXEC) < 0)
                return;
        d.pid = fork();
        if (d.pid == 0) {
                char fd[32];

                snprintf(fd, sizeof(fd), "--print-address=%d", out[1]);
                int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

                (void) dup2(null, STDERR_FILENO); /* its complaint about RLIMIT_NOFILE, not ours */
                (void) fcntl(out[1], F_SETFD, 0);
                execl("/usr/bin/dbus-daemon",
                      "dbus-daemon",
                      "--session",
                      "--nofork",
                      "--nopidfile",
                      fd,
                      NULL);
                _exit(127);
        }
        close(out[1]);
        d.pidfd = d.pid > 0 ? pidfd_open_pid(d.pid) : -1;
        /* one line: the address, as soon as it listens */
        while (n < sizeof(address) - 1 && test_read(out[0], address + n, 1, 30000) == 0 &&
               address[n] != '\n')
                n++;
        address[n] = '\0';
        close(out[0]);
        if (tap_ok(d.pidfd >= 0 && n > 0 && address[n - 1] != '\n', "a private dbus-daemon at %s", address))
                test_no_bus(address, "no systemd (org.freedesktop.systemd1) on the system bus");
        if (d.pidfd >= 0) {
                siginfo_t si;

                (void) pidfd_kill(d.pidfd, d.pid, SIGKILL);
                (void) waitid(P_PIDFD, (id_t) d.pidfd, &si, WEXITED);
                d.pidfd = safe_close(d.pidfd);
        }
}

int main(void) {
        _cleanup_(cgroup_host_freep) CgroupHost *h = NULL;
        struct stat st;

        if (test_unified_host(&h) < 0) {
                tap_skip_all("no cgroup2 mount on this host");
                return 0;
        }
        host = h;
        test_parent_init();
        (void) prctl(PR_SET_CHILD_SUBREAPER, 1);
        test_bad_path();
        test_no_bus("unix:path=/nonexistent/tether-test/system_bus_socket",
                    "cannot connect to the system bus");
        if (access("/run/dbus/system_bus_socket", F_OK) < 0)
                test_no_bus(NULL, "cannot connect to the system bus");
        test_bus_without_systemd();
        if (geteuid() != 0 || stat("/run/systemd/system", &st) < 0 ||
            access("/run/dbus/system_bus_socket", F_OK) < 0)
                tap_skip("a scope through systemd",
                         "no systemd with a system bus here (the vm suite has one)");
        else {
                test_limits();
                test_oom();
                test_payload_gone();
                test_refusals();
        }
        test_reap_orphans();
        return tap_done();
}
