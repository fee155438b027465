#pragma once

/* The adapter from a parsed config's linux.resources (oci-config.h) to the cgroup library's
 * CgroupResources (cgroups/cgroup.h). Pure: plain data in, plain data out. */

#include "cgroup.h"
#include "oci-config.h"

/* A CgroupResources and the arrays it points to; the strings stay the config's, which must outlive it. */
typedef struct OciCgroupResources {
        CgroupResources res;
        CgroupDeviceRule *devices;
        CgroupWeightDevice *weight_devices;
        CgroupThrottleDevice *throttle[_CGROUP_THROTTLE_MAX];
        CgroupHugepageLimit *hugepages;
        CgroupNetPriority *priorities;
        CgroupRdmaLimit *rdma;
        CgroupKeyValue *unified;
} OciCgroupResources;

typedef enum OciCgroupFlags {
        /* The device rules of a new container: the config's, then runc's default devices and every
         * linux.devices entry allowed, over a deny-all; without it (update), the config's rules only. */
        OCI_CGROUP_DEFAULT_DEVICES = 1 << 0,
} OciCgroupFlags;

/* res may be NULL (no linux.resources); devices (n_devices) are linux.devices. Returns 0 or -ENOMEM. */
int oci_cgroup_resources(const OciResources *res,
                         const OciDevice *devices,
                         size_t n_devices,
                         OciCgroupFlags flags,
                         OciCgroupResources *ret);
void oci_cgroup_resources_done(OciCgroupResources *r);
