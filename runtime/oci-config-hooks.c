/* "hooks": config.md "POSIX-platform Hooks". */

#include <limits.h>

#include "oci-config-internal.h"

static void hook_done(void *item) {
        OciHook *h = item;

        free(h->path);
        strv_free(h->args);
        strv_free(h->env);
        *h = (OciHook){};
}

static int parse_hook(JsonCtx *c, json_t *v, void *item) {
        OciHook *h = item;
        int64_t timeout;
        int r;

        r = json_ctx_expect(c, v, JSON_OBJECT);
        if (r < 0)
                return r;
        r = json_ctx_string(c, v, "path", JSON_F_REQUIRED | JSON_F_ABSOLUTE, &h->path);
        if (r < 0)
                return r;
        r = json_ctx_strv(c, v, "args", 0, &h->args);
        if (r < 0)
                return r;
        r = json_ctx_strv(c, v, "env", 0, &h->env);
        if (r < 0)
                return r;
        r = json_ctx_int(c, v, "timeout", 0, 1, INT_MAX, &timeout);
        if (r < 0)
                return r;
        h->timeout = r > 0 ? (int) timeout : 0;
        return 0;
}

int oci_parse_hooks(JsonCtx *c, json_t *v, void *item) {
        OciHookList *hooks = item;
        int r;

        for (OciHookKind k = 0; k < _OCI_HOOK_KIND_MAX; k++) {
                r = json_ctx_array(c,
                                   v,
                                   oci_hook_kind_to_string(k),
                                   0,
                                   sizeof(OciHook),
                                   parse_hook,
                                   hook_done,
                                   (void **) &hooks[k].hooks,
                                   &hooks[k].n_hooks);
                if (r < 0)
                        return r;
        }
        return 0;
}

void oci_hooks_done(OciHookList *hooks) {
        for (OciHookKind k = 0; k < _OCI_HOOK_KIND_MAX; k++) {
                for (size_t i = 0; i < hooks[k].n_hooks; i++)
                        hook_done(&hooks[k].hooks[i]);
                free(hooks[k].hooks);
                hooks[k] = (OciHookList){};
        }
}
