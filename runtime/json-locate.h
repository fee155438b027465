#pragma once

/* Finds a value in JSON text by its path. jansson keeps no positions in the tree it builds, so to name
 * the line and column of a bad field, and to read the exact digits of a number too large for a double,
 * we scan the text again. The text is expected to be what jansson accepted; anything else gives -EINVAL,
 * never a read out of bounds. */

#include <stddef.h>

typedef struct JsonPathItem {
        const char *key; /* object member, or NULL for the array element at index */
        size_t index;
} JsonPathItem;

typedef struct JsonSpan {
        size_t offset; /* of the value's first byte */
        size_t length; /* in bytes */
        unsigned line; /* 1-based */
        unsigned column; /* 1-based, in characters, as jansson counts them */
} JsonSpan;

/* Duplicate keys resolve to the last one, as in jansson. Returns 0, -ENOENT if the path is not in the
 * text, -EINVAL if the text is not JSON, -ENOMEM. */
int json_locate(const char *buf, size_t len, const JsonPathItem *path, size_t n_path, JsonSpan *ret);
