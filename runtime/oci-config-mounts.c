/* "mounts": config.md "Mounts", "Linux mount options", "POSIX-platform Mounts", with the uidMappings and
 * gidMappings of an idmapped mount. */

#include <string.h>
#include <sys/mount.h>

#include "oci-config-internal.h"

/* Both or neither, as runc (libcontainer/configs/validate checkIDMapMounts) and crun have them; and, as in
 * runc, on bind mounts only: an idmapped mount is a detached clone of its source with MOUNT_ATTR_IDMAP. */
static int parse_mount_mappings(JsonCtx *c, json_t *v, OciMount *m) {
        int r;

        r = oci_parse_id_mappings(
                c, v, &m->uid_mappings, &m->n_uid_mappings, &m->gid_mappings, &m->n_gid_mappings);
        if (r < 0)
                return r;
        if ((m->n_uid_mappings > 0) != (m->n_gid_mappings > 0)) {
                json_ctx_push_key(c, m->n_uid_mappings > 0 ? "uidMappings" : "gidMappings");
                return json_ctx_error(
                        c, "an idmapped mount needs both uidMappings and gidMappings, or neither");
        }
        if (oci_mount_is_idmapped(m) && !oci_mount_is_bind(m))
                return json_ctx_error(c,
                                      "an idmapped mount (idmap, ridmap, uidMappings) must be a bind mount");
        return 0;
}

int oci_parse_mount(JsonCtx *c, json_t *v, void *item) {
        OciMount *m = item;
        int r;

        r = json_ctx_expect(c, v, JSON_OBJECT);
        if (r < 0)
                return r;
        /* config-linux.md allows a relative destination, deprecated, "relative to /"; we do not. */
        r = json_ctx_string(c, v, "destination", JSON_F_REQUIRED | JSON_F_ABSOLUTE, &m->destination);
        if (r < 0)
                return r;
        r = json_ctx_string(c, v, "type", 0, &m->type);
        if (r < 0)
                return r;
        r = json_ctx_string(c, v, "source", 0, &m->source);
        if (r < 0)
                return r;
        r = json_ctx_strv(c, v, "options", 0, &m->options);
        if (r < 0)
                return r;
        r = mount_options_parse(m->options, &m->parsed);
        if (r < 0)
                return r;
        if ((m->parsed.flags & MS_BIND) && !m->source)
                return json_ctx_error(c, "a bind mount needs a source");
        return parse_mount_mappings(c, v, m);
}

bool oci_mount_is_bind(const OciMount *m) {
        return (m->parsed.flags & MS_BIND) || (m->type && strcmp(m->type, "bind") == 0);
}

bool oci_mount_is_idmapped(const OciMount *m) {
        return (m->parsed.extra & (MOUNT_EXTRA_IDMAP | MOUNT_EXTRA_RIDMAP)) || m->n_uid_mappings > 0 ||
               m->n_gid_mappings > 0;
}

void oci_mount_done(void *item) {
        OciMount *m = item;

        free(m->destination);
        free(m->type);
        free(m->source);
        strv_free(m->options);
        mount_options_done(&m->parsed);
        free(m->uid_mappings);
        free(m->gid_mappings);
        *m = (OciMount){};
}
