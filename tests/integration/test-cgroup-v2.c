/* The v2 driver against a real cgroup2 mount: the host's own on a unified host, the cgroup2 mount of a
 * hybrid host otherwise (the host is then looked at as if it had only that mount): attach, freeze, kill,
 * stats of the core files and of the network namespace, removal and the refusals. The limits are
 * test-cgroup-v2-limits.c, which needs controllers this machine's cgroup2 mount has not: the vm suite runs
 * both. As root; groups below our own cgroup2 group (or TETHER_TEST_CGROUP_BASE, see cgroup-test.h) under
 * tether-test-<random>, removed at the end. */

#include <linux/sockios.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "cgroup-test.h"

static const CgroupHost *host;

static void child_ticker(int report) {
        for (;;)
                if (write(report, "t", 1) < 0)
                        _exit(1);
}

static void drain(int fd) {
        char buf[65536];
        int fl = fcntl(fd, F_GETFL);

        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
        while (read(fd, buf, sizeof(buf)) > 0)
                ;
        fcntl(fd, F_SETFL, fl);
}

/* The effective state: the group's own cgroup.freeze stays 0 while the test's parent is frozen by someone
 * else's hand (its file written directly), and cgroup.events of the group says frozen all the same. */
static void test_frozen_by_parent(Cgroup *cg) {
        _cleanup_free_ char *file = NULL, *own = NULL;
        _cleanup_close_ int parent = -EBADF;
        const char *what = "";
        char path[PATH_MAX];
        bool frozen = false;

        TAP_EQ_INT(cgroup_get_freeze_file(cg, &file), 0);
        tap_ok(file && strstr(file, "/cgroup.events"),
               "the freeze file is cgroup.events (%s)",
               file ? file : "");
        test_hier_path(&host->unified, NULL, path, sizeof(path));
        parent = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        TAP_OK(parent >= 0);
        TAP_EQ_INT(cg_write_at(parent, "cgroup.freeze", "1"), 0);
        TAP_EQ_INT(cg_events_wait(parent, "frozen", "1", 10000), 0);
        TAP_EQ_INT(cg_read_at(cg->unified.fd, "cgroup.freeze", &own), 0);
        tap_ok(own && own[0] == '0', "the group's own cgroup.freeze is 0");
        TAP_EQ_INT(cg_events_wait(cg->unified.fd, "frozen", "1", 10000), 0);
        TAP_EQ_INT(cgroup_is_frozen(cg, &frozen, &what), 0);
        tap_ok(frozen, "frozen through the parent group");
        frozen = false;
        TAP_EQ_INT(file ? cgroup_freeze_file_read(file, &frozen) : -ENOENT, 0);
        tap_ok(frozen, "the freeze file says frozen");
        TAP_EQ_INT(cg_write_at(parent, "cgroup.freeze", "0"), 0);
        TAP_EQ_INT(cg_events_wait(cg->unified.fd, "frozen", "0", 10000), 0);
        TAP_EQ_INT(file ? cgroup_freeze_file_read(file, &frozen) : -ENOENT, 0);
        tap_ok(!frozen, "thawed with the parent");
}

static void test_attach_freeze(void) {
        Cgroup *cg = test_group(host, "freeze", NULL);
        Child c = {.pidfd = -1, .report = -1};
        _cleanup_free_ char *self = NULL, *events = NULL;
        struct pollfd p;
        const char *what = "";
        char t, path[64], want[160];
        CgroupStats st = {};
        bool frozen = true;

        if (!cg)
                return;
        TAP_EQ_STR(cgroup_get_driver(cg), "cgroupfs-v2");
        TAP_EQ_INT(test_spawn(cg, child_ticker, &c), 0);
        TAP_EQ_INT(test_read(c.report, &t, 1, 10000), 0);
        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) c.pid);
        TAP_EQ_INT(cg_read_at(AT_FDCWD, path, &self), 0);
        snprintf(want,
                 sizeof(want),
                 "0::%s/%s/freeze",
                 strcmp(host->unified.own, "/") == 0 ? "" : host->unified.own,
                 test_parent);
        tap_ok(self && strstr(self, want), "the child is attached (%s)", want);
        TAP_EQ_INT(cgroup_is_frozen(cg, &frozen, &what), 0);
        tap_ok(!frozen, "a running group is not frozen");
        TAP_EQ_INT(cgroup_freeze(cg, true, &what), 0);
        TAP_EQ_INT(cg_read_at(cg->unified.fd, "cgroup.events", &events), 0);
        tap_ok(events && strstr(events, "frozen 1"), "cgroup.events says frozen 1");
        TAP_EQ_INT(cgroup_is_frozen(cg, &frozen, &what), 0);
        tap_ok(frozen, "cgroup_is_frozen() says frozen");
        drain(c.report);
        p = (struct pollfd){.fd = c.report, .events = POLLIN};
        tap_ok(poll(&p, 1, 300) == 0, "a frozen child writes nothing"); /* an observation window */
        TAP_EQ_INT(cgroup_freeze(cg, false, &what), 0);
        TAP_EQ_INT(test_read(c.report, &t, 1, 10000), 0);
        tap_ok(1, "the thawed child writes again");
        TAP_EQ_INT(cgroup_is_frozen(cg, &frozen, &what), 0);
        tap_ok(!frozen, "a thawed group is not frozen");
        test_frozen_by_parent(cg);
        TAP_EQ_INT(cgroup_get_stats(cg, &st, &what), 0);
        tap_ok(st.cpu.usage_usec > 0,
               "cpu.stat (core) counts %llu µs",
               (unsigned long long) st.cpu.usage_usec);
        test_group_destroy(host, cg, "freeze");
        test_wait(&c, 10000, &(siginfo_t){});
        test_child_done(&c);
}

/* cgroup_create_pid() on the v2 driver: create, apply and attach in one, the process in the group. */
static void test_create_pid(void) {
        CgroupResources res = {};
        Child c = {.pidfd = -1, .report = -1};
        _cleanup_free_ char *self = NULL;
        char spec[128], path[64], want[160];
        const char *what = "";
        Cgroup *cg = NULL;
        int r;

        snprintf(spec, sizeof(spec), "%s/%s", test_parent, "withpid");
        TAP_EQ_INT(cgroup_new(host, spec, "withpid", &cg), 0);
        if (!cg)
                return;
        TAP_EQ_INT(test_spawn(NULL, child_ticker, &c), 0);
        r = cgroup_create_pid(cg, &res, c.pid, &what);
        if (!tap_ok(r >= 0, "cgroup_create_pid() makes the group around the child"))
                printf("#   %s: %s\n", what, strerror(-r));
        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) c.pid);
        TAP_EQ_INT(cg_read_at(AT_FDCWD, path, &self), 0);
        snprintf(want,
                 sizeof(want),
                 "0::%s/%s/withpid",
                 strcmp(host->unified.own, "/") == 0 ? "" : host->unified.own,
                 test_parent);
        tap_ok(self && strstr(self, want), "the child is in it (%s)", want);
        test_group_destroy(host, cg, "withpid");
        test_wait(&c, 10000, &(siginfo_t){});
        test_child_done(&c);
}

/* Forks up to 200 processes, each pausing, while the kill runs: bounded, as no pids controller is here. */
static void child_forks(int report) {
        for (int n = 0; n < 200; n++) {
                pid_t pid = fork();

                if (pid == 0)
                        for (;;)
                                pause();
                if (n == 0)
                        (void) write(report, "f", 1);
        }
        for (;;)
                pause();
}

static void test_kill(void) {
        Cgroup *cg = test_group(host, "kill", NULL);
        Child c = {.pidfd = -1, .report = -1};
        const char *what = "";
        size_t n = 99;
        siginfo_t si = {};
        char t;
        int r;

        if (!cg)
                return;
        TAP_EQ_INT(test_spawn(cg, child_forks, &c), 0);
        TAP_EQ_INT(test_read(c.report, &t, 1, 10000), 0);
        r = cgroup_kill_all(cg, &what);
        if (!tap_ok(r == 0, "kill_all while the child forks"))
                printf("#   %s: %s\n", what, strerror(-r));
        TAP_EQ_INT(cg_procs_count(cg->unified.fd, &n), 0);
        TAP_EQ_INT(n, 0);
        TAP_EQ_INT(test_wait(&c, 10000, &si), 0);
        TAP_EQ_INT(si.si_status, SIGKILL);
        test_reap_orphans();
        test_child_done(&c);
        test_group_destroy(host, cg, "kill");
}

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
        if (!tap_ok(r == expect_r, "%s: refused with %d", name, expect_r))
                printf("#   got %d (%s)\n", r, what);
        tap_ok(strstr(what, field) != NULL, "%s: '%s' names '%s'", name, what, field);
        tap_ok(!test_group_exists(host, name), "%s: no group was created", name);
        cgroup_free(cg);
}

static void test_refusals(void) {
        CgroupKeyValue unknown = {"bogus.max", "1"}, slash = {"memory.max/../../x", "1"}, dots = {"..", "1"},
                       procs = {"cgroup.procs", "1"};
        CgroupDeviceRule deny = {false, 'c', INT64_C(1) << 32, 0, "rwm"};
        unsigned en = host->unified_enabled;
        Cgroup *cg = NULL;

        expect_refused("bad-unified",
                       &(CgroupResources){.unified = &unknown, .n_unified = 1},
                       -EINVAL,
                       "bogus.max");
        expect_refused("bad-slash",
                       &(CgroupResources){.unified = &slash, .n_unified = 1},
                       -EINVAL,
                       "memory.max/../../x");
        expect_refused("bad-dots", &(CgroupResources){.unified = &dots, .n_unified = 1}, -EINVAL, "'..'");
        expect_refused(
                "bad-core", &(CgroupResources){.unified = &procs, .n_unified = 1}, -EPERM, "cgroup.procs");
        expect_refused("bad-memory",
                       &(CgroupResources){.has_memory_limit = true, .memory_limit = -9},
                       -ERANGE,
                       "memory.limit");
        expect_refused("oom-killer",
                       &(CgroupResources){.memory_disable_oom_killer = true},
                       -EOPNOTSUPP,
                       "memory.disableOOMKiller");
        expect_refused("devices",
                       &(CgroupResources){.has_devices = true, .devices = &deny, .n_devices = 1},
                       -ERANGE,
                       "devices[0]: major or minor beyond 2^31");
        if (!(en & CGROUP_MASK(CGROUP_CONTROLLER_MEMORY))) {
                CgroupKeyValue high = {"memory.high", "1G"};

                /* the host cannot honour it: the controller named, with the group it is missing from */
                expect_refused("no-memory",
                               &(CgroupResources){.has_memory_limit = true, .memory_limit = 1 << 25},
                               -EOPNOTSUPP,
                               "memory controller: not enabled in");
                expect_refused("no-memory-unified",
                               &(CgroupResources){.unified = &high, .n_unified = 1},
                               -EOPNOTSUPP,
                               "the memory controller is not enabled");
        }
        if (!(en & CGROUP_MASK(CGROUP_CONTROLLER_PIDS)))
                expect_refused("no-pids",
                               &(CgroupResources){.has_pids_limit = true, .pids_limit = 10},
                               -EOPNOTSUPP,
                               "pids controller");
        TAP_EQ_INT(cgroup_new(host, "../x", "x", &cg), -EINVAL);
        {
                const char *what = "";

                TAP_EQ_INT(cgroup_new(host, test_parent, "n", &cg),
                           0); /* the test's parent: ours to probe */
                if (cg && !(en & CGROUP_MASK(CGROUP_CONTROLLER_MEMORY))) {
                        tap_ok(cgroup_oom_watch_open(cg, &what) == -EOPNOTSUPP,
                               "no OOM watch without memory: '%s'",
                               what);
                }
                cgroup_free(cg);
        }
}

/* A network namespace of its own with one interface in it (a bridge: the kernel here has no dummy nor
 * veth), then waits to be killed. */
static void child_netns(int report) {
        int fd;

        if (unshare(CLONE_NEWNET) < 0)
                _exit(2);
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || ioctl(fd, SIOCBRADDBR, "tbr0") < 0)
                _exit(3);
        if (write(report, "r", 1) != 1)
                _exit(4);
        for (;;)
                pause();
}

/* cgroup_get_net_stats(): the namespace of the process the pidfd holds, lo left out; none for the caller's
 * own namespace; and never the counters of whoever has the pid now. */
static void test_net_stats(void) {
        Child c = {.pidfd = -1, .report = -1};
        _cleanup_close_ int self = pidfd_open_pid(getpid()), dead = -EBADF;
        CgroupStats st = {};
        siginfo_t si;
        char t;

        TAP_EQ_INT(test_spawn(NULL, child_netns, &c), 0);
        if (test_read(c.report, &t, 1, 10000) == -EPIPE && test_wait(&c, 10000, &si) >= 0 &&
            si.si_code == CLD_EXITED && si.si_status == 3) {
                tap_skip("network counters", "the kernel makes no bridge (no interface to count)");
                test_child_done(&c);
                return;
        }
        st.n_net = 99;
        TAP_EQ_INT(cgroup_get_net_stats(c.pid, c.pidfd, &st), 0);
        TAP_EQ_INT(st.n_net, 1);
        TAP_EQ_STR(st.net[0].name, "tbr0");
        st.n_net = 99;
        TAP_EQ_INT(cgroup_get_net_stats(getpid(), self, &st), 0);
        tap_ok(st.n_net == 0, "the caller's own namespace: no interfaces (the host's)");
        TAP_EQ_INT(cgroup_get_net_stats(c.pid, -1, &st), -EINVAL);
        dead = fcntl(c.pidfd, F_DUPFD_CLOEXEC, 3);
        (void) pidfd_kill(c.pidfd, c.pid, SIGKILL);
        TAP_EQ_INT(test_wait(&c, 10000, &si), 0);
        /* gone and reaped: its pidfd gives nothing, with its pid nor with a live process's, as a recycled
         * pid would be */
        TAP_EQ_INT(cgroup_get_net_stats(c.pid, dead, &st), -ESRCH);
        TAP_EQ_INT(cgroup_get_net_stats(getpid(), dead, &st), -ESRCH);
        test_child_done(&c);
}

int main(void) {
        _cleanup_(cgroup_host_freep) CgroupHost *h = NULL;

        if (geteuid() != 0) {
                tap_skip_all("needs root");
                return 0;
        }
        if (test_unified_host(&h) < 0) {
                tap_skip_all("no cgroup2 mount on this host");
                return 0;
        }
        if (access("/sys/fs/cgroup", F_OK) < 0 || faccessat(AT_FDCWD, h->unified.mount, W_OK, 0) < 0) {
                tap_skip_all("the cgroup2 mount is not writable");
                return 0;
        }
        host = h;
        test_parent_init();
        (void) prctl(PR_SET_CHILD_SUBREAPER, 1);
        printf("# groups below %s%s (controllers enabled there: %#x)\n",
               h->unified.mount,
               h->unified.own,
               h->unified_enabled);

        test_attach_freeze();
        test_create_pid();
        test_kill();
        test_refusals();
        test_net_stats();

        test_reap_orphans();
        test_parent_remove(h);
        tap_ok(!test_group_exists(h, NULL), "the test's parent %s is gone", test_parent);
        return tap_done();
}
