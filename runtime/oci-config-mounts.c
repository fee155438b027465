/* "mounts": config.md "Mounts", "Linux mount options", "POSIX-platform Mounts". uidMappings and gidMappings
 * of a mount (idmapped mounts) are not read yet. */

#include <string.h>
#include <sys/mount.h>

#include "oci-config-internal.h"

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
        return 0;
}

bool oci_mount_is_bind(const OciMount *m) {
        return (m->parsed.flags & MS_BIND) || (m->type && strcmp(m->type, "bind") == 0);
}

void oci_mount_done(void *item) {
        OciMount *m = item;

        free(m->destination);
        free(m->type);
        free(m->source);
        strv_free(m->options);
        mount_options_done(&m->parsed);
        *m = (OciMount){};
}
