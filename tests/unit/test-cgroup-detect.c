/* cgroups/cgroup-detect.c: hybrid, unified and legacy hosts from mountinfo and /proc/self/cgroup. */

#include <string.h>

#include "cgroup-internal.h"
#include "tap.h"

/* This machine: v1 controllers each on its own, name=systemd, cgroup2 at /sys/fs/cgroup/unified. */
static const char hybrid_mountinfo[] =
        "25 1 0:22 / /sys rw,nosuid - sysfs sysfs rw\n"
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
        "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
        "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
        "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
        "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
        "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
static const char hybrid_cgroup[] = "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
                                    "4:memory:/process_api/8473\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";

static void test_hybrid(void) {
        _cleanup_(cgroup_host_freep) CgroupHost *h = NULL;

        TAP_EQ_INT(cgroup_host_parse(hybrid_mountinfo, hybrid_cgroup, &h), 0);
        if (!h)
                return;
        TAP_EQ_INT(h->mode, CGROUP_MODE_HYBRID);
        TAP_EQ_STR(h->unified.mount, "/sys/fs/cgroup/unified");
        TAP_EQ_STR(h->unified.own, "/");
        TAP_EQ_STR(h->v1[CGROUP_CONTROLLER_MEMORY].mount, "/sys/fs/cgroup/memory");
        TAP_EQ_STR(h->v1[CGROUP_CONTROLLER_MEMORY].own, "/process_api/8473");
        TAP_EQ_STR(h->v1[CGROUP_CONTROLLER_CPUACCT].mount, "/sys/fs/cgroup/cpuacct");
        TAP_EQ_STR(h->v1[CGROUP_CONTROLLER_PIDS].own, "/");
        TAP_OK(cgroup_host_has_v1(h, CGROUP_CONTROLLER_FREEZER));
        TAP_OK(!cgroup_host_has_v1(h, CGROUP_CONTROLLER_HUGETLB));
        TAP_OK(!cgroup_host_has_v1(h, CGROUP_CONTROLLER_NET_CLS));
}

static void test_unified(void) {
        _cleanup_(cgroup_host_freep) CgroupHost *h = NULL;
        static const char mi[] =
                "30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";

        TAP_EQ_INT(cgroup_host_parse(mi, "0::/user.slice/user-0.slice/session-1.scope\n", &h), 0);
        if (!h)
                return;
        TAP_EQ_INT(h->mode, CGROUP_MODE_UNIFIED);
        TAP_EQ_STR(h->unified.mount, "/sys/fs/cgroup");
        TAP_EQ_STR(h->unified.own, "/user.slice/user-0.slice/session-1.scope");
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                TAP_OK(!h->v1[c].mount);
}

static void test_legacy_comounted(void) {
        _cleanup_(cgroup_host_freep) CgroupHost *h = NULL;
        static const char mi[] =
                "26 25 0:23 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
                "27 25 0:24 / /sys/fs/cgroup/net_cls,net_prio rw shared:10 - cgroup cgroup rw,net_cls,net_prio\n"
                "28 25 0:25 / /sys/fs/cgroup/memory rw shared:11 - cgroup cgroup rw,memory\n"
                "29 25 0:26 / /sys/fs/cgroup/hugetlb rw shared:12 - cgroup cgroup rw,hugetlb\n";
        static const char cg[] =
                "4:hugetlb:/\n3:memory:/system.slice/x.service\n2:net_cls,net_prio:/\n1:cpu,cpuacct:/a\n";

        TAP_EQ_INT(cgroup_host_parse(mi, cg, &h), 0);
        if (!h)
                return;
        TAP_EQ_INT(h->mode, CGROUP_MODE_LEGACY);
        TAP_OK(!h->unified.mount);
        TAP_EQ_STR(h->v1[CGROUP_CONTROLLER_CPU].mount, "/sys/fs/cgroup/cpu,cpuacct");
        TAP_EQ_STR(h->v1[CGROUP_CONTROLLER_CPUACCT].mount, "/sys/fs/cgroup/cpu,cpuacct");
        TAP_EQ_STR(h->v1[CGROUP_CONTROLLER_CPUACCT].own, "/a");
        TAP_EQ_STR(h->v1[CGROUP_CONTROLLER_NET_PRIO].mount, "/sys/fs/cgroup/net_cls,net_prio");
        TAP_EQ_STR(h->v1[CGROUP_CONTROLLER_MEMORY].own, "/system.slice/x.service");
        TAP_OK(cgroup_host_has_v1(h, CGROUP_CONTROLLER_HUGETLB));
        TAP_OK(!cgroup_host_has_v1(h, CGROUP_CONTROLLER_PIDS)); /* not mounted */
}

static void test_bind_mounted_subtree(void) {
        _cleanup_(cgroup_host_freep) CgroupHost *h = NULL;
        /* a container's view: the mount shows /docker/abc, the process is in it; the memory mount shows a
         * subtree the process is not in, so memory is unreachable; a mount point with an escaped space */
        static const char mi[] = "40 30 0:30 /docker/abc /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
                                 "41 30 0:31 /other /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
                                 "42 30 0:32 / /mnt/my\\040cgroup rw - cgroup2 cgroup2 rw\n";
        static const char cg[] = "2:pids:/docker/abc\n1:memory:/docker/abc\n0::/x\n";
        _cleanup_(cgroup_freep) Cgroup *c = NULL;

        TAP_EQ_INT(cgroup_host_parse(mi, cg, &h), 0);
        if (!h)
                return;
        TAP_EQ_STR(h->v1[CGROUP_CONTROLLER_PIDS].root, "/docker/abc");
        TAP_OK(!h->v1[CGROUP_CONTROLLER_MEMORY].mount);
        TAP_EQ_STR(h->unified.mount, "/mnt/my cgroup");
        /* the group's file system path goes below the mount, without the mount's root */
        TAP_EQ_INT(cgroup_new(h, "ctr", "web", &c), 0);
        if (c) {
                TAP_EQ_STR(c->v1[CGROUP_CONTROLLER_PIDS].rel, "/docker/abc/ctr");
                TAP_EQ_STR(c->v1[CGROUP_CONTROLLER_PIDS].path, "/sys/fs/cgroup/pids/ctr");
                TAP_EQ_STR(c->unified.path, "/mnt/my cgroup/x/ctr");
        }
}

static void test_none(void) {
        CgroupHost *h = NULL;

        TAP_EQ_INT(cgroup_host_parse("25 1 0:22 / /sys rw - sysfs sysfs rw\n", "0::/\n", &h), -ENOMEDIUM);
        TAP_OK(h == NULL);
        TAP_EQ_INT(cgroup_host_parse("", "", &h), -ENOMEDIUM);
        /* garbage lines are skipped, not trusted */
        TAP_EQ_INT(cgroup_host_parse("x\n1 2 3\n- - -\n", "junk\n::\n", &h), -ENOMEDIUM);
}

static void test_new_paths(void) {
        _cleanup_(cgroup_host_freep) CgroupHost *h = NULL;
        _cleanup_(cgroup_freep) Cgroup *c = NULL;
        Cgroup *bad = NULL;

        TAP_EQ_INT(cgroup_host_parse(hybrid_mountinfo, hybrid_cgroup, &h), 0);
        if (!h)
                return;
        /* relative: each hierarchy below the caller's own group there */
        TAP_EQ_INT(cgroup_new(h, "tether-test-1/c", "web", &c), 0);
        if (c) {
                TAP_EQ_STR(c->v1[CGROUP_CONTROLLER_MEMORY].path,
                           "/sys/fs/cgroup/memory/process_api/8473/tether-test-1/c");
                TAP_EQ_STR(c->v1[CGROUP_CONTROLLER_PIDS].path, "/sys/fs/cgroup/pids/tether-test-1/c");
                TAP_EQ_STR(c->unified.path, "/sys/fs/cgroup/unified/tether-test-1/c");
                TAP_EQ_STR(cgroup_get_path(c), "/sys/fs/cgroup/unified/tether-test-1/c");
                TAP_EQ_STR(cgroup_get_driver(c), "cgroupfs-v1");
        }
        TAP_EQ_INT(cgroup_new(h, "x/../../y", "web", &bad), -EINVAL);
        TAP_OK(bad == NULL);
        /* absolute "/process_api" is an ancestor of our memory group: not ours */
        TAP_EQ_INT(cgroup_new(h, "/process_api", "web", &bad), -EINVAL);
}

static void test_proc_cgroup_in(void) {
        TAP_OK(cg_proc_cgroup_in(hybrid_cgroup, "memory", "/process_api/8473"));
        TAP_OK(!cg_proc_cgroup_in(hybrid_cgroup, "memory", "/process_api/847"));
        TAP_OK(!cg_proc_cgroup_in(hybrid_cgroup, "memory", "/process_api/8473/x"));
        TAP_OK(cg_proc_cgroup_in(hybrid_cgroup, "cpuacct", "/"));
        TAP_OK(cg_proc_cgroup_in(hybrid_cgroup, NULL, "/"));
        TAP_OK(!cg_proc_cgroup_in(hybrid_cgroup, "hugetlb", "/"));
        TAP_OK(cg_proc_cgroup_in("1:cpu,cpuacct:/a/b\n", "cpuacct", "/a/b"));
        TAP_OK(!cg_proc_cgroup_in("1:cpu,cpuacct:/a/b\n", "cpuset", "/a/b"));
        TAP_OK(cg_proc_cgroup_in("0::/a/b", NULL, "/a/b")); /* no final newline */
}

/* A group found again from the paths recorded at create (the runtime's state.json): the same directories. */
static void test_new_at(void) {
        _cleanup_(cgroup_host_freep) CgroupHost *h = NULL;
        _cleanup_(cgroup_freep) Cgroup *cg = NULL, *again = NULL;
        const char *groups[_CGROUP_CONTROLLER_MAX] = {};

        TAP_EQ_INT(cgroup_host_parse(hybrid_mountinfo, hybrid_cgroup, &h), 0);
        if (!h)
                return;
        TAP_EQ_INT(cgroup_new(h, NULL, "web", &cg), 0);
        if (!cg)
                return;
        TAP_EQ_STR(cgroup_get_group(cg, CGROUP_CONTROLLER_MEMORY), "/process_api/8473/tether/web");
        TAP_EQ_STR(cgroup_get_group(cg, CGROUP_CONTROLLER_PIDS), "/tether/web");
        TAP_EQ_STR(cgroup_get_group(cg, _CGROUP_CONTROLLER_INVALID), "/tether/web");
        TAP_OK(cgroup_get_group(cg, CGROUP_CONTROLLER_HUGETLB) == NULL);
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                groups[c] = cgroup_get_group(cg, c);
        TAP_EQ_INT(cgroup_new_at(h, groups, cgroup_get_group(cg, _CGROUP_CONTROLLER_INVALID), &again), 0);
        if (!again)
                return;
        for (CgroupController c = 0; c < _CGROUP_CONTROLLER_MAX; c++)
                if (cg->v1[c].path)
                        TAP_EQ_STR(again->v1[c].path, cg->v1[c].path);
        TAP_EQ_STR(again->unified.path, "/sys/fs/cgroup/unified/tether/web");
        /* A hierarchy left out, a relative or a ".." path: refused. */
        cgroup_free(TAKE_PTR(again));
        TAP_EQ_INT(cgroup_new_at(h, groups, NULL, &again), -EINVAL);
        TAP_EQ_INT(cgroup_new_at(h, groups, "tether/web", &again), -EINVAL);
        TAP_EQ_INT(cgroup_new_at(h, groups, "/tether/../web", &again), -EINVAL);
        groups[CGROUP_CONTROLLER_MEMORY] = "/process_api";
        TAP_EQ_INT(cgroup_new_at(h, groups, "/tether/web", &again), -EINVAL);
        TAP_OK(again == NULL);
}

int main(void) {
        test_hybrid();
        test_unified();
        test_legacy_comounted();
        test_bind_mounted_subtree();
        test_none();
        test_new_paths();
        test_proc_cgroup_in();
        test_new_at();
        return tap_done();
}
