#pragma once

/* Typed getters over a jansson tree that keep track of where they are, so that every error names the
 * JSON path of the bad field ("process.args[2]") and, found by json_locate(), its line and column.
 *
 * The tree is loaded with JSON_DECODE_INT_AS_REAL: jansson's integers are long long, and config.json holds
 * uint64 values up to 18446744073709551615 (RLIM_INFINITY, as runc documents for rlimits). Numbers that a
 * double cannot hold exactly are read again from the text. So an integer may be written 1.0 or 1e3, as
 * JSON Schema allows; 1.5 is not an integer.
 *
 * Getters of members return 0 if the member is absent or null (as Go's encoding/json treats null), 1 if
 * it was read into *ret, or a negative errno; -EINVAL comes with the message in c->error. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "json-locate.h"
#include "macro.h"
#include "oci-config.h"

#define JSON_CTX_DEPTH_MAX 16

typedef struct JsonCtx {
        const char *filename;
        const char *buf;
        size_t len;
        JsonPathItem path[JSON_CTX_DEPTH_MAX];
        size_t depth; /* items past JSON_CTX_DEPTH_MAX are counted, not kept */
        OciError *error; /* may be NULL */
} JsonCtx;

typedef enum JsonFlags {
        JSON_F_REQUIRED = 1 << 0, /* absent or null is an error */
        JSON_F_NONEMPTY = 1 << 1, /* a string or array must not be empty */
        JSON_F_ABSOLUTE = 1 << 2, /* a string (or each string of an array) must be an absolute path */
} JsonFlags;

/* Parses v (at the current path) into item. */
typedef int (*JsonItemFunc)(JsonCtx *c, json_t *v, void *item);
/* Frees what a JsonItemFunc put into item; must accept a zeroed item. */
typedef void (*JsonItemDoneFunc)(void *item);

void json_ctx_push_key(JsonCtx *c, const char *key);
void json_ctx_push_index(JsonCtx *c, size_t index);
void json_ctx_pop(JsonCtx *c);

/* Fill c->error with "file:line:column: path: message" for the current path; return -EINVAL. */
int json_ctx_error(JsonCtx *c, const char *format, ...) _printf_(2, 3);
/* "path: missing required field", positioned at the object that lacks it. */
int json_ctx_error_missing(JsonCtx *c);
/* "path: expected <what>, got <description of v>". */
int json_ctx_error_type(JsonCtx *c, json_t *v, const char *what);

/* "an object", "a string", "an integer", "a number", "a boolean", "null", ... */
const char *json_describe(json_t *v);

/* Values, at the current path. */
int json_ctx_expect(JsonCtx *c, json_t *v, json_type type);
int json_ctx_string_value(JsonCtx *c, json_t *v, JsonFlags flags, char **ret);
int json_ctx_uint_value(JsonCtx *c, json_t *v, uint64_t max, uint64_t *ret);
int json_ctx_int_value(JsonCtx *c, json_t *v, int64_t min, int64_t max, int64_t *ret);

/* Members of the object obj. */
int json_ctx_string(JsonCtx *c, json_t *obj, const char *key, JsonFlags flags, char **ret);
int json_ctx_bool(JsonCtx *c, json_t *obj, const char *key, JsonFlags flags, bool *ret);
int json_ctx_uint(JsonCtx *c, json_t *obj, const char *key, JsonFlags flags, uint64_t max, uint64_t *ret);
int json_ctx_int(
        JsonCtx *c, json_t *obj, const char *key, JsonFlags flags, int64_t min, int64_t max, int64_t *ret);
/* An array of strings, into a NULL-terminated array. */
int json_ctx_strv(JsonCtx *c, json_t *obj, const char *key, JsonFlags flags, char ***ret);
/* An object of strings with non-empty keys, in the order of the text. */
int json_ctx_map(
        JsonCtx *c, json_t *obj, const char *key, JsonFlags flags, OciKeyValue **ret, size_t *ret_n);
/* An object, parsed by fn into item. */
int json_ctx_object(JsonCtx *c, json_t *obj, const char *key, JsonFlags flags, JsonItemFunc fn, void *item);
/* An array whose elements fn parses into a new array of n items of item_size bytes each. */
int json_ctx_array(JsonCtx *c,
                   json_t *obj,
                   const char *key,
                   JsonFlags flags,
                   size_t item_size,
                   JsonItemFunc fn,
                   JsonItemDoneFunc done,
                   void **ret,
                   size_t *ret_n);

char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
void oci_key_values_free(OciKeyValue *kv, size_t n);

/* A JsonItemDoneFunc for items that own nothing. */
void json_item_done_nop(void *item);
