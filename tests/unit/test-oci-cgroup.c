/* linux.resources, parsed (oci-config-resources.c) and handed to the cgroup library (oci-cgroup.c): every
 * field reaches its CgroupResources twin, the device rules come out as runc builds them, and each bad
 * value is refused with its own message naming the field. */

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "oci-cgroup.h"
#include "tap.h"

#define RESOURCES(fields)                                                                                   \
        "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"rootfs\"}, \"linux\": {\"resources\": {" fields \
        "}, \"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229}, "      \
        "{\"path\": \"/dev/fifo\", \"type\": \"p\"}]}}"

static const char full[] = RESOURCES(
        "\"memory\": {\"limit\": 33554432, \"reservation\": 16777216, \"swap\": -1, \"kernel\": 1, "
        "\"kernelTCP\": 2, \"swappiness\": 60, \"disableOOMKiller\": true, \"checkBeforeUpdate\": true}, "
        "\"cpu\": {\"shares\": 512, \"quota\": 20000, \"period\": 100000, \"burst\": 10, \"realtimeRuntime\": 5, "
        "\"realtimePeriod\": 6, \"idle\": 1, \"cpus\": \"0-1\", \"mems\": \"0\"}, "
        "\"pids\": {\"limit\": 32}, "
        "\"blockIO\": {\"weight\": 300, \"leafWeight\": 200, \"weightDevice\": [{\"major\": 8, \"minor\": 0, "
        "\"weight\": 500}], \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 1048576}], "
        "\"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 16, \"rate\": 100}]}, "
        "\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}], "
        "\"network\": {\"classID\": 1048577, \"priorities\": [{\"name\": \"eth0\", \"priority\": 5}]}, "
        "\"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3, \"hcaObjects\": 10000}}, "
        "\"unified\": {\"memory.high\": \"50000000\", \"io.weight\": \"default 100\"}, "
        "\"devices\": [{\"allow\": false, \"access\": \"rwm\"}, {\"allow\": true, \"type\": \"b\", \"major\": 7, "
        "\"minor\": 0, \"access\": \"r\"}]");

static OciConfig *parse(const char *json) {
        OciConfig *c = NULL;
        OciError err = {};
        int r;

        r = oci_config_parse(json, strlen(json), "config.json", &c, &err);
        if (!tap_ok(r == 0, "parses"))
                printf("#   %d: %s\n", r, err.message);
        return c;
}

static void test_scalars(const CgroupResources *r) {
        TAP_OK(r->has_memory_limit && r->memory_limit == 33554432);
        TAP_OK(r->has_memory_reservation && r->memory_reservation == 16777216);
        TAP_OK(r->has_memory_swap && r->memory_swap == -1);
        TAP_OK(r->has_memory_kernel && r->memory_kernel == 1);
        TAP_OK(r->has_memory_kernel_tcp && r->memory_kernel_tcp == 2);
        TAP_OK(r->has_memory_swappiness && r->memory_swappiness == 60);
        TAP_OK(r->memory_disable_oom_killer);
        TAP_OK(r->has_cpu_shares && r->cpu_shares == 512);
        TAP_OK(r->has_cpu_quota && r->cpu_quota == 20000);
        TAP_OK(r->has_cpu_period && r->cpu_period == 100000);
        TAP_OK(r->has_cpu_burst && r->cpu_burst == 10);
        TAP_OK(r->has_cpu_realtime_runtime && r->cpu_realtime_runtime == 5);
        TAP_OK(r->has_cpu_realtime_period && r->cpu_realtime_period == 6);
        TAP_OK(r->has_cpu_idle && r->cpu_idle == 1);
        TAP_EQ_STR(r->cpu_cpus, "0-1");
        TAP_EQ_STR(r->cpu_mems, "0");
        TAP_OK(r->has_pids_limit && r->pids_limit == 32);
        TAP_OK(r->has_blkio_weight && r->blkio_weight == 300);
        TAP_OK(r->has_blkio_leaf_weight && r->blkio_leaf_weight == 200);
        TAP_OK(r->has_network_class_id && r->network_class_id == 1048577);
}

static void test_lists(const CgroupResources *r) {
        TAP_EQ_INT(r->n_blkio_weight_devices, 1);
        TAP_OK(r->blkio_weight_devices[0].major == 8 && r->blkio_weight_devices[0].has_weight &&
               r->blkio_weight_devices[0].weight == 500 && !r->blkio_weight_devices[0].has_leaf_weight);
        TAP_EQ_INT(r->n_blkio_throttle[CGROUP_THROTTLE_READ_BPS], 1);
        TAP_EQ_INT(r->blkio_throttle[CGROUP_THROTTLE_READ_BPS][0].rate, 1048576);
        TAP_EQ_INT(r->n_blkio_throttle[CGROUP_THROTTLE_WRITE_BPS], 0);
        TAP_EQ_INT(r->n_blkio_throttle[CGROUP_THROTTLE_WRITE_IOPS], 1);
        TAP_EQ_INT(r->blkio_throttle[CGROUP_THROTTLE_WRITE_IOPS][0].minor, 16);
        TAP_EQ_INT(r->n_hugepage_limits, 1);
        TAP_EQ_STR(r->hugepage_limits[0].page_size, "2MB");
        TAP_EQ_INT(r->hugepage_limits[0].limit, 4194304);
        TAP_EQ_INT(r->n_network_priorities, 1);
        TAP_EQ_STR(r->network_priorities[0].interface, "eth0");
        TAP_EQ_INT(r->network_priorities[0].priority, 5);
        TAP_EQ_INT(r->n_rdma, 1);
        TAP_EQ_STR(r->rdma[0].device, "mlx5_1");
        TAP_OK(r->rdma[0].has_hca_handles && r->rdma[0].hca_handles == 3);
        TAP_OK(r->rdma[0].has_hca_objects && r->rdma[0].hca_objects == 10000);
        TAP_EQ_INT(r->n_unified, 2);
        TAP_EQ_STR(r->unified[0].key, "memory.high");
        TAP_EQ_STR(r->unified[1].value, "default 100");
}

static void test_full(void) {
        _cleanup_(oci_config_freep) OciConfig *c = parse(full);
        OciCgroupResources cr = {};
        const CgroupResources *r = &cr.res;
        const CgroupDeviceRule *d;

        if (!c)
                return;
        TAP_EQ_INT(oci_cgroup_resources(
                           c->resources, c->devices, c->n_devices, OCI_CGROUP_DEFAULT_DEVICES, &cr),
                   0);
        test_scalars(r);
        test_lists(r);
        /* The config's two rules, runc's eleven defaults, then /dev/fuse; not the FIFO. */
        TAP_OK(r->has_devices);
        TAP_EQ_INT(r->n_devices, 2 + 11 + 1);
        d = r->devices;
        TAP_OK(!d[0].allow && d[0].type == 'a' && d[0].major == -1 && d[0].minor == -1);
        TAP_EQ_STR(d[0].access, "rwm");
        TAP_OK(d[1].allow && d[1].type == 'b' && d[1].major == 7 && d[1].minor == 0);
        TAP_EQ_STR(d[1].access, "r");
        TAP_OK(d[2].allow && d[2].type == 'c' && d[2].major == -1 && d[2].minor == -1);
        TAP_EQ_STR(d[2].access, "m");
        TAP_OK(d[4].type == 'c' && d[4].major == 1 && d[4].minor == 3); /* /dev/null */
        TAP_OK(d[13].allow && d[13].type == 'c' && d[13].major == 10 && d[13].minor == 229);
        /* Everything the library checks without the host passes. */
        {
                char buf[256];
                const char *what = NULL;

                TAP_EQ_INT(cgroup_resources_check(r, buf, sizeof(buf), &what), 0);
        }
        oci_cgroup_resources_done(&cr);
        TAP_OK(cr.devices == NULL && cr.res.n_devices == 0);
}

static void test_empty(void) {
        _cleanup_(oci_config_freep) OciConfig *c = parse(RESOURCES(""));
        OciCgroupResources cr = {};

        if (!c)
                return;
        /* No limits; without the defaults flag (update) no device rules either. */
        TAP_EQ_INT(oci_cgroup_resources(c->resources, NULL, 0, 0, &cr), 0);
        TAP_OK(!cr.res.has_memory_limit && !cr.res.has_pids_limit && !cr.res.has_devices);
        TAP_EQ_INT(cr.res.n_unified, 0);
        oci_cgroup_resources_done(&cr);
        /* No linux.resources at all: still the default devices for a new container. */
        TAP_EQ_INT(oci_cgroup_resources(NULL, c->devices, c->n_devices, OCI_CGROUP_DEFAULT_DEVICES, &cr), 0);
        TAP_OK(cr.res.has_devices);
        TAP_EQ_INT(cr.res.n_devices, 11 + 1);
        TAP_OK(!cr.res.has_memory_limit);
        oci_cgroup_resources_done(&cr);
}

/* An empty devices list still replaces the rules: deny everything but the defaults. */
static void test_empty_devices(void) {
        _cleanup_(oci_config_freep) OciConfig *c = parse(RESOURCES("\"devices\": []"));
        OciCgroupResources cr = {};

        if (!c)
                return;
        TAP_OK(c->resources->has_devices);
        TAP_EQ_INT(oci_cgroup_resources(c->resources, NULL, 0, 0, &cr), 0);
        TAP_OK(cr.res.has_devices);
        TAP_EQ_INT(cr.res.n_devices, 0);
        oci_cgroup_resources_done(&cr);
}

/* What docker 20.10 sends for options not given: zeros, which runc reads as "not set". */
static void test_docker_zeros(void) {
        _cleanup_(oci_config_freep) OciConfig *c = parse(RESOURCES(
                "\"memory\": {\"limit\": 0, \"reservation\": 0, \"swap\": 0}, \"cpu\": {\"shares\": 0, "
                "\"quota\": 0, \"period\": 0, \"realtimeRuntime\": 0, \"realtimePeriod\": 0}, "
                "\"pids\": {\"limit\": 0}, \"blockIO\": {\"weight\": 0}"));
        OciCgroupResources cr = {};
        char buf[256];
        const char *what = NULL;

        if (!c)
                return;
        TAP_EQ_INT(oci_cgroup_resources(c->resources, NULL, 0, 0, &cr), 0);
        TAP_OK(!cr.res.has_memory_limit && !cr.res.has_memory_reservation && !cr.res.has_memory_swap);
        TAP_OK(!cr.res.has_cpu_shares && !cr.res.has_cpu_quota && !cr.res.has_cpu_period);
        TAP_OK(!cr.res.has_cpu_realtime_runtime && !cr.res.has_cpu_realtime_period);
        TAP_OK(!cr.res.has_pids_limit && !cr.res.has_blkio_weight);
        TAP_EQ_INT(cgroup_resources_check(&cr.res, buf, sizeof(buf), &what), 0);
        oci_cgroup_resources_done(&cr);
}

static void expect_error(const char *json, const char *message) {
        _cleanup_(oci_config_freep) OciConfig *c = NULL;
        OciError err = {};

        TAP_EQ_INT(oci_config_parse(json, strlen(json), "config.json", &c, &err), -EINVAL);
        TAP_OK(!c);
        if (!tap_ok(strstr(err.message, message) != NULL, "message has '%s'", message))
                printf("#   got: %s\n", err.message);
}

static void test_bad(void) {
        expect_error(RESOURCES("\"memory\": {\"swappiness\": 101}"),
                     "linux.resources.memory.swappiness: expected an integer in 0..100, got 101");
        expect_error(RESOURCES("\"memory\": {\"limit\": \"32m\"}"),
                     "linux.resources.memory.limit: expected an integer");
        expect_error(RESOURCES("\"pids\": {\"limit\": -5}"),
                     "linux.resources.pids.limit: expected an integer in -1..");
        expect_error(RESOURCES("\"cpu\": {\"idle\": 2}"),
                     "linux.resources.cpu.idle: expected an integer in 0..1");
        expect_error(RESOURCES("\"blockIO\": {\"weight\": 70000}"),
                     "linux.resources.blockIO.weight: expected an integer in 0..65535");
        expect_error(RESOURCES("\"blockIO\": {\"weightDevice\": [{\"major\": 8}]}"),
                     "linux.resources.blockIO.weightDevice[0].minor: missing required field");
        expect_error(RESOURCES("\"hugepageLimits\": [{\"limit\": 1}]"),
                     "linux.resources.hugepageLimits[0].pageSize: missing required field");
        expect_error(RESOURCES("\"unified\": {\"memory.max\": 5}"),
                     "linux.resources.unified[\"memory.max\"]: expected a string");
        expect_error(RESOURCES("\"rdma\": {\"mlx5_1\": 3}"),
                     "linux.resources.rdma.mlx5_1: expected an object");
        expect_error(RESOURCES("\"devices\": [{\"access\": \"rwm\"}]"),
                     "linux.resources.devices[0].allow: missing required field");
        expect_error(RESOURCES("\"devices\": [{\"allow\": true, \"type\": \"x\"}]"),
                     "linux.resources.devices[0].type: unknown device type 'x', expected a, c or b");
        expect_error(RESOURCES("\"devices\": [{\"allow\": true, \"access\": \"rwx\"}]"),
                     "linux.resources.devices[0].access: expected a non-empty subset of 'rwm', got 'rwx'");
        expect_error(RESOURCES("\"devices\": [{\"allow\": true, \"access\": \"rr\"}]"),
                     "linux.resources.devices[0].access: expected a non-empty subset of 'rwm', got 'rr'");
        expect_error(RESOURCES("\"devices\": [{\"allow\": true, \"major\": -2}]"),
                     "linux.resources.devices[0].major: expected an integer in -1..4294967295, got -2");
}

/* `tether update -r`: a resources object on its own. */
static void test_resources_parse(void) {
        static const char text[] = "{\"memory\": {\"limit\": 1048576}, \"pids\": {\"limit\": 7}}";
        _cleanup_(oci_resources_freep) OciResources *res = NULL;
        OciError err = {};

        TAP_EQ_INT(oci_resources_parse(text, strlen(text), NULL, &res, &err), 0);
        TAP_OK(res && res->has_memory_limit && res->memory_limit == 1048576 && res->pids_limit == 7);
        TAP_EQ_INT(oci_resources_parse("[1]", 3, "r.json", &res, &err), -EINVAL);
        TAP_OK(strstr(err.message, "r.json:1:1: expected an object") != NULL);
        TAP_EQ_INT(oci_resources_parse("{\"cpu\": {\"quota\": -7}}", 22, "-", &res, &err), -EINVAL);
        TAP_OK(strstr(err.message, "cpu.quota: expected an integer in -1..") != NULL);
}

int main(void) {
        test_full();
        test_empty();
        test_empty_devices();
        test_docker_zeros();
        test_bad();
        test_resources_parse();
        return tap_done();
}
