/* cgroups/cgroup-resources-convert.c: OCI's v1 units to v2's, as runc and crun convert them. */

#include <stdint.h>

#include "cgroup.h"
#include "tap.h"

static void test_shares_to_weight(void) {
        /* runc's ConvertCPUSharesToCgroupV2Value and crun's convert_shares_to_weight: the ends, the default
         * (1024 -> 100) and points between, computed with the same formula in Python */
        static const struct {
                uint64_t shares, weight;
        } cases[] = {
                {0, 0},
                {1, 1},
                {2, 1},
                {3, 2},
                {10, 4},
                {100, 17},
                {512, 59},
                {1024, 100},
                {2048, 174},
                {4096, 303},
                {100000, 4340},
                {262143, 10000},
                {262144, 10000},
                {300000, 10000},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                TAP_EQ_INT(cgroup_cpu_shares_to_weight(cases[i].shares), cases[i].weight);
}

static void test_swap(void) {
        int64_t v = 42;

        /* runc's ConvertMemorySwapToCgroupV2Value, case by case */
        TAP_EQ_INT(cgroup_memory_swap_to_v2(0, -1, &v), 0);
        TAP_EQ_INT(v, -1); /* unlimited memory, unset swap: both unlimited */
        TAP_EQ_INT(cgroup_memory_swap_to_v2(-1, 1000, &v), 0);
        TAP_EQ_INT(v, -1);
        TAP_EQ_INT(cgroup_memory_swap_to_v2(0, 1000, &v), 0);
        TAP_EQ_INT(v, 0);
        TAP_EQ_INT(cgroup_memory_swap_to_v2(5000, -1, &v), 0);
        TAP_EQ_INT(v, 5000);
        TAP_EQ_INT(cgroup_memory_swap_to_v2(3000, 1000, &v), 0);
        TAP_EQ_INT(v, 2000);
        TAP_EQ_INT(cgroup_memory_swap_to_v2(1000, 1000, &v), 0);
        TAP_EQ_INT(v, 0);
        v = 42;
        TAP_EQ_INT(cgroup_memory_swap_to_v2(3000, 0, &v), -EINVAL); /* no memory limit to subtract from */
        TAP_EQ_INT(cgroup_memory_swap_to_v2(3000, -5, &v), -EINVAL);
        TAP_EQ_INT(cgroup_memory_swap_to_v2(500, 1000, &v), -ERANGE); /* memory+swap below memory */
        TAP_EQ_INT(v, 42); /* untouched on failure */
}

static void test_blkio_weight(void) {
        /* runc's ConvertBlkIOToIOWeightValue: [10, 1000] linearly onto [1, 10000] */
        TAP_EQ_INT(cgroup_blkio_weight_to_io_weight(0), 0);
        TAP_EQ_INT(cgroup_blkio_weight_to_io_weight(10), 1);
        TAP_EQ_INT(cgroup_blkio_weight_to_io_weight(100), 1 + 90 * 9999 / 990);
        TAP_EQ_INT(cgroup_blkio_weight_to_io_weight(500), 4950);
        TAP_EQ_INT(cgroup_blkio_weight_to_io_weight(1000), 10000);
}

static void test_format(void) {
        char buf[64];

        TAP_EQ_STR(cgroup_format_limit(-1, buf, sizeof(buf)), "max");
        TAP_EQ_STR(cgroup_format_limit(0, buf, sizeof(buf)), "0");
        TAP_EQ_STR(cgroup_format_limit(33554432, buf, sizeof(buf)), "33554432");
        TAP_EQ_STR(cgroup_format_limit(INT64_MAX, buf, sizeof(buf)), "9223372036854775807");

        TAP_EQ_INT(cgroup_format_cpu_max(true, 50000, 100000, NULL, buf, sizeof(buf)), 0);
        TAP_EQ_STR(buf, "50000 100000");
        /* A quota alone: the kernel keeps the group's period (a period set before, 20000 here). */
        TAP_EQ_INT(cgroup_format_cpu_max(true, 20000, 0, "max 20000\n", buf, sizeof(buf)), 0);
        TAP_EQ_STR(buf, "20000");
        TAP_EQ_INT(cgroup_format_cpu_max(true, -1, 0, NULL, buf, sizeof(buf)), 0);
        TAP_EQ_STR(buf, "max");
        TAP_EQ_INT(cgroup_format_cpu_max(true, -1, 50000, NULL, buf, sizeof(buf)), 0);
        TAP_EQ_STR(buf, "max 50000");
        /* A period alone keeps the quota the group has. */
        TAP_EQ_INT(cgroup_format_cpu_max(false, 0, 250000, "30000 100000\n", buf, sizeof(buf)), 0);
        TAP_EQ_STR(buf, "30000 250000");
        TAP_EQ_INT(cgroup_format_cpu_max(true, 0, 250000, "max 100000\n", buf, sizeof(buf)), 0);
        TAP_EQ_STR(buf, "max 250000"); /* quota 0 is none, as in runc */
        TAP_EQ_INT(cgroup_format_cpu_max(false, 0, 250000, NULL, buf, sizeof(buf)), 0);
        TAP_EQ_STR(buf, "max 250000");
        TAP_EQ_INT(cgroup_format_cpu_max(false, 0, 0, "max 100000\n", buf, sizeof(buf)), -EINVAL);
        TAP_EQ_INT(cgroup_format_cpu_max(false, 0, 1000, "junk 100000\n", buf, sizeof(buf)), -EBADMSG);
        TAP_EQ_INT(cgroup_format_cpu_max(false, 0, 1000, "", buf, sizeof(buf)), -EBADMSG);
        TAP_EQ_INT(cgroup_format_cpu_max(false, 0, 1000, "ma 100000", buf, sizeof(buf)), -EBADMSG);
        TAP_EQ_INT(cgroup_format_cpu_max(true, 50000, 100000, NULL, buf, 5), -ENOBUFS);
}

int main(void) {
        test_shares_to_weight();
        test_swap();
        test_blkio_weight();
        test_format();
        return tap_done();
}
