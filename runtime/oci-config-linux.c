/* "linux": config-linux.md, but for seccomp and resources, which have their own files. */

#include <inttypes.h>
#include <sys/stat.h>

#include "oci-config-internal.h"

/* (uid_t) -1 means "unchanged" to chown() and setresuid(). */
#define ID_MAX (UINT32_MAX - 1)
/* The kernel's dev_t: 12 bits of major, 20 of minor (include/linux/kdev_t.h). */
#define DEVICE_MAJOR_MAX 4095
#define DEVICE_MINOR_MAX 1048575

static int parse_namespace(JsonCtx *c, json_t *v, void *item) {
        _cleanup_free_ char *type = NULL;
        OciNamespace *ns = item;
        int r;

        r = json_ctx_expect(c, v, JSON_OBJECT);
        if (r < 0)
                return r;
        r = json_ctx_string(c, v, "type", JSON_F_REQUIRED, &type);
        if (r < 0)
                return r;
        ns->type = oci_namespace_type_from_string(type);
        if (ns->type < 0) {
                json_ctx_push_key(c, "type");
                return json_ctx_error(c, "unknown namespace type '%.200s'", type);
        }
        return json_ctx_string(c, v, "path", JSON_F_ABSOLUTE, &ns->path);
}

static void namespace_done(void *item) {
        OciNamespace *ns = item;

        free(ns->path);
        ns->path = NULL;
}

/* config-linux.md: duplicated namespace types MUST be an error. */
static int check_namespaces(JsonCtx *c, const OciConfig *config) {
        unsigned seen = 0;

        for (size_t i = 0; i < config->n_namespaces; i++) {
                unsigned bit = 1U << config->namespaces[i].type;

                if (seen & bit) {
                        json_ctx_push_key(c, "namespaces");
                        json_ctx_push_index(c, i);
                        json_ctx_push_key(c, "type");
                        return json_ctx_error(c,
                                              "duplicate namespace type '%s'",
                                              oci_namespace_type_to_string(config->namespaces[i].type));
                }
                seen |= bit;
        }
        return 0;
}

int oci_parse_id_mapping(JsonCtx *c, json_t *v, void *item) {
        OciIdMapping *m = item;
        uint64_t container_id, host_id, size;
        int r;

        r = json_ctx_expect(c, v, JSON_OBJECT);
        if (r < 0)
                return r;
        r = json_ctx_uint(c, v, "containerID", JSON_F_REQUIRED, UINT32_MAX, &container_id);
        if (r < 0)
                return r;
        r = json_ctx_uint(c, v, "hostID", JSON_F_REQUIRED, UINT32_MAX, &host_id);
        if (r < 0)
                return r;
        r = json_ctx_uint(c, v, "size", JSON_F_REQUIRED, UINT32_MAX, &size);
        if (r < 0)
                return r;
        /* The kernel refuses these in uid_map with a bare EINVAL; say which. */
        if (size == 0) {
                json_ctx_push_key(c, "size");
                return json_ctx_error(c, "must be at least 1");
        }
        if (container_id + size - 1 > UINT32_MAX || host_id + size - 1 > UINT32_MAX)
                return json_ctx_error(c,
                                      "%s + size runs past 4294967295",
                                      container_id + size - 1 > UINT32_MAX ? "containerID" : "hostID");
        *m = (OciIdMapping){.container_id = container_id, .host_id = host_id, .size = size};
        return 0;
}

int oci_parse_id_mappings(JsonCtx *c,
                          json_t *v,
                          OciIdMapping **ret_uid,
                          size_t *ret_n_uid,
                          OciIdMapping **ret_gid,
                          size_t *ret_n_gid) {
        int r;

        r = json_ctx_array(c,
                           v,
                           "uidMappings",
                           0,
                           sizeof(OciIdMapping),
                           oci_parse_id_mapping,
                           json_item_done_nop,
                           (void **) ret_uid,
                           ret_n_uid);
        if (r < 0)
                return r;
        return json_ctx_array(c,
                              v,
                              "gidMappings",
                              0,
                              sizeof(OciIdMapping),
                              oci_parse_id_mapping,
                              json_item_done_nop,
                              (void **) ret_gid,
                              ret_n_gid);
}

static int parse_mappings(JsonCtx *c, json_t *v, OciConfig *config) {
        int r;

        r = oci_parse_id_mappings(c,
                                  v,
                                  &config->uid_mappings,
                                  &config->n_uid_mappings,
                                  &config->gid_mappings,
                                  &config->n_gid_mappings);
        if (r < 0)
                return r;
        if ((config->n_uid_mappings > 0 || config->n_gid_mappings > 0) &&
            !oci_config_get_namespace(config, OCI_NAMESPACE_USER)) {
                json_ctx_push_key(c, config->n_uid_mappings > 0 ? "uidMappings" : "gidMappings");
                return json_ctx_error(c, "given, but linux.namespaces has no user namespace");
        }
        return 0;
}

static int parse_time_offset(JsonCtx *c, json_t *v, void *item) {
        OciTimeOffset *t = item;
        uint64_t nanosecs = 0; /* optional: json_ctx_uint() leaves it alone when absent */
        int r;

        r = json_ctx_int(c, v, "secs", 0, INT64_MIN, INT64_MAX, &t->secs);
        if (r < 0)
                return r;
        r = json_ctx_uint(c, v, "nanosecs", 0, 999999999, &nanosecs);
        if (r < 0)
                return r;
        t->nanosecs = (uint32_t) nanosecs;
        t->set = true;
        return 0;
}

static int parse_time_offsets(JsonCtx *c, json_t *v, void *item) {
        OciConfig *config = item;
        int r;

        r = json_ctx_object(c, v, "boottime", 0, parse_time_offset, &config->time_offset_boottime);
        if (r < 0)
                return r;
        r = json_ctx_object(c, v, "monotonic", 0, parse_time_offset, &config->time_offset_monotonic);
        return r < 0 ? r : 0;
}

static int device_type_from_string(const char *s, mode_t *ret) {
        if (!s || s[0] == '\0' || s[1] != '\0')
                return -EINVAL;
        switch (s[0]) {
        case 'c':
        case 'u':
                *ret = S_IFCHR;
                return 0;
        case 'b':
                *ret = S_IFBLK;
                return 0;
        case 'p':
                *ret = S_IFIFO;
                return 0;
        }
        return -EINVAL;
}

static int parse_device_ids(JsonCtx *c, json_t *v, OciDevice *d) {
        JsonFlags required = d->type == S_IFIFO ? 0 : JSON_F_REQUIRED;
        uint64_t x;
        int r;

        r = json_ctx_int(c, v, "major", required, 0, DEVICE_MAJOR_MAX, &d->major);
        if (r < 0)
                return r;
        r = json_ctx_int(c, v, "minor", required, 0, DEVICE_MINOR_MAX, &d->minor);
        if (r < 0)
                return r;
        r = json_ctx_uint(c, v, "fileMode", 0, 07777, &x);
        if (r < 0)
                return r;
        d->has_file_mode = r > 0;
        d->file_mode = (mode_t) x;
        r = json_ctx_uint(c, v, "uid", 0, ID_MAX, &x);
        if (r < 0)
                return r;
        d->has_uid = r > 0;
        d->uid = (uid_t) x;
        r = json_ctx_uint(c, v, "gid", 0, ID_MAX, &x);
        if (r < 0)
                return r;
        d->has_gid = r > 0;
        d->gid = (gid_t) x;
        return 0;
}

static int parse_device(JsonCtx *c, json_t *v, void *item) {
        _cleanup_free_ char *type = NULL;
        OciDevice *d = item;
        int r;

        r = json_ctx_expect(c, v, JSON_OBJECT);
        if (r < 0)
                return r;
        r = json_ctx_string(c, v, "type", JSON_F_REQUIRED, &type);
        if (r < 0)
                return r;
        if (device_type_from_string(type, &d->type) < 0) {
                json_ctx_push_key(c, "type");
                return json_ctx_error(c, "unknown device type '%.200s', expected c, b, u or p", type);
        }
        r = json_ctx_string(c, v, "path", JSON_F_REQUIRED | JSON_F_ABSOLUTE, &d->path);
        if (r < 0)
                return r;
        return parse_device_ids(c, v, d);
}

static void device_done(void *item) {
        OciDevice *d = item;

        free(d->path);
        d->path = NULL;
}

static int parse_rootfs_propagation(JsonCtx *c, json_t *v, OciConfig *config) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = json_ctx_string(c, v, "rootfsPropagation", 0, &s);
        if (r <= 0)
                return r;
        /* The spec lists private, shared, slave, unbindable; runc and crun also take the r* forms. */
        if (mount_propagation_from_string(
                    s, &config->rootfs_propagation, &config->rootfs_propagation_recursive) < 0) {
                json_ctx_push_key(c, "rootfsPropagation");
                return json_ctx_error(c, "unknown propagation '%.200s'", s);
        }
        return 0;
}

static int parse_namespaces(JsonCtx *c, json_t *v, OciConfig *config) {
        int r;

        r = json_ctx_array(c,
                           v,
                           "namespaces",
                           0,
                           sizeof(OciNamespace),
                           parse_namespace,
                           namespace_done,
                           (void **) &config->namespaces,
                           &config->n_namespaces);
        if (r < 0)
                return r;
        return check_namespaces(c, config);
}

static int parse_paths(JsonCtx *c, json_t *v, OciConfig *config) {
        int r;

        r = json_ctx_strv(c, v, "maskedPaths", JSON_F_ABSOLUTE, &config->masked_paths);
        if (r < 0)
                return r;
        r = json_ctx_strv(c, v, "readonlyPaths", JSON_F_ABSOLUTE, &config->readonly_paths);
        if (r < 0)
                return r;
        r = json_ctx_string(c, v, "cgroupsPath", 0, &config->cgroups_path);
        return r < 0 ? r : 0;
}

int oci_parse_linux(JsonCtx *c, json_t *v, void *item) {
        OciConfig *config = item;
        int r;

        r = parse_namespaces(c, v, config);
        if (r < 0)
                return r;
        r = parse_mappings(c, v, config);
        if (r < 0)
                return r;
        r = json_ctx_object(c, v, "timeOffsets", 0, parse_time_offsets, config);
        if (r < 0)
                return r;
        r = json_ctx_array(c,
                           v,
                           "devices",
                           0,
                           sizeof(OciDevice),
                           parse_device,
                           device_done,
                           (void **) &config->devices,
                           &config->n_devices);
        if (r < 0)
                return r;
        r = parse_paths(c, v, config);
        if (r < 0)
                return r;
        r = json_ctx_map(c, v, "sysctl", 0, &config->sysctl, &config->n_sysctl);
        if (r < 0)
                return r;
        r = parse_rootfs_propagation(c, v, config);
        if (r < 0)
                return r;
        r = json_ctx_object(c, v, "seccomp", 0, oci_parse_seccomp, &config->seccomp);
        if (r < 0)
                return r;
        r = json_ctx_object(c, v, "resources", 0, oci_parse_resources, &config->resources);
        return r < 0 ? r : 0;
}

void oci_linux_done(OciConfig *config) {
        for (size_t i = 0; i < config->n_namespaces; i++)
                namespace_done(&config->namespaces[i]);
        free(config->namespaces);
        free(config->uid_mappings);
        free(config->gid_mappings);
        for (size_t i = 0; i < config->n_devices; i++)
                device_done(&config->devices[i]);
        free(config->devices);
        strv_free(config->masked_paths);
        strv_free(config->readonly_paths);
        oci_key_values_free(config->sysctl, config->n_sysctl);
        free(config->cgroups_path);
        oci_seccomp_free(config->seccomp);
        oci_resources_free(config->resources);
}
