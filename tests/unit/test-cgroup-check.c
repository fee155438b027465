/* cgroups/cgroup-resources-check.c: one test per bad input, each naming the field. */

#include <string.h>

#include "cgroup.h"
#include "tap.h"

static char buf[256];

static void expect(const CgroupResources *r, int expect_r, const char *field) {
        const char *what = NULL;
        int q;

        q = cgroup_resources_check(r, buf, sizeof(buf), &what);
        if (!tap_ok(q == expect_r, "check fails with %d naming '%s'", expect_r, field))
                printf("#   got %d (%s)\n", q, what ? what : "");
        if (field)
                tap_ok(what && strstr(what, field) != NULL,
                       "message '%s' names '%s'",
                       what ? what : "",
                       field);
}

static void test_good(void) {
        CgroupThrottleDevice t = {8, 0, 1048576};
        CgroupDeviceRule devs[] = {
                {false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}, {true, 'b', 7, -1, "m"}};
        CgroupHugepageLimit hp = {"2MB", 1 << 21};
        CgroupKeyValue kv[] = {
                {"memory.high", "1G"}, {"cgroup.max.descendants", "10"}, {"io.latency", "8:0 target=10"}};
        CgroupResources r = {
                .has_memory_limit = true,
                .memory_limit = 1 << 25,
                .has_memory_swap = true,
                .memory_swap = -1,
                .has_memory_swappiness = true,
                .memory_swappiness = 100,
                .has_cpu_shares = true,
                .cpu_shares = 1024,
                .has_cpu_quota = true,
                .cpu_quota = -1,
                .has_cpu_period = true,
                .cpu_period = 100000,
                .cpu_cpus = "0-3,7",
                .cpu_mems = "0",
                .has_pids_limit = true,
                .pids_limit = 0,
                .has_blkio_weight = true,
                .blkio_weight = 500,
                .hugepage_limits = &hp,
                .n_hugepage_limits = 1,
                .unified = kv,
                .n_unified = 3,
                .has_devices = true,
                .devices = devs,
                .n_devices = 3,
        };

        r.blkio_throttle[CGROUP_THROTTLE_READ_BPS] = &t;
        r.n_blkio_throttle[CGROUP_THROTTLE_READ_BPS] = 1;
        expect(&r, 0, NULL);
        expect(&(CgroupResources){}, 0, NULL);
}

static void test_limits(void) {
        expect(&(CgroupResources){.has_memory_limit = true, .memory_limit = -2}, -ERANGE, "memory.limit");
        expect(&(CgroupResources){.has_memory_reservation = true, .memory_reservation = INT64_MIN},
               -ERANGE,
               "memory.reservation");
        expect(&(CgroupResources){.has_memory_swap = true, .memory_swap = -7}, -ERANGE, "memory.swap");
        expect(&(CgroupResources){.has_memory_limit = true,
                                  .memory_limit = 2000,
                                  .has_memory_swap = true,
                                  .memory_swap = 1000},
               -ERANGE,
               "memory.swap");
        expect(&(CgroupResources){.has_memory_kernel_tcp = true, .memory_kernel_tcp = -3},
               -ERANGE,
               "memory.kernelTCP");
        expect(&(CgroupResources){.has_memory_swappiness = true, .memory_swappiness = 101},
               -ERANGE,
               "memory.swappiness");
        expect(&(CgroupResources){.has_cpu_shares = true, .cpu_shares = 1}, -ERANGE, "cpu.shares");
        expect(&(CgroupResources){.has_cpu_shares = true, .cpu_shares = 262145}, -ERANGE, "cpu.shares");
        expect(&(CgroupResources){.has_cpu_quota = true, .cpu_quota = -100}, -ERANGE, "cpu.quota");
        expect(&(CgroupResources){.has_cpu_period = true, .cpu_period = 999}, -ERANGE, "cpu.period");
        expect(&(CgroupResources){.has_cpu_period = true, .cpu_period = 1000001}, -ERANGE, "cpu.period");
        expect(&(CgroupResources){.has_cpu_idle = true, .cpu_idle = 2}, -ERANGE, "cpu.idle");
        expect(&(CgroupResources){.has_cpu_realtime_runtime = true, .cpu_realtime_runtime = -2},
               -ERANGE,
               "cpu.realtimeRuntime");
        expect(&(CgroupResources){.has_pids_limit = true, .pids_limit = -2}, -ERANGE, "pids.limit");
        expect(&(CgroupResources){.has_blkio_weight = true, .blkio_weight = 5}, -ERANGE, "blockIO.weight");
        expect(&(CgroupResources){.has_blkio_weight = true, .blkio_weight = 1001},
               -ERANGE,
               "blockIO.weight");
}

static void test_garbled(void) {
        CgroupHugepageLimit hp = {"2XB", 1};
        CgroupRdmaLimit rd = {"mlx5 1", true, 1, false, 0};
        CgroupWeightDevice wd = {-1, 0, true, 100, false, 0};
        CgroupThrottleDevice td = {8, -1, 1};
        CgroupResources r = {};

        expect(&(CgroupResources){.cpu_cpus = "0-"}, -EINVAL, "cpu.cpus");
        expect(&(CgroupResources){.cpu_cpus = "3-1"}, -EINVAL, "cpu.cpus");
        expect(&(CgroupResources){.cpu_cpus = "0,,1"}, -EINVAL, "cpu.cpus");
        expect(&(CgroupResources){.cpu_mems = "zero"}, -EINVAL, "cpu.mems");
        expect(&(CgroupResources){.hugepage_limits = &hp, .n_hugepage_limits = 1},
               -EINVAL,
               "hugepageLimits[0].pageSize");
        expect(&(CgroupResources){.rdma = &rd, .n_rdma = 1}, -EINVAL, "rdma");
        expect(&(CgroupResources){.blkio_weight_devices = &wd, .n_blkio_weight_devices = 1},
               -EINVAL,
               "blockIO.weightDevice[0]");
        r.blkio_throttle[CGROUP_THROTTLE_WRITE_IOPS] = &td;
        r.n_blkio_throttle[CGROUP_THROTTLE_WRITE_IOPS] = 1;
        expect(&r, -EINVAL, "blockIO.throttleWriteIOPSDevice[0]");
}

static void test_devices(void) {
        CgroupDeviceRule bad_type = {true, 'x', 1, 3, "rwm"};
        CgroupDeviceRule bad_access = {true, 'c', 1, 3, "rwx"};
        CgroupDeviceRule dup_access = {true, 'c', 1, 3, "rr"};
        CgroupDeviceRule empty_access = {true, 'c', 1, 3, ""};
        CgroupDeviceRule bad_major = {true, 'c', -2, 3, "r"};

        expect(&(CgroupResources){.has_devices = true, .devices = &bad_type, .n_devices = 1},
               -EINVAL,
               "devices[0].type");
        expect(&(CgroupResources){.has_devices = true, .devices = &bad_access, .n_devices = 1},
               -EINVAL,
               "devices[0].access");
        expect(&(CgroupResources){.has_devices = true, .devices = &dup_access, .n_devices = 1},
               -EINVAL,
               "devices[0].access");
        expect(&(CgroupResources){.has_devices = true, .devices = &empty_access, .n_devices = 1},
               -EINVAL,
               "devices[0].access");
        expect(&(CgroupResources){.has_devices = true, .devices = &bad_major, .n_devices = 1},
               -EINVAL,
               "devices[0]");
}

static void test_unified(void) {
        static const char *const bad[] = {"memory.max/../x",
                                          "../memory.max",
                                          "memory..max",
                                          "a/b",
                                          "",
                                          "nodot",
                                          ".max",
                                          "memory.",
                                          "bogus.max",
                                          "blkio.weight"};

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                CgroupKeyValue kv = {bad[i], "1"};

                expect(&(CgroupResources){.unified = &kv, .n_unified = 1}, -EINVAL, "unified");
        }
        {
                CgroupKeyValue kv = {"cgroup.procs", "1"};
                CgroupKeyValue kill = {"cgroup.kill", "1"};
                CgroupKeyValue nv = {"memory.high", NULL};

                expect(&(CgroupResources){.unified = &kv, .n_unified = 1}, -EPERM, "cgroup.procs");
                expect(&(CgroupResources){.unified = &kill, .n_unified = 1}, -EPERM, "cgroup.kill");
                expect(&(CgroupResources){.unified = &nv, .n_unified = 1}, -EINVAL, "memory.high");
        }
}

int main(void) {
        test_good();
        test_limits();
        test_garbled();
        test_devices();
        test_unified();
        return tap_done();
}
