/* "process": config.md "Process", "POSIX process", "Linux Process", "User". */

#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "capability-names.h"
#include "oci-config-internal.h"
#include "rlimit-names.h"

/* (uid_t) -1 tells setresuid() to change nothing: the process would keep running as root. */
#define ID_MAX (UINT32_MAX - 1)

static int parse_console_size(JsonCtx *c, json_t *v, void *item) {
        OciProcess *p = item;
        uint64_t height, width;
        int r;

        r = json_ctx_uint(c, v, "height", JSON_F_REQUIRED, USHRT_MAX, &height);
        if (r < 0)
                return r;
        r = json_ctx_uint(c, v, "width", JSON_F_REQUIRED, USHRT_MAX, &width);
        if (r < 0)
                return r;
        p->has_console_size = true;
        p->console_height = (unsigned short) height;
        p->console_width = (unsigned short) width;
        return 0;
}

static int parse_gid(JsonCtx *c, json_t *v, void *item) {
        uint64_t gid;
        int r;

        r = json_ctx_uint_value(c, v, ID_MAX, &gid);
        if (r < 0)
                return r;
        *(gid_t *) item = (gid_t) gid;
        return 0;
}

static int parse_user(JsonCtx *c, json_t *v, void *item) {
        OciUser *u = item;
        uint64_t x;
        int r;

        /* config.md calls uid and gid REQUIRED, the schema does not; runc and crun take 0 for absent. */
        r = json_ctx_uint(c, v, "uid", 0, ID_MAX, &x);
        if (r < 0)
                return r;
        u->uid = r > 0 ? (uid_t) x : 0;
        r = json_ctx_uint(c, v, "gid", 0, ID_MAX, &x);
        if (r < 0)
                return r;
        u->gid = r > 0 ? (gid_t) x : 0;
        r = json_ctx_uint(c, v, "umask", 0, 0777, &x);
        if (r < 0)
                return r;
        u->has_umask = r > 0;
        u->umask = r > 0 ? (mode_t) x : 0;
        r = json_ctx_array(c,
                           v,
                           "additionalGids",
                           0,
                           sizeof(gid_t),
                           parse_gid,
                           json_item_done_nop,
                           (void **) &u->additional_gids,
                           &u->n_additional_gids);
        return r < 0 ? r : 0;
}

static int capability_set_parse(JsonCtx *c, char **names, uint64_t *ret) {
        uint64_t set = 0;

        for (size_t i = 0; names[i]; i++) {
                int cap = capability_from_name(names[i]);

                if (cap < 0) {
                        json_ctx_push_index(c, i);
                        return json_ctx_error(c, "unknown capability '%.200s'", names[i]);
                }
                set |= UINT64_C(1) << cap;
        }
        *ret = set;
        return 0;
}

static int parse_capabilities(JsonCtx *c, json_t *v, void *item) {
        OciProcess *p = item;
        int r;

        for (OciCapabilitySet s = 0; s < _OCI_CAPABILITY_SET_MAX; s++) {
                _cleanup_(strv_freep) char **names = NULL;
                const char *key = oci_capability_set_to_string(s);

                r = json_ctx_strv(c, v, key, 0, &names);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                json_ctx_push_key(c, key);
                r = capability_set_parse(c, names, &p->capabilities.sets[s]);
                json_ctx_pop(c);
                if (r < 0)
                        return r;
                p->capabilities.given |= 1U << s;
        }
        p->has_capabilities = true;
        return 0;
}

static int parse_rlimit(JsonCtx *c, json_t *v, void *item) {
        _cleanup_free_ char *type = NULL;
        OciRlimit *l = item;
        int r;

        r = json_ctx_expect(c, v, JSON_OBJECT);
        if (r < 0)
                return r;
        r = json_ctx_string(c, v, "type", JSON_F_REQUIRED, &type);
        if (r < 0)
                return r;
        l->resource = rlimit_from_name(type);
        if (l->resource < 0) {
                json_ctx_push_key(c, "type");
                return json_ctx_error(c, "unknown rlimit '%.200s'", type);
        }
        r = json_ctx_uint(c, v, "soft", JSON_F_REQUIRED, UINT64_MAX, &l->soft);
        if (r < 0)
                return r;
        r = json_ctx_uint(c, v, "hard", JSON_F_REQUIRED, UINT64_MAX, &l->hard);
        if (r < 0)
                return r;
        if (l->soft > l->hard)
                return json_ctx_error(
                        c, "soft limit %" PRIu64 " is above hard limit %" PRIu64, l->soft, l->hard);
        return 0;
}

/* config.md: "If rlimits contains duplicated entries with same type, the runtime MUST generate an error." */
static int check_rlimits(JsonCtx *c, const OciProcess *p) {
        uint64_t seen = 0;

        for (size_t i = 0; i < p->n_rlimits; i++) {
                uint64_t bit = UINT64_C(1) << p->rlimits[i].resource;

                if (seen & bit) {
                        json_ctx_push_key(c, "rlimits");
                        json_ctx_push_index(c, i);
                        json_ctx_push_key(c, "type");
                        return json_ctx_error(
                                c, "duplicate rlimit '%s'", rlimit_to_name(p->rlimits[i].resource));
                }
                seen |= bit;
        }
        return 0;
}

static int check_args_env(JsonCtx *c, const OciProcess *p) {
        if (p->args[0][0] == '\0') {
                json_ctx_push_key(c, "args");
                json_ctx_push_index(c, 0);
                return json_ctx_error(c, "must not be empty");
        }
        for (size_t i = 0; p->env && p->env[i]; i++) {
                const char *eq = strchr(p->env[i], '=');

                if (!eq || eq == p->env[i]) {
                        json_ctx_push_key(c, "env");
                        json_ctx_push_index(c, i);
                        return json_ctx_error(c, "expected NAME=VALUE, got '%.200s'", p->env[i]);
                }
        }
        return 0;
}

static int parse_process_fields(JsonCtx *c, json_t *v, OciProcess *p) {
        int64_t oom;
        int r;

        r = json_ctx_bool(c, v, "terminal", 0, &p->terminal);
        if (r < 0)
                return r;
        r = json_ctx_object(c, v, "consoleSize", 0, parse_console_size, p);
        if (r < 0)
                return r;
        r = json_ctx_object(c, v, "user", 0, parse_user, &p->user);
        if (r < 0)
                return r;
        r = json_ctx_strv(c, v, "args", JSON_F_REQUIRED | JSON_F_NONEMPTY, &p->args);
        if (r < 0)
                return r;
        r = json_ctx_strv(c, v, "env", 0, &p->env);
        if (r < 0)
                return r;
        r = check_args_env(c, p);
        if (r < 0)
                return r;
        r = json_ctx_string(c, v, "cwd", JSON_F_REQUIRED | JSON_F_ABSOLUTE, &p->cwd);
        if (r < 0)
                return r;
        r = json_ctx_object(c, v, "capabilities", 0, parse_capabilities, p);
        if (r < 0)
                return r;
        r = json_ctx_array(c,
                           v,
                           "rlimits",
                           0,
                           sizeof(OciRlimit),
                           parse_rlimit,
                           json_item_done_nop,
                           (void **) &p->rlimits,
                           &p->n_rlimits);
        if (r < 0)
                return r;
        r = check_rlimits(c, p);
        if (r < 0)
                return r;
        r = json_ctx_bool(c, v, "noNewPrivileges", 0, &p->no_new_privileges);
        if (r < 0)
                return r;
        r = json_ctx_string(c, v, "apparmorProfile", 0, &p->apparmor_profile);
        if (r < 0)
                return r;
        r = json_ctx_int(c, v, "oomScoreAdj", 0, -1000, 1000, &oom);
        if (r < 0)
                return r;
        p->has_oom_score_adj = r > 0;
        p->oom_score_adj = r > 0 ? (int) oom : 0;
        return 0;
}

int oci_parse_process(JsonCtx *c, json_t *v, void *item) {
        _cleanup_(oci_process_freep) OciProcess *p = NULL;
        int r;

        p = calloc(1, sizeof(OciProcess));
        if (!p)
                return -ENOMEM;
        r = parse_process_fields(c, v, p);
        if (r < 0)
                return r;
        *(OciProcess **) item = TAKE_PTR(p);
        return 0;
}

OciProcess *oci_process_free(OciProcess *p) {
        if (!p)
                return NULL;
        free(p->user.additional_gids);
        strv_free(p->args);
        strv_free(p->env);
        free(p->cwd);
        free(p->rlimits);
        free(p->apparmor_profile);
        free(p);
        return NULL;
}
