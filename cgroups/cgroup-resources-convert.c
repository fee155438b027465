/* Conversions from OCI's (cgroup v1) units to cgroup v2's, and the formatting of limits. Pure. */

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cgroup.h"

/* cpu.shares [2, 262144] (default 1024) to cpu.weight [1, 10000] (default 100): the quadratic fit of
 * opencontainers/runc:vendor/github.com/opencontainers/cgroups/utils.go ConvertCPUSharesToCgroupV2Value
 * and containers/crun:src/libcrun/cgroup-internal.h convert_shares_to_weight, so that a container gets
 * the same weight from tether as from either. */
uint64_t cgroup_cpu_shares_to_weight(uint64_t shares) {
        double l, exponent;

        if (shares == 0) /* unset */
                return 0;
        if (shares <= 2)
                return 1;
        if (shares >= 262144)
                return 10000;
        l = log2((double) shares);
        exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
        return (uint64_t) ceil(pow(10, exponent));
}

/* OCI's memory.swap is memory + swap; memory.swap.max is swap alone. runc's
 * ConvertMemorySwapToCgroupV2Value (same file), case by case. */
int cgroup_memory_swap_to_v2(int64_t memory_swap, int64_t memory, int64_t *ret) {
        if (memory == -1 && memory_swap == 0)
                *ret = -1; /* both unlimited, as v1 would have it */
        else if (memory_swap == -1 || memory_swap == 0)
                *ret = memory_swap;
        else if (memory == -1)
                *ret = memory_swap;
        else if (memory == 0)
                return -EINVAL; /* no memory limit to subtract */
        else if (memory < 0)
                return -EINVAL;
        else if (memory_swap < memory)
                return -ERANGE; /* memory+swap below memory */
        else
                *ret = memory_swap - memory;
        return 0;
}

/* blkio.weight [10, 1000] to io.weight [1, 10000], linearly: runc's ConvertBlkIOToIOWeightValue and
 * containers/crun:src/libcrun/cgroup-resources.c write_blkio_resources. */
uint64_t cgroup_blkio_weight_to_io_weight(uint16_t weight) {
        if (weight == 0)
                return 0;
        if (weight < 10) /* below blkio's range: the kernel refuses it on v1; keep the result in range */
                return 1;
        return 1 + ((uint64_t) weight - 10) * 9999 / 990;
}

const char *cgroup_format_limit(int64_t v, char *buf, size_t size) {
        if (v < 0)
                snprintf(buf, size, "max");
        else
                snprintf(buf, size, "%" PRIi64, v);
        return buf;
}

/* cpu.max holds both values in one file, where v1 has cfs_quota_us and cfs_period_us apart: an update of
 * one must keep the other. The kernel's cpu_max_write() starts from the group's current period, so
 * "QUOTA" alone keeps it; a period alone needs the current quota written back, from current (cpu.max's
 * contents). runc's fs2 setCPU (opencontainers/runc:vendor/github.com/opencontainers/cgroups/fs2/cpu.go)
 * writes the default period when none is given and leans on `runc update` merging the saved config
 * instead, which a caller without one (the shim) would not have. A quota of 0 is none, as in runc. */
int cgroup_format_cpu_max(
        bool has_quota, int64_t quota, uint64_t period, const char *current, char *buf, size_t size) {
        char kept[24] = "max";
        int n;

        has_quota = has_quota && quota != 0;
        if (!has_quota && period == 0)
                return -EINVAL;
        if (!has_quota && current) {
                size_t len = strcspn(current, " \n");

                if (len == 0 || len >= sizeof(kept) ||
                    !((len == 3 && strncmp(current, "max", 3) == 0) || strspn(current, "0123456789") == len))
                        return -EBADMSG;
                memcpy(kept, current, len);
                kept[len] = '\0';
        }
        if (has_quota && quota > 0)
                snprintf(kept, sizeof(kept), "%" PRIi64, quota);
        else if (has_quota)
                strcpy(kept, "max");
        n = period == 0 ? snprintf(buf, size, "%s", kept) : snprintf(buf, size, "%s %" PRIu64, kept, period);
        return n < 0 || (size_t) n >= size ? -ENOBUFS : 0;
}
