#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "json-locate.h"

typedef struct Scanner {
        const char *buf;
        size_t len;
        size_t pos;
} Scanner;

static void skip_space(Scanner *s) {
        while (s->pos < s->len && strchr(" \t\r\n", s->buf[s->pos]) && s->buf[s->pos] != '\0')
                s->pos++;
}

static bool at(Scanner *s, char c) {
        return s->pos < s->len && s->buf[s->pos] == c;
}

static int expect(Scanner *s, char c) {
        if (!at(s, c))
                return -EINVAL;
        s->pos++;
        return 0;
}

/* At the opening quote: moves past the closing one. */
static int skip_string(Scanner *s) {
        if (expect(s, '"') < 0)
                return -EINVAL;
        while (s->pos < s->len) {
                char c = s->buf[s->pos++];

                if (c == '"')
                        return 0;
                if (c == '\\')
                        s->pos++;
        }
        return -EINVAL;
}

/* Skips one value. Iterative, so that deep nesting costs no stack. */
static int skip_value(Scanner *s) {
        size_t depth = 0;

        do {
                if (s->pos >= s->len)
                        return -EINVAL;
                switch (s->buf[s->pos]) {
                case '"':
                        if (skip_string(s) < 0)
                                return -EINVAL;
                        break;
                case '{':
                case '[':
                        depth++;
                        s->pos++;
                        break;
                case '}':
                case ']':
                        if (depth == 0)
                                return -EINVAL;
                        depth--;
                        s->pos++;
                        break;
                default:
                        /* A scalar, or a ',' ':' or blank between the members of an open container. */
                        if (depth == 0 && strchr(",:", s->buf[s->pos]))
                                return -EINVAL;
                        do
                                s->pos++;
                        while (depth == 0 && s->pos < s->len && !strchr(",:]} \t\r\n\"", s->buf[s->pos]));
                }
        } while (depth > 0);
        return 0;
}

/* Compares the string token buf[start, end) (quotes included) with key. */
static int key_equal(const char *buf, size_t start, size_t end, const char *key) {
        const char *raw = buf + start + 1;
        size_t n = end - start - 2;
        json_t *decoded;
        bool eq;

        if (!memchr(raw, '\\', n))
                return strlen(key) == n && memcmp(raw, key, n) == 0;

        decoded = json_loadb(buf + start, end - start, JSON_DECODE_ANY, NULL);
        if (!decoded)
                return -ENOMEM; /* the text was accepted before, so only memory can fail us now */
        eq = json_is_string(decoded) && strcmp(json_string_value(decoded), key) == 0;
        json_decref(decoded);
        return eq;
}

/* At '{': moves to the value of the last member named key. */
static int find_member(Scanner *s, const char *key) {
        size_t found = SIZE_MAX;
        int r;

        if (expect(s, '{') < 0)
                return -EINVAL;
        skip_space(s);
        if (at(s, '}'))
                return -ENOENT;
        for (;;) {
                size_t start;

                skip_space(s);
                start = s->pos;
                if (skip_string(s) < 0)
                        return -EINVAL;
                r = key_equal(s->buf, start, s->pos, key);
                if (r < 0)
                        return r;
                skip_space(s);
                if (expect(s, ':') < 0)
                        return -EINVAL;
                skip_space(s);
                if (r)
                        found = s->pos;
                if (skip_value(s) < 0)
                        return -EINVAL;
                skip_space(s);
                if (at(s, '}'))
                        break;
                if (expect(s, ',') < 0)
                        return -EINVAL;
        }
        if (found == SIZE_MAX)
                return -ENOENT;
        s->pos = found;
        return 0;
}

/* At '[': moves to the element at index. */
static int find_element(Scanner *s, size_t index) {
        if (expect(s, '[') < 0)
                return -EINVAL;
        skip_space(s);
        if (at(s, ']'))
                return -ENOENT;
        for (size_t i = 0;; i++) {
                skip_space(s);
                if (i == index)
                        return 0;
                if (skip_value(s) < 0)
                        return -EINVAL;
                skip_space(s);
                if (at(s, ']'))
                        return -ENOENT;
                if (expect(s, ',') < 0)
                        return -EINVAL;
        }
}

int json_locate(const char *buf, size_t len, const JsonPathItem *path, size_t n_path, JsonSpan *ret) {
        Scanner s = {.buf = buf, .len = len};
        unsigned line = 1, column = 1;
        size_t start;
        int r;

        if (!buf)
                return -EINVAL;
        skip_space(&s);
        for (size_t i = 0; i < n_path; i++) {
                r = path[i].key ? find_member(&s, path[i].key) : find_element(&s, path[i].index);
                if (r < 0)
                        return r;
        }
        start = s.pos;
        if (skip_value(&s) < 0)
                return -EINVAL;

        /* jansson counts a UTF-8 sequence as one column; so do we, by skipping continuation bytes. */
        for (size_t i = 0; i < start; i++) {
                if (buf[i] == '\n') {
                        line++;
                        column = 1;
                } else if (((unsigned char) buf[i] & 0xC0) != 0x80)
                        column++;
        }
        *ret = (JsonSpan){.offset = start, .length = s.pos - start, .line = line, .column = column};
        return 0;
}
