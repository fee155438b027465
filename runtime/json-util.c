#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json-util.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))

void json_ctx_push_key(JsonCtx *c, const char *key) {
        if (c->depth < JSON_CTX_DEPTH_MAX)
                c->path[c->depth] = (JsonPathItem){.key = key};
        c->depth++;
}

void json_ctx_push_index(JsonCtx *c, size_t index) {
        if (c->depth < JSON_CTX_DEPTH_MAX)
                c->path[c->depth] = (JsonPathItem){.index = index};
        c->depth++;
}

void json_ctx_pop(JsonCtx *c) {
        if (c->depth > 0)
                c->depth--;
}

static bool key_is_plain(const char *key) {
        if (key[0] == '\0')
                return false;
        for (const char *p = key; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_'))
                        return false;
        return true;
}

/* process.args[2], annotations["org.example.key"]; truncated to fit. */
static void path_render(const JsonCtx *c, char *buf, size_t size) {
        size_t n = 0, depth = MIN(c->depth, (size_t) JSON_CTX_DEPTH_MAX);

        buf[0] = '\0';
        for (size_t i = 0; i < depth && n < size; i++) {
                const JsonPathItem *p = &c->path[i];
                int k;

                if (!p->key)
                        k = snprintf(buf + n, size - n, "[%zu]", p->index);
                else if (key_is_plain(p->key))
                        k = snprintf(buf + n, size - n, "%s%s", i > 0 ? "." : "", p->key);
                else
                        k = snprintf(buf + n, size - n, "[\"%s\"]", p->key);
                if (k < 0)
                        break;
                n += (size_t) k;
        }
}

/* User strings end up in messages; a terminal should not interpret them. */
static void sanitize(char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        *s = '?';
}

_printf_(3, 0) static int json_ctx_verror(JsonCtx *c, size_t locate_depth, const char *format, va_list ap) {
        OciError *e = c->error;
        JsonSpan span;
        int n;

        if (!e)
                return -EINVAL;
        *e = (OciError){};
        path_render(c, e->path, sizeof(e->path));
        if (c->depth <= JSON_CTX_DEPTH_MAX &&
            json_locate(c->buf, c->len, c->path, locate_depth, &span) >= 0) {
                e->line = span.line;
                e->column = span.column;
        }
        if (e->line > 0)
                n = snprintf(e->message, sizeof(e->message), "%s:%u:%u: ", c->filename, e->line, e->column);
        else
                n = snprintf(e->message, sizeof(e->message), "%s: ", c->filename);
        if (n >= 0 && (size_t) n < sizeof(e->message) && e->path[0])
                n += snprintf(e->message + n, sizeof(e->message) - n, "%s: ", e->path);
        if (n >= 0 && (size_t) n < sizeof(e->message))
                (void) vsnprintf(e->message + n, sizeof(e->message) - n, format, ap);
        sanitize(e->path);
        sanitize(e->message);
        return -EINVAL;
}

int json_ctx_error(JsonCtx *c, const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = json_ctx_verror(c, c->depth, format, ap);
        va_end(ap);
        return r;
}

static int json_ctx_error_at_parent(JsonCtx *c, const char *format, ...) _printf_(2, 3);
static int json_ctx_error_at_parent(JsonCtx *c, const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = json_ctx_verror(c, c->depth > 0 ? c->depth - 1 : 0, format, ap);
        va_end(ap);
        return r;
}

int json_ctx_error_missing(JsonCtx *c) {
        return json_ctx_error_at_parent(c, "missing required field");
}

const char *json_describe(json_t *v) {
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
                return "an integer";
        case JSON_REAL:
                return json_real_value(v) == floor(json_real_value(v)) ? "an integer" : "a number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        case JSON_NULL:
                return "null";
        }
        return "a value";
}

int json_ctx_error_type(JsonCtx *c, json_t *v, const char *what) {
        return json_ctx_error(c, "expected %s, got %s", what, json_describe(v));
}

int json_ctx_expect(JsonCtx *c, json_t *v, json_type type) {
        static const char *const names[] = {
                [JSON_OBJECT] = "an object",
                [JSON_ARRAY] = "an array",
                [JSON_STRING] = "a string",
                [JSON_INTEGER] = "an integer",
                [JSON_REAL] = "a number",
                [JSON_TRUE] = "a boolean",
                [JSON_FALSE] = "a boolean",
                [JSON_NULL] = "null",
        };

        if (json_typeof(v) == type || (type == JSON_TRUE && json_is_boolean(v)))
                return 0;
        return json_ctx_error_type(c, v, names[type]);
}

typedef struct JsonInteger {
        bool negative;
        bool overflow; /* beyond uint64 in magnitude, or not readable exactly */
        uint64_t magnitude;
        char text[40]; /* for messages */
} JsonInteger;

/* A number beyond 2^53 may not be exact in a double: read its digits from the text. */
static int json_ctx_integer_from_text(JsonCtx *c, JsonInteger *n) {
        JsonSpan span;
        const char *p;
        size_t len;
        int r;

        n->overflow = true;
        if (c->depth > JSON_CTX_DEPTH_MAX)
                return 0;
        r = json_locate(c->buf, c->len, c->path, c->depth, &span);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        p = c->buf + span.offset;
        len = span.length;
        (void) snprintf(
                n->text, sizeof(n->text), "%.*s%s", (int) MIN(len, (size_t) 32), p, len > 32 ? "..." : "");
        n->negative = len > 0 && p[0] == '-';
        n->magnitude = 0;
        for (size_t i = n->negative; i < len; i++) {
                unsigned digit = (unsigned) (p[i] - '0');

                if (digit > 9 || n->magnitude > (UINT64_MAX - digit) / 10)
                        return 0; /* 1e19 and the like stay "overflow": write such numbers out */
                n->magnitude = n->magnitude * 10 + digit;
        }
        n->overflow = len == (size_t) n->negative;
        return 0;
}

static int json_ctx_integer(JsonCtx *c, json_t *v, JsonInteger *ret) {
        JsonInteger n = {};
        double d;
        int r;

        if (!json_is_number(v))
                return json_ctx_error_type(c, v, "an integer");
        d = json_number_value(v);
        if (!isfinite(d) || d != floor(d))
                return json_ctx_error_type(c, v, "an integer");
        if (fabs(d) < 0x1p53) {
                n.negative = d < 0;
                n.magnitude = (uint64_t) fabs(d);
                (void) snprintf(n.text, sizeof(n.text), "%s%" PRIu64, n.negative ? "-" : "", n.magnitude);
        } else {
                r = json_ctx_integer_from_text(c, &n);
                if (r < 0)
                        return r;
        }
        *ret = n;
        return 0;
}

int json_ctx_uint_value(JsonCtx *c, json_t *v, uint64_t max, uint64_t *ret) {
        JsonInteger n;
        int r;

        r = json_ctx_integer(c, v, &n);
        if (r < 0)
                return r;
        if (n.overflow || (n.negative && n.magnitude > 0) || n.magnitude > max)
                return json_ctx_error(c, "expected an integer in 0..%" PRIu64 ", got %s", max, n.text);
        *ret = n.magnitude;
        return 0;
}

int json_ctx_int_value(JsonCtx *c, json_t *v, int64_t min, int64_t max, int64_t *ret) {
        JsonInteger n;
        int64_t value;
        int r;

        r = json_ctx_integer(c, v, &n);
        if (r < 0)
                return r;
        if (n.overflow || n.magnitude > (n.negative ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX))
                value = n.negative ? INT64_MIN : INT64_MAX; /* out of any range we check */
        else if (n.negative)
                value = n.magnitude == 0 ? 0 : -(int64_t) (n.magnitude - 1) - 1;
        else
                value = (int64_t) n.magnitude;
        if (n.overflow || value < min || value > max)
                return json_ctx_error(
                        c, "expected an integer in %" PRId64 "..%" PRId64 ", got %s", min, max, n.text);
        *ret = value;
        return 0;
}

int json_ctx_string_value(JsonCtx *c, json_t *v, JsonFlags flags, char **ret) {
        const char *s;
        char *copy;

        if (!json_is_string(v))
                return json_ctx_error_type(c, v, "a string");
        s = json_string_value(v);
        if ((flags & JSON_F_NONEMPTY) && s[0] == '\0')
                return json_ctx_error(c, "must not be empty");
        if ((flags & JSON_F_ABSOLUTE) && s[0] != '/')
                return json_ctx_error(c, "expected an absolute path, got '%.200s'", s);
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}

/* obj[key], with key on the path: 0 if absent or null, 1 if present, or an error. */
static int json_ctx_member(JsonCtx *c, json_t *obj, const char *key, JsonFlags flags, json_t **ret) {
        json_t *v = json_object_get(obj, key);

        if (!v || json_is_null(v))
                return (flags & JSON_F_REQUIRED) ? json_ctx_error_missing(c) : 0;
        *ret = v;
        return 1;
}

static int string_member(JsonCtx *c, json_t *obj, const char *key, JsonFlags flags, char **ret) {
        json_t *v = NULL;
        int r;

        r = json_ctx_member(c, obj, key, flags, &v);
        if (r <= 0)
                return r;
        r = json_ctx_string_value(c, v, flags, ret);
        return r < 0 ? r : 1;
}

int json_ctx_string(JsonCtx *c, json_t *obj, const char *key, JsonFlags flags, char **ret) {
        int r;

        json_ctx_push_key(c, key);
        r = string_member(c, obj, key, flags, ret);
        json_ctx_pop(c);
        return r;
}

static int bool_member(JsonCtx *c, json_t *obj, const char *key, JsonFlags flags, bool *ret) {
        json_t *v = NULL;
        int r;

        r = json_ctx_member(c, obj, key, flags, &v);
        if (r <= 0)
                return r;
        if (!json_is_boolean(v))
                return json_ctx_error_type(c, v, "a boolean");
        *ret = json_is_true(v);
        return 1;
}

int json_ctx_bool(JsonCtx *c, json_t *obj, const char *key, JsonFlags flags, bool *ret) {
        int r;

        json_ctx_push_key(c, key);
        r = bool_member(c, obj, key, flags, ret);
        json_ctx_pop(c);
        return r;
}

int json_ctx_uint(JsonCtx *c, json_t *obj, const char *key, JsonFlags flags, uint64_t max, uint64_t *ret) {
        json_t *v = NULL;
        int r;

        json_ctx_push_key(c, key);
        r = json_ctx_member(c, obj, key, flags, &v);
        if (r > 0) {
                uint64_t u;

                r = json_ctx_uint_value(c, v, max, &u);
                if (r >= 0) {
                        *ret = u;
                        r = 1;
                }
        }
        json_ctx_pop(c);
        return r;
}

int json_ctx_int(
        JsonCtx *c, json_t *obj, const char *key, JsonFlags flags, int64_t min, int64_t max, int64_t *ret) {
        json_t *v = NULL;
        int r;

        json_ctx_push_key(c, key);
        r = json_ctx_member(c, obj, key, flags, &v);
        if (r > 0) {
                int64_t i;

                r = json_ctx_int_value(c, v, min, max, &i);
                if (r >= 0) {
                        *ret = i;
                        r = 1;
                }
        }
        json_ctx_pop(c);
        return r;
}

char **strv_free(char **l) {
        for (char **p = l; p && *p; p++)
                free(*p);
        free(l);
        return NULL;
}

static int strv_member(JsonCtx *c, json_t *obj, const char *key, JsonFlags flags, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        json_t *a = NULL;
        size_t n;
        int r;

        r = json_ctx_member(c, obj, key, flags, &a);
        if (r <= 0)
                return r;
        if (!json_is_array(a))
                return json_ctx_error_type(c, a, "an array of strings");
        n = json_array_size(a);
        if (n == 0 && (flags & JSON_F_NONEMPTY))
                return json_ctx_error(c, "must have at least one element");
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_ctx_push_index(c, i);
                r = json_ctx_string_value(c, json_array_get(a, i), flags & JSON_F_ABSOLUTE, &l[i]);
                json_ctx_pop(c);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 1;
}

int json_ctx_strv(JsonCtx *c, json_t *obj, const char *key, JsonFlags flags, char ***ret) {
        int r;

        json_ctx_push_key(c, key);
        r = strv_member(c, obj, key, flags, ret);
        json_ctx_pop(c);
        return r;
}

void oci_key_values_free(OciKeyValue *kv, size_t n) {
        for (size_t i = 0; kv && i < n; i++) {
                free(kv[i].key);
                free(kv[i].value);
        }
        free(kv);
}

static int map_entries(JsonCtx *c, json_t *o, OciKeyValue *kv) {
        const char *key;
        json_t *v = NULL;
        size_t i = 0;
        int r;

        json_object_foreach(o, key, v) {
                json_ctx_push_key(c, key);
                if (key[0] == '\0')
                        r = json_ctx_error(c, "keys must not be empty");
                else
                        r = json_ctx_string_value(c, v, 0, &kv[i].value);
                json_ctx_pop(c);
                if (r < 0)
                        return r;
                kv[i].key = strdup(key);
                if (!kv[i].key)
                        return -ENOMEM;
                i++;
        }
        return 0;
}

static int
map_member(JsonCtx *c, json_t *obj, const char *key, JsonFlags flags, OciKeyValue **ret, size_t *ret_n) {
        OciKeyValue *kv;
        json_t *o = NULL;
        size_t n;
        int r;

        r = json_ctx_member(c, obj, key, flags, &o);
        if (r <= 0)
                return r;
        if (!json_is_object(o))
                return json_ctx_error_type(c, o, "an object of strings");
        n = json_object_size(o);
        kv = calloc(n + 1, sizeof(OciKeyValue));
        if (!kv)
                return -ENOMEM;
        r = map_entries(c, o, kv);
        if (r < 0) {
                oci_key_values_free(kv, n);
                return r;
        }
        *ret = kv;
        *ret_n = n;
        return 1;
}

int json_ctx_map(
        JsonCtx *c, json_t *obj, const char *key, JsonFlags flags, OciKeyValue **ret, size_t *ret_n) {
        int r;

        json_ctx_push_key(c, key);
        r = map_member(c, obj, key, flags, ret, ret_n);
        json_ctx_pop(c);
        return r;
}

static int
object_member(JsonCtx *c, json_t *obj, const char *key, JsonFlags flags, JsonItemFunc fn, void *item) {
        json_t *o = NULL;
        int r;

        r = json_ctx_member(c, obj, key, flags, &o);
        if (r <= 0)
                return r;
        r = json_ctx_expect(c, o, JSON_OBJECT);
        if (r < 0)
                return r;
        r = fn(c, o, item);
        return r < 0 ? r : 1;
}

int json_ctx_object(JsonCtx *c, json_t *obj, const char *key, JsonFlags flags, JsonItemFunc fn, void *item) {
        int r;

        json_ctx_push_key(c, key);
        r = object_member(c, obj, key, flags, fn, item);
        json_ctx_pop(c);
        return r;
}

static int
array_items(JsonCtx *c, json_t *a, size_t item_size, JsonItemFunc fn, JsonItemDoneFunc done, void *items) {
        size_t n = json_array_size(a);
        int r;

        for (size_t i = 0; i < n; i++) {
                json_ctx_push_index(c, i);
                r = fn(c, json_array_get(a, i), (char *) items + i * item_size);
                json_ctx_pop(c);
                if (r < 0) {
                        for (size_t j = 0; j <= i; j++)
                                done((char *) items + j * item_size);
                        return r;
                }
        }
        return 0;
}

static int array_member(JsonCtx *c,
                        json_t *obj,
                        const char *key,
                        JsonFlags flags,
                        size_t item_size,
                        JsonItemFunc fn,
                        JsonItemDoneFunc done,
                        void **ret,
                        size_t *ret_n) {
        _cleanup_free_ void *items = NULL;
        json_t *a = NULL;
        size_t n;
        int r;

        r = json_ctx_member(c, obj, key, flags, &a);
        if (r <= 0)
                return r;
        r = json_ctx_expect(c, a, JSON_ARRAY);
        if (r < 0)
                return r;
        n = json_array_size(a);
        if (n == 0 && (flags & JSON_F_NONEMPTY))
                return json_ctx_error(c, "must have at least one element");
        items = calloc(n + 1, item_size);
        if (!items)
                return -ENOMEM;
        r = array_items(c, a, item_size, fn, done, items);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(items);
        *ret_n = n;
        return 1;
}

int json_ctx_array(JsonCtx *c,
                   json_t *obj,
                   const char *key,
                   JsonFlags flags,
                   size_t item_size,
                   JsonItemFunc fn,
                   JsonItemDoneFunc done,
                   void **ret,
                   size_t *ret_n) {
        int r;

        json_ctx_push_key(c, key);
        r = array_member(c, obj, key, flags, item_size, fn, done, ret, ret_n);
        json_ctx_pop(c);
        return r;
}

void json_item_done_nop(void *item) {
}
