/* The v2 driver's limits against real controllers: a memory limit that OOM-kills and the OOM watch that
 * sees it, a pids limit that fails fork, a cpu.max that caps a busy loop, io and cpu weights and io.max
 * written and read back, the `unified` keys winning over the converted values, and the controllers
 * enabled in every group between the base and the container's. It needs a cgroup2 group that hands the
 * cpu, io, memory and pids controllers to its children: the vm suite's delegated scope
 * (tests/vm/guest/test_cgroup_programs.py sets TETHER_TEST_CGROUP_BASE, see cgroup-test.h); elsewhere, as
 * on this project's hybrid build host whose cgroup2 mount has no controllers, it skips. As root; groups
 * under tether-test-<random>, removed at the end. */

#include <inttypes.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "cgroup-test.h"

static const CgroupHost *host;

#define MIB (INT64_C(1) << 20)

/* The group's file, read back and stripped of its newline, compared with want. */
static void expect_file(Cgroup *cg, const char *file, const char *want) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = cg_read_at(cg->unified.fd, file, &text);
        if (r >= 0)
                text[strcspn(text, "\n")] = '\0';
        if (!tap_ok(r >= 0 && strcmp(text, want) == 0, "%s reads back '%s'", file, want))
                printf("#   got '%s' (%s)\n", text ? text : "", r < 0 ? strerror(-r) : "read");
}

/* Touches 256 MiB page by page: the 32 MiB limit (no swap) OOM-kills it before it is through. */
static void child_hog(int report) {
        size_t size = 256 * MIB;
        char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (p == MAP_FAILED)
                _exit(2);
        (void) write(report, "m", 1);
        for (size_t i = 0; i < size; i += 4096)
                p[i] = 1;
        _exit(3);
}

static void test_memory_oom(void) {
        CgroupResources res = {
                .has_memory_limit = true,
                .memory_limit = 32 * MIB,
                .has_memory_swap = true,
                .memory_swap = 32 * MIB, /* memory + swap: no swap at all, memory.swap.max 0 */
                .has_memory_reservation = true,
                .memory_reservation = 8 * MIB,
        };
        Cgroup *cg = test_group(host, "oom", &res);
        Child c = {.pidfd = -1, .report = -1};
        _cleanup_close_ int watch = -EBADF;
        struct pollfd p;
        const char *what = "";
        uint64_t kills = 99;
        CgroupStats st = {};
        siginfo_t si = {};

        if (!cg)
                return;
        expect_file(cg, "memory.max", "33554432");
        expect_file(cg, "memory.swap.max", "0");
        expect_file(cg, "memory.low", "8388608");
        watch = cgroup_oom_watch_open(cg, &what);
        if (!tap_ok(watch >= 0, "OOM watch opened"))
                printf("#   %s: %s\n", what, strerror(-watch));
        TAP_EQ_INT(cgroup_oom_kill_count(cg, &kills, &what), 0);
        TAP_EQ_INT(kills, 0);
        if (watch >= 0)
                TAP_EQ_INT(cgroup_oom_watch_drain(cg, watch), 0); /* the initial state is not an event */
        TAP_EQ_INT(test_spawn(cg, child_hog, &c), 0);
        TAP_EQ_INT(test_wait(&c, 60000, &si), 0);
        tap_ok(si.si_code == CLD_KILLED && si.si_status == SIGKILL,
               "the child touching 256 MiB under a 32 MiB limit is SIGKILLed (code %d, status %d)",
               si.si_code,
               si.si_status);
        p = (struct pollfd){.fd = watch, .events = POLLIN};
        tap_ok(watch >= 0 && poll(&p, 1, 10000) == 1 && (p.revents & POLLIN),
               "the OOM watch polls readable");
        if (watch >= 0)
                TAP_EQ_INT(cgroup_oom_watch_drain(cg, watch), 0);
        TAP_EQ_INT(cgroup_oom_kill_count(cg, &kills, &what), 0);
        tap_ok(kills >= 1, "memory.events counts %" PRIu64 " oom_kill", kills);
        TAP_EQ_INT(cgroup_get_stats(cg, &st, &what), 0);
        TAP_EQ_INT(st.memory.limit, 32 * MIB);
        tap_ok(st.memory.events_oom_kill >= 1 && st.memory.events_max >= 1,
               "stats: oom_kill %" PRIu64 ", max %" PRIu64,
               st.memory.events_oom_kill,
               st.memory.events_max);
        tap_ok(st.memory.peak > 16 * MIB && st.memory.peak <= 32 * MIB,
               "stats: peak %" PRIu64 " bytes, near the limit",
               st.memory.peak);
        test_child_done(&c);
        test_group_destroy(host, cg, "oom");
}

/* Forks children that pause until fork fails; reports how many it made and the errno. */
static void child_fork_until_refused(int report) {
        int made = 0, err = 0;

        for (; made < 1000; made++) {
                pid_t pid = fork();

                if (pid < 0) {
                        err = errno;
                        break;
                }
                if (pid == 0)
                        for (;;)
                                pause();
        }
        (void) write(report, &made, sizeof(made));
        (void) write(report, &err, sizeof(err));
        for (;;)
                pause();
}

static void test_pids(void) {
        CgroupResources res = {.has_pids_limit = true, .pids_limit = 8};
        Cgroup *cg = test_group(host, "pids", &res);
        Child c = {.pidfd = -1, .report = -1};
        const char *what = "";
        int made = -1, err = 0;
        CgroupStats st = {};

        if (!cg)
                return;
        expect_file(cg, "pids.max", "8");
        TAP_EQ_INT(test_spawn(cg, child_fork_until_refused, &c), 0);
        TAP_EQ_INT(test_read(c.report, &made, sizeof(made), 60000), 0);
        TAP_EQ_INT(test_read(c.report, &err, sizeof(err), 60000), 0);
        TAP_EQ_INT(made, 7); /* the child itself is the eighth */
        TAP_EQ_INT(err, EAGAIN);
        TAP_EQ_INT(cgroup_get_stats(cg, &st, &what), 0);
        TAP_EQ_INT(st.pids.current, 8);
        TAP_EQ_INT(st.pids.limit, 8);
        test_group_destroy(host, cg, "pids");
        test_reap_orphans();
        test_child_done(&c);
}

static uint64_t now_ns(clockid_t clock) {
        struct timespec ts;

        (void) clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}

/* Spins for 2 s of wall time, then reports the CPU time it got and the wall time it took. */
static void child_spin(int report) {
        uint64_t start = now_ns(CLOCK_MONOTONIC), t[2];

        while (now_ns(CLOCK_MONOTONIC) - start < 2000000000)
                ;
        t[0] = now_ns(CLOCK_PROCESS_CPUTIME_ID);
        t[1] = now_ns(CLOCK_MONOTONIC) - start;
        (void) write(report, t, sizeof(t));
}

/* cpu.max holds quota and period in one file: an update of one keeps the other, as v1's two files do. */
static void test_cpu_max_update(Cgroup *cg) {
        CgroupResources period = {.has_cpu_period = true, .cpu_period = 50000};
        CgroupResources quota = {.has_cpu_quota = true, .cpu_quota = 30000};
        CgroupResources unlimited = {.has_cpu_quota = true, .cpu_quota = -1};
        const char *what = "";

        TAP_EQ_INT(cgroup_update(cg, &period, &what), 0);
        expect_file(cg, "cpu.max", "20000 50000");
        TAP_EQ_INT(cgroup_update(cg, &quota, &what), 0);
        expect_file(cg, "cpu.max", "30000 50000");
        TAP_EQ_INT(cgroup_update(cg, &unlimited, &what), 0);
        expect_file(cg, "cpu.max", "max 50000");
        TAP_EQ_INT(cgroup_update(cg, &period, &what), 0);
        expect_file(cg, "cpu.max", "max 50000");
}

static void test_cpu(void) {
        CgroupResources res = {
                .has_cpu_quota = true,
                .cpu_quota = 20000,
                .has_cpu_period = true,
                .cpu_period = 100000,
                .has_cpu_shares = true,
                .cpu_shares = 2048,
        };
        Cgroup *cg = test_group(host, "cpu", &res);
        Child c = {.pidfd = -1, .report = -1};
        const char *what = "";
        char weight[32];
        uint64_t t[2] = {};
        CgroupStats st = {};
        siginfo_t si = {};
        double share;

        if (!cg)
                return;
        expect_file(cg, "cpu.max", "20000 100000");
        snprintf(weight, sizeof(weight), "%" PRIu64, cgroup_cpu_shares_to_weight(2048));
        expect_file(cg, "cpu.weight", weight);
        TAP_EQ_INT(test_spawn(cg, child_spin, &c), 0);
        TAP_EQ_INT(test_read(c.report, t, sizeof(t), 60000), 0);
        TAP_EQ_INT(test_wait(&c, 60000, &si), 0);
        share = t[1] ? (double) t[0] / (double) t[1] : 1;
        /* 20% of one CPU; generous bounds, as the guest's CPUs are emulated and shared */
        tap_ok(share > 0.02 && share < 0.4,
               "a busy loop under cpu.max 20000/100000 got %.0f%% of a CPU (%" PRIu64 " of %" PRIu64 " ms)",
               share * 100,
               t[0] / 1000000,
               t[1] / 1000000);
        TAP_EQ_INT(cgroup_get_stats(cg, &st, &what), 0);
        tap_ok(st.cpu.nr_throttled > 0 && st.cpu.throttled_usec > 0,
               "stats: throttled %" PRIu64 " times, %" PRIu64 " µs",
               st.cpu.nr_throttled,
               st.cpu.throttled_usec);
        tap_ok(st.cpu.usage_usec * 1000 >= t[0] / 2,
               "stats: cpu usage %" PRIu64 " µs covers the child's",
               st.cpu.usage_usec);
        test_child_done(&c);
        test_cpu_max_update(cg);
        test_group_destroy(host, cg, "cpu");
}

/* The block device the guest's root is on, "MAJ:MIN" (a throttle needs a real one). */
static int root_device(char *buf, size_t size) {
        struct stat st;

        if (stat("/", &st) < 0)
                return -errno;
        snprintf(buf, size, "%u:0", major(st.st_dev)); /* the whole disk: throttles take no partitions */
        return 0;
}

static void test_io(void) {
        CgroupThrottleDevice rbps = {.rate = 1048576}, wiops = {.rate = 2000};
        CgroupResources res = {.has_blkio_weight = true, .blkio_weight = 500};
        Cgroup *cg = NULL;
        char dev[32], want[128];
        unsigned maj = 0, min = 0;

        if (root_device(dev, sizeof(dev)) < 0 || sscanf(dev, "%u:%u", &maj, &min) != 2) {
                tap_ok(0, "the root file system's block device");
                return;
        }
        rbps.major = wiops.major = maj;
        rbps.minor = wiops.minor = min;
        res.blkio_throttle[CGROUP_THROTTLE_READ_BPS] = &rbps;
        res.n_blkio_throttle[CGROUP_THROTTLE_READ_BPS] = 1;
        res.blkio_throttle[CGROUP_THROTTLE_WRITE_IOPS] = &wiops;
        res.n_blkio_throttle[CGROUP_THROTTLE_WRITE_IOPS] = 1;
        cg = test_group(host, "io", &res);
        if (!cg)
                return;
        if (faccessat(cg->unified.fd, "io.bfq.weight", F_OK, 0) >= 0)
                expect_file(cg, "io.bfq.weight", "default 500");
        else {
                snprintf(want, sizeof(want), "default %" PRIu64, cgroup_blkio_weight_to_io_weight(500));
                expect_file(cg, "io.weight", want);
        }
        snprintf(want, sizeof(want), "%s rbps=1048576 wbps=max riops=max wiops=2000", dev);
        expect_file(cg, "io.max", want);
        test_group_destroy(host, cg, "io");
}

/* The unified keys are written last and win over the converted values (crun's order). */
static void test_unified(void) {
        CgroupKeyValue kv[] = {
                {"memory.high", "50331648"},
                {"memory.max", "67108864"},
                {"pids.max", "100"},
                {"cpu.weight", "42"},
        };
        CgroupResources res = {
                .has_memory_limit = true,
                .memory_limit = 128 * MIB,
                .has_pids_limit = true,
                .pids_limit = 5,
                .unified = kv,
                .n_unified = sizeof(kv) / sizeof(kv[0]),
        };
        Cgroup *cg = test_group(host, "unified", &res);

        if (!cg)
                return;
        for (size_t i = 0; i < res.n_unified; i++)
                expect_file(cg, kv[i].key, kv[i].value);
        test_group_destroy(host, cg, "unified");
}

static void test_ancestors(void) {
        CgroupResources res = {
                .has_memory_limit = true,
                .memory_limit = 64 * MIB,
                .has_pids_limit = true,
                .pids_limit = 10,
        };
        Cgroup *cg = test_group(host, "a/b/leaf", &res);
        unsigned want = CGROUP_MASK(CGROUP_CONTROLLER_MEMORY) | CGROUP_MASK(CGROUP_CONTROLLER_PIDS);
        char p[PATH_MAX];
        const char *groups[] = {NULL, "a", "a/b"};

        if (!cg)
                return;
        for (size_t i = 0; i < 3; i++) {
                test_hier_path(&host->unified, groups[i], p, sizeof(p));
                strcat(p, "/cgroup.subtree_control");
                tap_ok((test_read_mask(p) & want) == want, "memory and pids enabled in %s", p);
        }
        test_hier_path(&host->unified, "a/b/leaf", p, sizeof(p));
        strcat(p, "/cgroup.controllers");
        tap_ok((test_read_mask(p) & want) == want, "memory and pids available in %s", p);
        expect_file(cg, "memory.max", "67108864");
        test_group_destroy(host, cg, "a/b/leaf");
        /* destroy removes the container's group only; the parents were the test's */
        test_hier_path(&host->unified, "a/b", p, sizeof(p));
        TAP_EQ_INT(rmdir(p), 0);
        test_hier_path(&host->unified, "a", p, sizeof(p));
        TAP_EQ_INT(rmdir(p), 0);
}

int main(void) {
        _cleanup_(cgroup_host_freep) CgroupHost *h = NULL;
        unsigned need = CGROUP_MASK(CGROUP_CONTROLLER_CPU) | CGROUP_MASK(CGROUP_CONTROLLER_BLKIO) |
                        CGROUP_MASK(CGROUP_CONTROLLER_MEMORY) | CGROUP_MASK(CGROUP_CONTROLLER_PIDS);

        if (geteuid() != 0) {
                tap_skip_all("needs root");
                return 0;
        }
        if (test_unified_host(&h) < 0) {
                tap_skip_all("no cgroup2 mount on this host");
                return 0;
        }
        if ((h->unified_enabled & need) != need) {
                tap_skip_all("cpu, io, memory and pids are not all enabled for the children of our cgroup2 "
                             "group (the vm suite runs this)");
                return 0;
        }
        host = h;
        test_parent_init();
        (void) prctl(PR_SET_CHILD_SUBREAPER, 1);
        printf("# groups below %s%s (controllers enabled there: %#x)\n",
               h->unified.mount,
               h->unified.own,
               h->unified_enabled);

        test_memory_oom();
        test_pids();
        test_cpu();
        test_io();
        test_unified();
        test_ancestors();

        test_reap_orphans();
        test_parent_remove(h);
        tap_ok(!test_group_exists(h, NULL), "the test's parent %s is gone", test_parent);
        return tap_done();
}
