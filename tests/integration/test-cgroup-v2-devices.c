/* The v2 device filter (cgroups/cgroup-v2-devices.c) against the kernel: a process with CAP_MKNOD in a
 * group under "deny all" plus the default devices makes /dev/loop0 (b 7:0) and cannot open it, nor the
 * node made outside the group, while c 1:3 (/dev/null) works; an update replaces tether's program, one
 * program stays attached, and what it allows now opens. A security boundary: the attack must fail. As
 * root where a cgroup2 mount is writable (this host's hybrid one and the vm guest's); groups under
 * tether-test-<random>, nodes in a directory of /tmp, both removed at the end. Opens only its own nodes:
 * /dev/null's device and /dev/net/tun's, which nothing else notices; loop0 only where it is refused. */

#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "cgroup-test.h"

static const CgroupHost *host;
static char dir[64] = "/tmp/tether-test-devices-XXXXXX";

typedef struct Attack {
        int mknod_loop; /* 0 or the errno */
        int open_loop; /* its own node */
        int open_loop_outside; /* the node the test made outside the group */
        int mknod_null;
        int open_null;
        int write_null;
        int open_tun;
} Attack;

static int try_mknod(const char *name, mode_t type, unsigned maj, unsigned min) {
        char p[128];

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        return mknod(p, type | 0600, makedev(maj, min)) < 0 ? errno : 0;
}

static int try_open(const char *name, int flags, int *ret_fd) {
        char p[128];
        int fd;

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        fd = open(p, flags | O_CLOEXEC);
        if (fd < 0)
                return errno;
        if (ret_fd)
                *ret_fd = fd;
        else
                close(fd);
        return 0;
}

static void child_attack(int report) {
        Attack a = {.write_null = -1};
        int fd = -1;

        a.mknod_loop = try_mknod("loop0", S_IFBLK, 7, 0);
        a.open_loop = a.mknod_loop ? -1 : try_open("loop0", O_RDWR, NULL);
        a.open_loop_outside = try_open("loop0-outside", O_RDONLY, NULL);
        a.mknod_null = try_mknod("null", S_IFCHR, 1, 3);
        a.open_null = try_open("null", O_RDWR, &fd);
        if (fd >= 0)
                a.write_null = write(fd, "x", 1) == 1 ? 0 : errno;
        a.open_tun = try_open("tun", O_RDWR, NULL);
        (void) write(report, &a, sizeof(a));
}

static Attack attack(Cgroup *cg) {
        Child c = {.pidfd = -1, .report = -1};
        Attack a = {-1, -1, -1, -1, -1, -1, -1};
        char p[128];

        snprintf(p, sizeof(p), "%s/loop0", dir);
        (void) unlink(p);
        snprintf(p, sizeof(p), "%s/null", dir);
        (void) unlink(p);
        TAP_EQ_INT(test_spawn(cg, child_attack, &c), 0);
        TAP_EQ_INT(test_read(c.report, &a, sizeof(a), 60000), 0);
        TAP_EQ_INT(test_wait(&c, 60000, &(siginfo_t){}), 0);
        test_child_done(&c);
        return a;
}

static int attached_programs(Cgroup *cg) {
        uint32_t ids[16];
        union bpf_attr attr = {};

        attr.query.target_fd = (uint32_t) cg->unified.fd;
        attr.query.attach_type = BPF_CGROUP_DEVICE;
        attr.query.prog_cnt = 16;
        attr.query.prog_ids = (uint64_t) (uintptr_t) ids;
        if (syscall(__NR_bpf, BPF_PROG_QUERY, &attr, sizeof(attr)) < 0)
                return -errno;
        return (int) attr.query.prog_cnt;
}

/* runc's AllowedDevices (libcontainer/specconv), less /dev/net/tun, after a deny of everything. */
static const CgroupDeviceRule defaults[] = {
        {false, 'a', -1, -1, "rwm"},
        {true, 'c', -1, -1, "m"},
        {true, 'b', -1, -1, "m"},
        {true, 'c', 1, 3, "rwm"},
        {true, 'c', 1, 8, "rwm"},
        {true, 'c', 1, 7, "rwm"},
        {true, 'c', 5, 0, "rwm"},
        {true, 'c', 1, 5, "rwm"},
        {true, 'c', 1, 9, "rwm"},
        {true, 'c', 5, 1, "rwm"},
        {true, 'c', 136, -1, "rwm"},
        {true, 'c', 5, 2, "rwm"},
};

static void test_attack(void) {
        CgroupResources res = {.has_devices = true, .devices = defaults, .n_devices = 12};
        CgroupDeviceRule tun_only[] = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 10, 200, "rwm"}};
        CgroupResources update = {.has_devices = true, .devices = tun_only, .n_devices = 2};
        Cgroup *cg = test_group(host, "devices", &res);
        const char *what = "";
        Attack a;
        int r;

        if (!cg)
                return;
        TAP_EQ_INT(attached_programs(cg), 1);
        a = attack(cg);
        /* "b *:* m" lets it make the node, as docker's and runc's defaults do; opening it is the attack */
        TAP_EQ_INT(a.mknod_loop, 0);
        tap_ok(a.open_loop == EPERM, "opening its own b 7:0 node: EPERM (got %s)", strerror(a.open_loop));
        tap_ok(a.open_loop_outside == EPERM,
               "opening a b 7:0 node made outside the group: EPERM (got %s)",
               strerror(a.open_loop_outside));
        TAP_EQ_INT(a.mknod_null, 0);
        TAP_EQ_INT(a.open_null, 0);
        TAP_EQ_INT(a.write_null, 0);
        tap_ok(a.open_tun == EPERM, "c 10:200 is not in the list: EPERM (got %s)", strerror(a.open_tun));

        r = cgroup_update(cg, &update, &what);
        if (!tap_ok(r == 0, "update to deny all but c 10:200"))
                printf("#   %s: %s\n", what, strerror(-r));
        TAP_EQ_INT(attached_programs(cg), 1); /* replaced, not added */
        a = attack(cg);
        tap_ok(a.mknod_null == EPERM, "c 1:3 mknod now refused (got %s)", strerror(a.mknod_null));
        tap_ok(a.mknod_loop == EPERM, "b 7:0 mknod refused (got %s)", strerror(a.mknod_loop));
        tap_ok(a.open_loop_outside == EPERM, "b 7:0 still refused (got %s)", strerror(a.open_loop_outside));
        /* the old program allowed no tun: if it were still attached, this would be EPERM */
        tap_ok(a.open_tun != EPERM, "c 10:200 now passes the filter (%s)", strerror(a.open_tun));
        test_group_destroy(host, cg, "devices");
}

int main(void) {
        _cleanup_(cgroup_host_freep) CgroupHost *h = NULL;
        char p[128];
        int r;

        if (geteuid() != 0) {
                tap_skip_all("needs root");
                return 0;
        }
        if (test_unified_host(&h) < 0 || faccessat(AT_FDCWD, h->unified.mount, W_OK, 0) < 0) {
                tap_skip_all("no writable cgroup2 mount on this host");
                return 0;
        }
        {
                /* BPF_PROG_LOAD needs CAP_BPF or CAP_SYS_ADMIN in the initial user namespace */
                struct bpf_insn *insns = NULL;
                size_t n = 0;
                union bpf_attr attr = {.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE,
                                       .license = (uintptr_t) "MIT"};

                if (cg_devices_bpf_build(NULL, 0, &insns, &n, NULL) < 0)
                        return 1;
                attr.insns = (uintptr_t) insns;
                attr.insn_cnt = (uint32_t) n;
                r = (int) syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
                free(insns);
                if (r < 0) {
                        printf("1..0 # SKIP cannot load a BPF device program here: %s\n", strerror(errno));
                        return 0;
                }
                close(r);
        }
        host = h;
        test_parent_init();
        (void) prctl(PR_SET_CHILD_SUBREAPER, 1);
        if (!mkdtemp(dir)) {
                tap_ok(0, "mkdtemp: %s", strerror(errno));
                return tap_done();
        }
        /* The nodes on a tmpfs of our own mount namespace: /tmp may be nodev, and no one else sees it. */
        if (!tap_ok(unshare(CLONE_NEWNS) >= 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) >= 0 &&
                            mount("tmpfs", dir, "tmpfs", MS_NOSUID, "mode=0700") >= 0,
                    "a private tmpfs on %s",
                    dir)) {
                printf("#   %s\n", strerror(errno));
                return tap_done();
        }
        snprintf(p, sizeof(p), "%s/loop0-outside", dir);
        TAP_EQ_INT(mknod(p, S_IFBLK | 0600, makedev(7, 0)), 0);
        snprintf(p, sizeof(p), "%s/tun", dir);
        TAP_EQ_INT(mknod(p, S_IFCHR | 0600, makedev(10, 200)), 0);

        test_attack();

        for (const char *const *f = (const char *const[]){"loop0", "loop0-outside", "null", "tun", NULL}; *f;
             f++) {
                snprintf(p, sizeof(p), "%s/%s", dir, *f);
                (void) unlink(p);
        }
        TAP_EQ_INT(umount(dir), 0);
        TAP_EQ_INT(rmdir(dir), 0);
        test_reap_orphans();
        test_parent_remove(h);
        tap_ok(!test_group_exists(h, NULL), "the test's parent %s is gone", test_parent);
        return tap_done();
}
