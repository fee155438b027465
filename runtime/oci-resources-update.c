/* The resources an update builds on, and what it writes (oci-resources-update.h). */

#include <errno.h>
#include <stdbool.h>

#include "json-locate.h"
#include "macro.h"
#include "oci-resources-update.h"

int oci_resources_of_config(const char *buf, size_t len, json_t **ret) {
        static const JsonPathItem path[] = {{.key = "linux"}, {.key = "resources"}};
        json_error_t error;
        JsonSpan span;
        json_t *j;
        int r;

        /* Only the subtree: the rest of a config may hold numbers jansson's integers cannot
         * (RLIM_INFINITY in process.rlimits), which the config parser reads from the text instead. */
        r = json_locate(buf, len, path, ELEMENTSOF(path), &span);
        if (r == -ENOENT) {
                j = json_object();
                if (!j)
                        return -ENOMEM;
                *ret = j;
                return 0;
        }
        if (r < 0)
                return r;
        j = json_loadb(buf + span.offset, span.length, JSON_DECODE_ANY, &error);
        if (!j)
                return json_error_code(&error) == json_error_numeric_overflow ? -ERANGE : -EINVAL;
        if (json_is_null(j)) {
                json_decref(j);
                j = json_object();
                if (!j)
                        return -ENOMEM;
        }
        if (!json_is_object(j)) {
                json_decref(j);
                return -EINVAL;
        }
        *ret = j;
        return 0;
}

/* Merges src into dst, objects member by member (deep copies, so that dst shares nothing with src). */
static int merge_into(json_t *dst, json_t *src) {
        const char *key;
        json_t *v;

        json_object_foreach(src, key, v) {
                json_t *d = json_object_get(dst, key);

                if (json_is_object(v) && json_is_object(d)) {
                        int r = merge_into(d, v);

                        if (r < 0)
                                return r;
                        continue;
                }
                if (json_object_set_new(dst, key, json_deep_copy(v)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static json_t *member(json_t *o, const char *section, const char *key) {
        return json_object_get(json_object_get(o, section), key);
}

/* A number given and not 0, as runc reads a quota or period ("both values are either set or unset (0)"). */
static bool nonzero(json_t *v) {
        return json_is_number(v) && json_number_value(v) != 0;
}

/* Sets section.key in o to a copy of v (o's section made if missing). */
static int set_member(json_t *o, const char *section, const char *key, json_t *v) {
        json_t *s = json_object_get(o, section);

        if (!json_is_object(s)) {
                s = json_object();
                if (!s || json_object_set_new(o, section, s) < 0)
                        return -ENOMEM;
        }
        return json_object_set_new(s, key, json_deep_copy(v)) < 0 ? -ENOMEM : 0;
}

/* One of a pair given alone: the other from stored, if it has one. */
static int add_partner(json_t *apply,
                       json_t *stored,
                       const char *section,
                       const char *a,
                       const char *b,
                       bool (*given)(json_t *)) {
        bool has_a = given(member(apply, section, a)), has_b = given(member(apply, section, b));

        if (has_a == has_b)
                return 0;
        if (has_a && given(member(stored, section, b)))
                return set_member(apply, section, b, member(stored, section, b));
        if (has_b && given(member(stored, section, a)))
                return set_member(apply, section, a, member(stored, section, a));
        return 0;
}

static bool is_number(json_t *v) {
        return json_is_number(v);
}

int oci_resources_update_merge(json_t *stored, json_t *update, json_t **ret_merged, json_t **ret_apply) {
        json_auto_t *apply = NULL, *merged = NULL, *unlimited = NULL;
        json_t *swap;
        int r;

        if (!json_is_object(update))
                return -EINVAL;
        apply = json_deep_copy(update);
        merged = stored ? json_deep_copy(stored) : json_object();
        if (!apply || !merged)
                return -ENOMEM;
        /* runc's fix-up: memory -1 without a swap would leave a swap limit below it, which v1 refuses */
        swap = member(stored, "memory", "swap");
        if (json_is_number(member(update, "memory", "limit")) &&
            json_number_value(member(update, "memory", "limit")) == -1 &&
            !member(update, "memory", "swap") && json_is_number(swap) && json_number_value(swap) != -1) {
                unlimited = json_integer(-1);
                if (!unlimited)
                        return -ENOMEM;
                r = set_member(apply, "memory", "swap", unlimited);
                if (r < 0)
                        return r;
        }
        if ((r = add_partner(apply, stored, "cpu", "quota", "period", nonzero)) < 0 ||
            (r = add_partner(apply, stored, "memory", "limit", "swap", is_number)) < 0)
                return r;
        r = merge_into(merged, apply);
        if (r < 0)
                return r;
        *ret_merged = TAKE_PTR(merged);
        *ret_apply = TAKE_PTR(apply);
        return 0;
}
