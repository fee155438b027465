/* The v1 driver against this host's real cgroup v1 hierarchies (and, on hybrid hosts, its tracking group
 * in the cgroup2 mount). As root; every group below this process's own group in each hierarchy, under a
 * parent of the test's own (tether-test-<random>), removed at the end. Only children the test forked go
 * into the groups. */

#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "cgroup-test.h"

#define MiB (1024 * 1024)

static const CgroupHost *host;

/* --- memory: a limit that gets the child OOM-killed, and the watch fires --- */

static void child_hog(int report) {
        size_t size = 256 * MiB;
        char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (p == MAP_FAILED)
                _exit(3);
        for (size_t i = 0; i < size; i += 4096)
                p[i] = 1;
        (void) write(report, "survived", 8); /* only if the limit did nothing */
}

static void test_memory_oom(void) {
        CgroupResources res = {.has_memory_limit = true,
                               .memory_limit = 32 * MiB,
                               .has_memory_swap = true,
                               .memory_swap = 32 * MiB};
        _cleanup_close_ int watch = -EBADF;
        Cgroup *cg = test_group(host, "oom", &res);
        Child c = {.pidfd = -1, .report = -1};
        struct pollfd p;
        CgroupStats st = {};
        const char *what = "";
        uint64_t count = 0;
        siginfo_t si = {};

        if (!cg)
                return;
        watch = cgroup_oom_watch_open(cg, &what);
        if (!tap_ok(watch >= 0, "OOM watch opens"))
                printf("#   %s: %s\n", what, strerror(-watch));
        TAP_EQ_INT(cgroup_oom_kill_count(cg, &count, &what), 0);
        TAP_EQ_INT(count, 0);
        TAP_EQ_INT(test_spawn(cg, child_hog, &c), 0);
        TAP_EQ_INT(test_wait(&c, 30000, &si), 0);
        tap_ok(si.si_code == CLD_KILLED && si.si_status == SIGKILL,
               "the child touching 256 MiB under 32 MiB is killed (code %d status %d)",
               si.si_code,
               si.si_status);
        p = (struct pollfd){.fd = watch, .events = POLLIN};
        tap_ok(watch >= 0 && poll(&p, 1, 10000) == 1, "the OOM watch polls readable");
        TAP_EQ_INT(cgroup_oom_watch_drain(cg, watch), 0);
        TAP_EQ_INT(cgroup_oom_kill_count(cg, &count, &what), 0);
        tap_ok(count >= 1, "oom_kill count is %llu", (unsigned long long) count);
        TAP_EQ_INT(cgroup_get_stats(cg, &st, &what), 0);
        TAP_EQ_INT(st.memory.limit, 32 * MiB);
        tap_ok(st.memory.peak >= 30 * MiB && st.memory.peak <= 32 * MiB,
               "peak %llu near the limit",
               (unsigned long long) st.memory.peak);
        tap_ok(st.memory.events_oom_kill >= 1, "stats count the OOM kill");
        test_child_done(&c);
        test_group_destroy(host, cg, "oom");
}

/* --- pids: fork fails inside --- */

static void child_forker(int report) {
        int n = 0, err = 0;

        for (; n < 16; n++) {
                pid_t pid = fork();

                if (pid < 0) {
                        err = errno;
                        break;
                }
                if (pid == 0)
                        for (;;)
                                pause(); /* until the group is killed */
        }
        (void) write(report, &n, sizeof(n));
        (void) write(report, &err, sizeof(err));
        for (;;)
                pause();
}

static void test_pids(void) {
        CgroupResources res = {.has_pids_limit = true, .pids_limit = 4};
        Cgroup *cg = test_group(host, "pids", &res);
        Child c = {.pidfd = -1, .report = -1};
        CgroupStats st = {};
        const char *what = "";
        int n = -1, err = -1;
        size_t procs = 99;
        siginfo_t si = {};

        if (!cg)
                return;
        TAP_EQ_INT(test_spawn(cg, child_forker, &c), 0);
        TAP_EQ_INT(test_read(c.report, &n, sizeof(n), 10000), 0);
        TAP_EQ_INT(test_read(c.report, &err, sizeof(err), 10000), 0);
        TAP_EQ_INT(n, 3); /* the child and three more make four */
        TAP_EQ_INT(err, EAGAIN);
        TAP_EQ_INT(cgroup_get_stats(cg, &st, &what), 0);
        TAP_EQ_INT(st.pids.current, 4);
        TAP_EQ_INT(st.pids.limit, 4);
        TAP_EQ_INT(cgroup_kill_all(cg, &what), 0);
        TAP_EQ_INT(cg_procs_count(cg->v1[CGROUP_CONTROLLER_PIDS].fd, &procs), 0);
        TAP_EQ_INT(procs, 0);
        TAP_EQ_INT(test_wait(&c, 10000, &si), 0);
        TAP_EQ_INT(si.si_status, SIGKILL);
        test_reap_orphans();
        test_child_done(&c);
        test_group_destroy(host, cg, "pids");
}

/* --- cpu: a 20% quota caps a busy loop --- */

static int64_t now_ns(clockid_t clk) {
        struct timespec ts;

        clock_gettime(clk, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Spins until it has used 200 ms of CPU, reports the wall time that took. */
static void child_spin(int report) {
        int64_t start = now_ns(CLOCK_MONOTONIC), wall;

        while (now_ns(CLOCK_PROCESS_CPUTIME_ID) < 200 * 1000000LL)
                ;
        wall = now_ns(CLOCK_MONOTONIC) - start;
        (void) write(report, &wall, sizeof(wall));
}

static void test_cpu_quota(void) {
        CgroupResources res = {.has_cpu_quota = true,
                               .cpu_quota = 20000,
                               .has_cpu_period = true,
                               .cpu_period = 100000,
                               .has_cpu_shares = true,
                               .cpu_shares = 512};
        Cgroup *cg = test_group(host, "cpu", &res);
        Child c = {.pidfd = -1, .report = -1};
        CgroupStats st = {};
        const char *what = "";
        int64_t wall = 0;
        siginfo_t si = {};

        if (!cg)
                return;
        TAP_EQ_INT(test_spawn(cg, child_spin, &c), 0);
        TAP_EQ_INT(test_read(c.report, &wall, sizeof(wall), 30000), 0);
        TAP_EQ_INT(test_wait(&c, 10000, &si), 0);
        /* 200 ms of CPU at 20 ms per 100 ms takes about a second; unthrottled 200 ms. Generous bounds. */
        tap_ok(wall >= 600 * 1000000LL,
               "200 ms of CPU took %lld ms of wall time under a 20%% quota",
               (long long) (wall / 1000000));
        TAP_EQ_INT(cgroup_get_stats(cg, &st, &what), 0);
        tap_ok(st.cpu.usage_usec >= 190000 && st.cpu.usage_usec < 2000000,
               "cpuacct usage %llu µs",
               (unsigned long long) st.cpu.usage_usec);
        tap_ok(st.cpu.nr_throttled >= 1, "throttled %llu times", (unsigned long long) st.cpu.nr_throttled);
        tap_ok(st.cpu.user_usec + st.cpu.system_usec > 0, "user+system time counted");
        {
                uint64_t shares = 0;

                TAP_EQ_INT(cg_read_u64_at(cg->v1[CGROUP_CONTROLLER_CPU].fd, "cpu.shares", &shares), 0);
                TAP_EQ_INT(shares, 512);
        }
        test_child_done(&c);
        test_group_destroy(host, cg, "cpu");
}

/* --- freeze and thaw, seen from the child's progress --- */

static void child_ticker(int report) {
        for (;;)
                if (write(report, "t", 1) < 0)
                        _exit(1);
}

static bool pipe_quiet(int fd, int ms) {
        struct pollfd p = {.fd = fd, .events = POLLIN};

        return poll(&p, 1, ms) == 0;
}

static void drain(int fd) {
        char buf[65536];
        int fl = fcntl(fd, F_GETFL);

        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
        while (read(fd, buf, sizeof(buf)) > 0)
                ;
        fcntl(fd, F_SETFL, fl);
}

/* The group's freezer.state is the effective one: frozen when the test's parent is, by someone else's
 * hand (the file written directly), and the kept file path says so as well, without the Cgroup. */
static void test_frozen_by_parent(Cgroup *cg) {
        _cleanup_free_ char *file = NULL;
        _cleanup_close_ int parent = -EBADF;
        const char *what = "";
        char path[PATH_MAX];
        bool frozen = false;

        TAP_EQ_INT(cgroup_get_freeze_file(cg, &file), 0);
        tap_ok(file && strstr(file, "/freezer.state") &&
                       strncmp(file,
                               host->v1[CGROUP_CONTROLLER_FREEZER].mount,
                               strlen(host->v1[CGROUP_CONTROLLER_FREEZER].mount)) == 0,
               "the freeze file is the v1 freezer's (%s)",
               file ? file : "");
        test_hier_path(&host->v1[CGROUP_CONTROLLER_FREEZER], NULL, path, sizeof(path));
        parent = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        TAP_OK(parent >= 0);
        TAP_EQ_INT(cg_v1_freeze(parent, true), 0);
        TAP_EQ_INT(cgroup_is_frozen(cg, &frozen, &what), 0);
        tap_ok(frozen, "frozen through the parent group");
        frozen = false;
        TAP_EQ_INT(file ? cgroup_freeze_file_read(file, &frozen) : -ENOENT, 0);
        tap_ok(frozen, "the freeze file says frozen");
        TAP_EQ_INT(cg_v1_freeze(parent, false), 0);
        TAP_EQ_INT(file ? cgroup_freeze_file_read(file, &frozen) : -ENOENT, 0);
        tap_ok(!frozen, "thawed with the parent");
}

static void test_freeze(void) {
        Cgroup *cg = test_group(host, "freeze", NULL);
        Child c = {.pidfd = -1, .report = -1};
        const char *what = "";
        bool frozen = true;
        char t;

        if (!cg)
                return;
        TAP_EQ_INT(test_spawn(cg, child_ticker, &c), 0);
        TAP_EQ_INT(test_read(c.report, &t, 1, 10000), 0);
        TAP_EQ_INT(cgroup_is_frozen(cg, &frozen, &what), 0);
        tap_ok(!frozen, "a running group is not frozen");
        TAP_EQ_INT(cgroup_freeze(cg, true, &what), 0);
        TAP_EQ_INT(cgroup_is_frozen(cg, &frozen, &what), 0);
        tap_ok(frozen, "cgroup_is_frozen() says frozen");
        drain(c.report);
        /* frozen: nothing more comes (an observation window, not a synchronisation) */
        tap_ok(pipe_quiet(c.report, 300), "a frozen child writes nothing");
        TAP_EQ_INT(cgroup_freeze(cg, false, &what), 0);
        TAP_EQ_INT(test_read(c.report, &t, 1, 10000), 0);
        tap_ok(1, "the thawed child writes again");
        TAP_EQ_INT(cgroup_is_frozen(cg, &frozen, &what), 0);
        tap_ok(!frozen, "a thawed group is not frozen");
        test_frozen_by_parent(cg);
        TAP_EQ_INT(cgroup_destroy(cg, &what), 0);
        tap_ok(!test_group_exists(host, "freeze"), "group freeze is gone after destroy");
        cgroup_free(cg);
        test_child_done(&c);
}

/* A frozen group (a paused container) is killed too: its tasks die once thawed, which kill_all does after
 * queuing the signals, on a hybrid host through cgroup.kill of the cgroup2 group. */
static void test_kill_frozen(void) {
        Cgroup *cg = test_group(host, "killfrozen", NULL);
        Child c = {.pidfd = -1, .report = -1};
        const char *what = "";
        siginfo_t si = {};
        char t;
        int r;

        if (!cg)
                return;
        TAP_EQ_INT(test_spawn(cg, child_ticker, &c), 0);
        TAP_EQ_INT(test_read(c.report, &t, 1, 10000), 0);
        TAP_EQ_INT(cgroup_freeze(cg, true, &what), 0);
        r = cgroup_kill_all(cg, &what);
        if (!tap_ok(r == 0, "kill_all of a frozen group"))
                printf("#   %s: %s\n", what, strerror(-r));
        TAP_EQ_INT(test_wait(&c, 10000, &si), 0);
        tap_ok(si.si_code == CLD_KILLED && si.si_status == SIGKILL, "the frozen child died of SIGKILL");
        test_group_destroy(host, cg, "killfrozen");
        test_child_done(&c);
}

/* --- kill everything, forks racing it --- */

static void child_fork_storm(int report) {
        bool told = false;

        for (;;) {
                pid_t pid = fork();

                if (pid == 0)
                        continue; /* the grandchild forks too */
                if (!told && pid > 0) {
                        (void) write(report, "f", 1);
                        told = true;
                }
        }
}

static void test_kill_all(void) {
        CgroupResources res = {.has_pids_limit = true, .pids_limit = 64}; /* bounds the storm */
        Cgroup *cg = test_group(host, "kill", &res);
        Child c = {.pidfd = -1, .report = -1};
        const char *what = "";
        size_t n = 99;
        siginfo_t si = {};
        char t;
        int r;

        if (!cg)
                return;
        TAP_EQ_INT(test_spawn(cg, child_fork_storm, &c), 0);
        TAP_EQ_INT(test_read(c.report, &t, 1, 10000), 0);
        r = cgroup_kill_all(cg, &what);
        if (!tap_ok(r == 0, "kill_all with forks racing"))
                printf("#   %s: %s\n", what, strerror(-r));
        TAP_EQ_INT(cg_procs_count(cg->v1[CGROUP_CONTROLLER_PIDS].fd, &n), 0);
        TAP_EQ_INT(n, 0);
        TAP_EQ_INT(test_wait(&c, 10000, &si), 0);
        TAP_EQ_INT(si.si_status, SIGKILL);
        test_reap_orphans();
        test_child_done(&c);
        test_group_destroy(host, cg, "kill");
}

/* --- stats against what the child did; the hybrid tracking group --- */

static void child_touch16(int report) {
        char *p = mmap(NULL, 16 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (p == MAP_FAILED)
                _exit(3);
        for (size_t i = 0; i < 16 * MiB; i += 4096)
                p[i] = 1;
        (void) write(report, "d", 1);
        for (;;)
                pause();
}

static void test_stats(void) {
        Cgroup *cg = test_group(host, "stats", NULL);
        Child c = {.pidfd = -1, .report = -1};
        CgroupStats st = {};
        const char *what = "";
        char t, path[64];

        if (!cg)
                return;
        TAP_EQ_INT(test_spawn(cg, child_touch16, &c), 0);
        TAP_EQ_INT(test_read(c.report, &t, 1, 10000), 0);
        TAP_EQ_INT(cgroup_get_stats(cg, &st, &what), 0);
        tap_ok(st.memory.usage >= 16 * MiB,
               "memory usage %llu >= the 16 MiB touched",
               (unsigned long long) st.memory.usage);
        tap_ok(st.memory.anon >= 16 * MiB, "anon %llu >= 16 MiB", (unsigned long long) st.memory.anon);
        tap_ok(st.memory.limit >= (uint64_t) INT64_MAX / 2, "no memory limit");
        TAP_EQ_INT(st.pids.current, 1);
        tap_ok(st.pids.limit == UINT64_MAX, "pids.max is max");
        tap_ok(st.cpu.usage_usec > 0, "cpu usage counted");
        if (host->unified.mount) {
                _cleanup_free_ char *self = NULL;
                char want[128];

                snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) c.pid);
                TAP_EQ_INT(cg_read_at(AT_FDCWD, path, &self), 0);
                snprintf(want,
                         sizeof(want),
                         "0::%s/%s/stats",
                         strcmp(host->unified.own, "/") == 0 ? "" : host->unified.own,
                         test_parent);
                tap_ok(self && strstr(self, want),
                       "the child is in the cgroup2 tracking group too (%s)",
                       want);
        }
        test_group_destroy(host, cg, "stats");
        test_wait(&c, 10000, &(siginfo_t){});
        test_child_done(&c);
}

/* --- devices: deny all, allow /dev/null; a child with CAP_MKNOD cannot make or open loop0 --- */

static char devdir[] = "/tmp/tether-test-devXXXXXX";

static void child_mknod(int report) {
        char p[128];
        int res[4], fd;

        snprintf(p, sizeof(p), "%s/null", devdir);
        res[0] = mknod(p, S_IFCHR | 0600, makedev(1, 3)) < 0 ? errno : 0;
        fd = open(p, O_RDWR | O_CLOEXEC);
        res[1] = fd < 0 ? errno : 0;
        snprintf(p, sizeof(p), "%s/loop0", devdir);
        res[2] = mknod(p, S_IFBLK | 0600, makedev(7, 0)) < 0 ? errno : 0;
        snprintf(p, sizeof(p), "%s/loop0-pre", devdir);
        fd = open(p, O_RDONLY | O_CLOEXEC);
        res[3] = fd < 0 ? errno : 0;
        (void) write(report, res, sizeof(res));
}

static void test_devices(void) {
        CgroupDeviceRule rules[] = {{true, 'c', 1, 3, "rwm"}};
        CgroupResources res = {.has_devices = true, .devices = rules, .n_devices = 1};
        Cgroup *cg;
        Child c = {.pidfd = -1, .report = -1};
        _cleanup_free_ char *list = NULL;
        char p[128];
        int got[4] = {-1, -1, -1, -1};

        if (!mkdtemp(devdir)) {
                tap_ok(0, "mkdtemp: %s", strerror(errno));
                return;
        }
        /* the node made outside the group, as an image could ship it */
        snprintf(p, sizeof(p), "%s/loop0-pre", devdir);
        TAP_EQ_INT(mknod(p, S_IFBLK | 0600, makedev(7, 0)), 0);
        cg = test_group(host, "devices", &res);
        if (cg) {
                TAP_EQ_INT(cg_read_at(cg->v1[CGROUP_CONTROLLER_DEVICES].fd, "devices.list", &list), 0);
                TAP_EQ_STR(list, "c 1:3 rwm\n");
                TAP_EQ_INT(test_spawn(cg, child_mknod, &c), 0);
                TAP_EQ_INT(test_read(c.report, got, sizeof(got), 10000), 0);
                TAP_EQ_INT(got[0], 0); /* allowed: mknod c 1:3 */
                TAP_EQ_INT(got[1], 0); /* and open it */
                TAP_EQ_INT(got[2], EPERM); /* denied: mknod b 7:0, even with CAP_MKNOD */
                TAP_EQ_INT(got[3], EPERM); /* denied: open an existing b 7:0 */
                test_wait(&c, 10000, &(siginfo_t){});
                test_child_done(&c);
                test_group_destroy(host, cg, "devices");
        }
        snprintf(p, sizeof(p), "%s/null", devdir);
        (void) unlink(p);
        snprintf(p, sizeof(p), "%s/loop0", devdir);
        (void) unlink(p);
        snprintf(p, sizeof(p), "%s/loop0-pre", devdir);
        (void) unlink(p);
        (void) rmdir(devdir);
}

/* --- bad input: a clear error naming the field, nothing created --- */

static void expect_refused(const char *name, const CgroupResources *res, int expect_r, const char *field) {
        char spec[128];
        Cgroup *cg = NULL;
        const char *what = "";
        int r;

        snprintf(spec, sizeof(spec), "%s/%s", test_parent, name);
        TAP_EQ_INT(cgroup_new(host, spec, name, &cg), 0);
        if (!cg)
                return;
        r = cgroup_create(cg, res, &what);
        /* expect_r 0: any error (the kernel's errno varies) */
        if (!tap_ok(expect_r ? r == expect_r : r < 0, "%s: refused with %d", name, expect_r))
                printf("#   got %d (%s)\n", r, what);
        tap_ok(strstr(what, field) != NULL, "%s: '%s' names '%s'", name, what, field);
        tap_ok(!test_group_exists(host, name), "%s: no group was created", name);
        cgroup_free(cg);
}

static void test_bad_input(void) {
        CgroupKeyValue unknown = {"bogus.max", "1"}, slash = {"memory.max/x", "1"}, dots = {"..", "1"},
                       v2only = {"memory.high", "1G"};
        CgroupHugepageLimit hp = {"2MB", 2 * MiB};
        Cgroup *cg = NULL;

        expect_refused("bad-unified",
                       &(CgroupResources){.unified = &unknown, .n_unified = 1},
                       -EINVAL,
                       "bogus.max");
        expect_refused(
                "bad-slash", &(CgroupResources){.unified = &slash, .n_unified = 1}, -EINVAL, "memory.max/x");
        expect_refused("bad-dots", &(CgroupResources){.unified = &dots, .n_unified = 1}, -EINVAL, "'..'");
        expect_refused("bad-v1-unified",
                       &(CgroupResources){.unified = &v2only, .n_unified = 1},
                       -EOPNOTSUPP,
                       "memory.high");
        expect_refused("bad-memory",
                       &(CgroupResources){.has_memory_limit = true, .memory_limit = -5},
                       -ERANGE,
                       "memory.limit");
        expect_refused("bad-pids",
                       &(CgroupResources){.has_pids_limit = true, .pids_limit = -2},
                       -ERANGE,
                       "pids.limit");
        expect_refused("bad-cpus", &(CgroupResources){.cpu_cpus = "0-x"}, -EINVAL, "cpu.cpus");
        /* valid, but no cpu 1023 here: the kernel refuses it after the groups exist; all are rolled back */
        expect_refused("bad-cpus-host", &(CgroupResources){.cpu_cpus = "1023"}, 0, "cpuset.cpus");
        /* a controller the host does not have: named with the hierarchy */
        if (!host->v1[CGROUP_CONTROLLER_HUGETLB].mount)
                expect_refused("no-hugetlb",
                               &(CgroupResources){.hugepage_limits = &hp, .n_hugepage_limits = 1},
                               -EOPNOTSUPP,
                               "hugetlb controller: no cgroup v1 hierarchy");
        if (!host->v1[CGROUP_CONTROLLER_NET_CLS].mount)
                expect_refused("no-net-cls",
                               &(CgroupResources){.has_network_class_id = true, .network_class_id = 1},
                               -EOPNOTSUPP,
                               "net_cls controller");
        /* a path with '..' */
        TAP_EQ_INT(cgroup_new(host, "tether-test-x/../../escape", "x", &cg), -EINVAL);
        TAP_OK(cg == NULL);
}

/* --- a process enters a group by itself, as a container's first process does --- */

static Cgroup *enter_cg;

/* Enters enter_cg, then reports the result and /proc/self/cgroup. */
static void child_enter(int report) {
        const char *path = NULL;
        int r = cgroup_enter(enter_cg, &path), fd;
        char buf[4096] = "";
        ssize_t n = 0;

        fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
                n = read(fd, buf, sizeof(buf) - 1);
        (void) write(report, &r, sizeof(r));
        (void) write(report, buf, n > 0 ? (size_t) n : 0);
}

static void test_enter(void) {
        Cgroup *cg = test_group(host, "enter", NULL), *fresh = NULL;
        Child c = {.pidfd = -1, .report = -1};
        char buf[4096] = "", spec[128];
        const char *path = NULL;
        siginfo_t si;
        ssize_t n;
        int r = -EIO;

        if (!cg)
                return;
        enter_cg = cg;
        TAP_EQ_INT(test_spawn(NULL, child_enter, &c), 0);
        TAP_EQ_INT(test_read(c.report, &r, sizeof(r), 10000), 0);
        TAP_EQ_INT(r, 0);
        TAP_EQ_INT(test_wait(&c, 10000, &si), 0);
        n = read(c.report, buf, sizeof(buf) - 1);
        buf[n > 0 ? n : 0] = '\0';
        /* In the group of every hierarchy, the cgroup2 tracking group too: nothing left behind. */
        for (CgroupController k = 0; k < _CGROUP_CONTROLLER_MAX; k++)
                if (host->v1[k].mount)
                        tap_ok(cg_proc_cgroup_in(
                                       buf, cgroup_controller_to_string(k), cgroup_get_group(cg, k)),
                               "the process entered the %s group by itself",
                               cgroup_controller_to_string(k));
        if (host->unified.mount)
                tap_ok(cg_proc_cgroup_in(buf, NULL, cgroup_get_group(cg, _CGROUP_CONTROLLER_INVALID)),
                       "and the cgroup2 tracking group");
        test_child_done(&c);
        /* A group not made (nor opened) cannot be entered: the error names it. */
        snprintf(spec, sizeof(spec), "%s/never", test_parent);
        TAP_EQ_INT(cgroup_new(host, spec, "never", &fresh), 0);
        TAP_EQ_INT(cgroup_enter(fresh, &path), -EBADF);
        tap_ok(path && strstr(path, "never"), "the error names the group: %s", path ? path : "(none)");
        cgroup_free(fresh);
        test_group_destroy(host, cg, "enter");
}

/* --- an existing group is not ours: refused and left alone --- */

static void test_exists(void) {
        Cgroup *cg = test_group(host, "exists", NULL), *again = NULL;
        char spec[128];
        const char *what = "";

        if (!cg)
                return;
        snprintf(spec, sizeof(spec), "%s/exists", test_parent);
        TAP_EQ_INT(cgroup_new(host, spec, "exists", &again), 0);
        TAP_EQ_INT(cgroup_create(again, NULL, &what), -EEXIST);
        tap_ok(test_group_exists(host, "exists"), "the existing group is still there");
        cgroup_free(again);
        test_group_destroy(host, cg, "exists");
}

/* --- cpuset: a parent that a concurrent create made and has not filled yet --- */

static void child_nothing(int report) {
}

/* A cpuset file of the test's group name (below the test's parent); "" if unreadable. */
static void cpuset_value(const char *name, const char *file, char *buf, size_t size) {
        char p[PATH_MAX];
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *v = NULL;

        test_hier_path(&host->v1[CGROUP_CONTROLLER_CPUSET], name, p, sizeof(p));
        fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        snprintf(buf, size, "%s", fd >= 0 && cg_read_at(fd, file, &v) >= 0 ? v : "");
        buf[strcspn(buf, "\n")] = '\0';
}

/* mkdir of the test's group name in the cpuset hierarchy by hand, as another create's first step; with
 * cpus, that set too (the group of someone who chose its cpus). */
static bool cpuset_mkdir(const char *name, const char *cpus) {
        char p[PATH_MAX];
        _cleanup_close_ int fd = -EBADF;

        test_hier_path(&host->v1[CGROUP_CONTROLLER_CPUSET], NULL, p, sizeof(p));
        (void) mkdir(p, 0755); /* the test's parent: the earlier tests' groups may have removed it */
        fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || mkdirat(fd, name, 0755) < 0)
                return false;
        safe_close(fd);
        test_hier_path(&host->v1[CGROUP_CONTROLLER_CPUSET], name, p, sizeof(p));
        fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd >= 0 && (!cpus || (cg_write_at(fd, "cpuset.mems", "0") >= 0 &&
                                     cg_write_at(fd, "cpuset.cpus", cpus) >= 0));
}

/* The middle group in every hierarchy (create made it there, the test in cpuset), once its leaf is gone. */
static void middle_remove(const char *name) {
        char p[PATH_MAX];

        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (host->v1[c].mount) {
                        test_hier_path(&host->v1[c], name, p, sizeof(p));
                        (void) rmdir(p);
                }
        if (host->unified.mount) {
                test_hier_path(&host->unified, name, p, sizeof(p));
                (void) rmdir(p);
        }
        tap_ok(!test_group_exists(host, name), "group %s is gone from every hierarchy", name);
}

static void test_cpuset_empty_parent(void) {
        char parent_cpus[256], v[256];
        Child c = {.pidfd = -1, .report = -1};
        Cgroup *cg;
        siginfo_t si;

        if (!host->v1[CGROUP_CONTROLLER_CPUSET].mount) {
                tap_skip("cpuset groups below an empty parent", "no cpuset hierarchy");
                return;
        }
        /* Two containers started at once below a new parent: the first has made it, not yet filled it. */
        if (!tap_ok(cpuset_mkdir("cpm", NULL), "a middle cpuset group, empty"))
                return;
        cg = test_group(host, "cpm/leaf", NULL);
        if (cg) {
                cpuset_value(NULL, "cpuset.cpus", parent_cpus, sizeof(parent_cpus));
                cpuset_value("cpm", "cpuset.cpus", v, sizeof(v));
                TAP_EQ_STR(v, parent_cpus);
                cpuset_value("cpm/leaf", "cpuset.cpus", v, sizeof(v));
                TAP_EQ_STR(v, parent_cpus);
                cpuset_value("cpm/leaf", "cpuset.mems", v, sizeof(v));
                tap_ok(v[0] != '\0', "the leaf has mems: %s", v);
                /* a task may join it (with empty cpus or mems: ENOSPC) */
                TAP_EQ_INT(test_spawn(cg, child_nothing, &c), 0);
                TAP_EQ_INT(test_wait(&c, 10000, &si), 0);
                test_child_done(&c);
                test_group_destroy(host, cg, "cpm/leaf");
        }
        middle_remove("cpm");

        /* A middle group someone set is not ours: left as it is, and the leaf gets its cpus. */
        if (!tap_ok(cpuset_mkdir("cps", "0"), "a middle cpuset group with cpus 0"))
                return;
        cg = test_group(host, "cps/leaf", NULL);
        if (cg) {
                cpuset_value("cps", "cpuset.cpus", v, sizeof(v));
                TAP_EQ_STR(v, "0");
                cpuset_value("cps/leaf", "cpuset.cpus", v, sizeof(v));
                TAP_EQ_STR(v, "0");
                test_group_destroy(host, cg, "cps/leaf");
        }
        middle_remove("cps");
}

int main(void) {
        _cleanup_(cgroup_host_freep) CgroupHost *h = NULL;

        if (geteuid() != 0) {
                tap_skip_all("needs root");
                return 0;
        }
        if (cgroup_host_detect(&h) < 0 || h->mode == CGROUP_MODE_UNIFIED) {
                tap_skip_all("no cgroup v1 hierarchies on this host");
                return 0;
        }
        if (!h->v1[CGROUP_CONTROLLER_MEMORY].mount || !h->v1[CGROUP_CONTROLLER_PIDS].mount ||
            !h->v1[CGROUP_CONTROLLER_CPU].mount || !h->v1[CGROUP_CONTROLLER_CPUACCT].mount ||
            !h->v1[CGROUP_CONTROLLER_FREEZER].mount || !h->v1[CGROUP_CONTROLLER_DEVICES].mount) {
                tap_skip_all("memory, pids, cpu, cpuacct, freezer or devices has no v1 hierarchy");
                return 0;
        }
        host = h;
        test_parent_init();
        (void) prctl(PR_SET_CHILD_SUBREAPER, 1);
        printf("# groups below %s in each hierarchy (memory: %s)\n",
               test_parent,
               h->v1[CGROUP_CONTROLLER_MEMORY].own);

        test_memory_oom();
        test_pids();
        test_cpu_quota();
        test_freeze();
        test_kill_frozen();
        test_kill_all();
        test_stats();
        test_devices();
        test_bad_input();
        test_exists();
        test_enter();
        test_cpuset_empty_parent();

        test_reap_orphans();
        test_parent_remove(h);
        tap_ok(!test_group_exists(h, NULL), "the test's parent %s is gone", test_parent);
        return tap_done();
}
