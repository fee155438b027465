#pragma once

/* Container ids. Header-only, like the rest of common/, so that every program can check an id before it
 * becomes a path component (state directory, cgroup, D-Bus object path) without linking a library.
 *
 * An id is ^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$: no '/', so it is a single path component; no leading '.'
 * or '-', so it is neither "." nor ".." nor an option to a program it is passed to. The length bound keeps
 * it below NAME_MAX together with any suffix we add. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#define ID_LENGTH_MAX 128

static inline bool id_char_is_alnum(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Returns 0 if id is a valid container id, -EINVAL otherwise (including NULL). */
static inline int id_validate(const char *id) {
        size_t n;

        if (!id || !id_char_is_alnum(id[0]))
                return -EINVAL;
        for (n = 1; id[n] != '\0'; n++) {
                if (n >= ID_LENGTH_MAX)
                        return -EINVAL;
                if (!id_char_is_alnum(id[n]) && id[n] != '_' && id[n] != '.' && id[n] != '-')
                        return -EINVAL;
        }
        return 0;
}
