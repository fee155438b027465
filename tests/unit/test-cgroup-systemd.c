/* cgroups/cgroup-systemd-props.c: the systemd driver's cgroupsPath "slice:prefix:name" (runc's format and
 * checks), slices expanded as systemd nests them, and the limits in the units systemd's properties take. */

#include <stdint.h>
#include <stdlib.h>

#include "cgroup.h"
#include "tap.h"

static void expect_path(const char *spec, const char *slice, const char *unit) {
        char *s = NULL, *u = NULL;
        const char *what = NULL;
        int r = cgroup_systemd_path_parse(spec, "web", &s, &u, &what);

        if (!tap_ok(r == 0 && strcmp(s, slice) == 0 && strcmp(u, unit) == 0,
                    "cgroupsPath '%s' is slice %s, unit %s",
                    spec ? spec : "(null)",
                    slice,
                    unit))
                printf("#   got %d %s %s (%s)\n", r, s ? s : "-", u ? u : "-", what ? what : "");
        free(s);
        free(u);
}

static void expect_bad(const char *spec, int err, const char *word) {
        char *s = NULL, *u = NULL;
        const char *what = NULL;
        int r = cgroup_systemd_path_parse(spec, "web", &s, &u, &what);

        if (!tap_ok(r == err && what && strstr(what, word) && !s && !u,
                    "cgroupsPath '%s' is refused (%d), naming the %s",
                    spec,
                    err,
                    word))
                printf("#   got %d, '%s'\n", r, what ? what : "");
}

static void test_path(void) {
        expect_path("system.slice:docker:1234", "system.slice", "docker-1234.scope");
        expect_path("machine-tether.slice:tether:web", "machine-tether.slice", "tether-web.scope");
        expect_path(":tether:web", "system.slice", "tether-web.scope"); /* runc: empty slice, system.slice */
        expect_path("", "system.slice", "tether-web.scope");
        expect_path(NULL, "system.slice", "tether-web.scope");
        expect_path("-.slice:p:n", "-.slice", "p-n.scope");
        expect_bad("system:tether:web", -EINVAL, "slice");
        expect_bad("foo.slices:tether:web", -EINVAL, "slice");
        expect_bad(".slice:tether:web", -EINVAL, "slice");
        expect_bad("a/b.slice:tether:web", -EINVAL, "slice");
        expect_bad("../x.slice:tether:web", -EINVAL, "slice");
        expect_bad("a--b.slice:tether:web", -EINVAL, "slice");
        expect_bad("-a.slice:tether:web", -EINVAL, "slice");
        expect_bad("a-.slice:tether:web", -EINVAL, "slice");
        expect_bad("system.slice:tether", -EINVAL, "slice:prefix:name");
        expect_bad("system.slice:a:b:c", -EINVAL, "slice:prefix:name");
        expect_bad("/sys/fs/cgroup/x", -EINVAL, "slice:prefix:name");
        expect_bad("system.slice::web", -EINVAL, "prefix");
        expect_bad("system.slice:a/b:web", -EINVAL, "prefix");
        expect_bad("system.slice:tether:", -EINVAL, "name");
        expect_bad("system.slice:tether:a/../b", -EINVAL, "name");
        expect_bad("system.slice:tether:x@y", -EINVAL, "name");
        expect_bad("system.slice:tether:web.slice", -EOPNOTSUPP, "slice");
        {
                char long_name[300];

                memset(long_name, 'a', sizeof(long_name));
                memcpy(long_name, "system.slice:p:", 15);
                long_name[299] = '\0';
                expect_bad(long_name, -ENAMETOOLONG, "255");
        }
}

static void expect_expand(const char *slice, const char *want) {
        char *p = NULL;
        int r = cgroup_systemd_expand_slice(slice, &p);

        if (!tap_ok(r == 0 && strcmp(p, want) == 0, "%s is %s", slice, want))
                printf("#   got %d %s\n", r, p ? p : "-");
        free(p);
}

static void test_expand(void) {
        /* runc's ExpandSlice test cases (systemd/systemd_test.go TestExpandSlice) */
        char *p = NULL;

        expect_expand("-.slice", "/");
        expect_expand("system.slice", "/system.slice");
        expect_expand("test-a-b.slice", "/test.slice/test-a.slice/test-a-b.slice");
        expect_expand("machine-tether-x.slice",
                      "/machine.slice/machine-tether.slice/machine-tether-x.slice");
        TAP_EQ_INT(cgroup_systemd_expand_slice("test", &p), -EINVAL);
        TAP_EQ_INT(cgroup_systemd_expand_slice("test--a.slice", &p), -EINVAL);
        TAP_EQ_INT(cgroup_systemd_expand_slice("test/a.slice", &p), -EINVAL);
        TAP_OK(p == NULL);
}

static void test_quota(void) {
        /* runc's addCPUQuota: µs per second, rounded up to 10 ms */
        TAP_EQ_INT(cgroup_systemd_cpu_quota_per_sec(true, 20000, 100000), 200000);
        TAP_EQ_INT(cgroup_systemd_cpu_quota_per_sec(true, 50000, 0), 500000); /* default period */
        TAP_EQ_INT(cgroup_systemd_cpu_quota_per_sec(true, 1, 100000), 10000); /* 10 µs/s up to 10 ms */
        TAP_EQ_INT(cgroup_systemd_cpu_quota_per_sec(true, 123456, 100000), 1240000);
        TAP_EQ_INT(cgroup_systemd_cpu_quota_per_sec(true, 250000, 1000000), 250000);
        TAP_OK(cgroup_systemd_cpu_quota_per_sec(true, -1, 100000) == UINT64_MAX);
        TAP_OK(cgroup_systemd_cpu_quota_per_sec(false, 0, 50000) == UINT64_MAX);
}

static void expect_bits(const char *list, const uint8_t *want, size_t n) {
        uint8_t *bits = NULL;
        size_t got = 0;
        int r = cgroup_systemd_cpuset_to_bits(list, &bits, &got);

        if (!tap_ok(r == 0 && got == n && memcmp(bits, want, n) == 0, "'%s' as %zu bytes", list, n))
                printf("#   got %d, %zu bytes, first 0x%02x\n", r, got, bits ? bits[0] : 0);
        free(bits);
}

static void test_bits(void) {
        uint8_t *bits = NULL;
        size_t n;

        /* runc's RangeToBits cases (systemd/cpuset_test.go): byte i, bit j is CPU 8i+j */
        expect_bits("0", (const uint8_t[]){0x01}, 1);
        expect_bits("1", (const uint8_t[]){0x02}, 1);
        expect_bits("0-3", (const uint8_t[]){0x0f}, 1);
        expect_bits("0,2,4", (const uint8_t[]){0x15}, 1);
        expect_bits("9", (const uint8_t[]){0x00, 0x02}, 2);
        expect_bits("0-3,8-9,15 ", (const uint8_t[]){0x0f, 0x83}, 2);
        expect_bits("4-7, 1", (const uint8_t[]){0xf2}, 1);
        TAP_EQ_INT(cgroup_systemd_cpuset_to_bits("", &bits, &n), -EINVAL);
        TAP_EQ_INT(cgroup_systemd_cpuset_to_bits("3-1", &bits, &n), -EINVAL);
        TAP_EQ_INT(cgroup_systemd_cpuset_to_bits("a", &bits, &n), -EINVAL);
        TAP_EQ_INT(cgroup_systemd_cpuset_to_bits("1-", &bits, &n), -EINVAL);
        TAP_EQ_INT(cgroup_systemd_cpuset_to_bits("0,,1", &bits, &n), -EINVAL);
        TAP_EQ_INT(cgroup_systemd_cpuset_to_bits("8192", &bits, &n), -EINVAL);
        TAP_EQ_INT(cgroup_systemd_cpuset_to_bits("-1", &bits, &n), -EINVAL);
        TAP_OK(bits == NULL);
}

static void expect_device(CgroupDeviceRule rule, const char *want, const char *want2) {
        char a[64], b[64];
        int r = cgroup_systemd_device_allow(&rule, a, b, sizeof(a));

        if (!tap_ok(r == 0 && strcmp(a, want) == 0 && strcmp(b, want2) == 0,
                    "%c %lld:%lld is DeviceAllow '%s' '%s'",
                    rule.type,
                    (long long) rule.major,
                    (long long) rule.minor,
                    want,
                    want2))
                printf("#   got %d '%s' '%s'\n", r, a, b);
}

static void test_devices(void) {
        char a[64], b[64];
        CgroupDeviceRule deny = {.allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"};

        /* runc's devices/systemd.go syntax for systemd >= 240 */
        expect_device((CgroupDeviceRule){true, 'c', 1, 3, "rwm"}, "/dev/char/1:3", "");
        expect_device((CgroupDeviceRule){true, 'b', 8, 0, "r"}, "/dev/block/8:0", "");
        expect_device((CgroupDeviceRule){true, 'c', 136, -1, "rw"}, "char-136", "");
        expect_device((CgroupDeviceRule){true, 'c', -1, -1, "m"}, "char-*", "");
        expect_device((CgroupDeviceRule){true, 'c', -1, 5, "m"}, "char-*", ""); /* no syntax: wider */
        expect_device((CgroupDeviceRule){true, 'a', -1, -1, "rwm"}, "char-*", "block-*");
        expect_device((CgroupDeviceRule){true, 'a', 7, -1, "r"}, "char-7", "block-7");
        TAP_EQ_INT(cgroup_systemd_device_allow(&deny, a, b, sizeof(a)), -EINVAL);
}

int main(void) {
        test_path();
        test_expand();
        test_quota();
        test_bits();
        test_devices();
        return tap_done();
}
