#pragma once

/* A small TAP producer for the unit suite (meson `protocol: 'tap'`), after
 * containers/bubblewrap:tests/test-utils.c. Each check prints one "ok"/"not ok" line; tap_done() prints
 * the plan and returns the exit code. */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

__attribute__((format(printf, 2, 3))) static inline int tap_ok(int pass, const char *fmt, ...) {
        va_list ap;

        tap_count++;
        if (!pass)
                tap_failed++;
        printf("%s %d - ", pass ? "ok" : "not ok", tap_count);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
        return pass;
}

#define TAP_OK(expr) tap_ok(!!(expr), "%s:%d: %s", __FILE__, __LINE__, #expr)

#define TAP_EQ_INT(a, b)                                                                \
        do {                                                                            \
                long long _a_ = (a), _b_ = (b);                                         \
                if (!tap_ok(_a_ == _b_, "%s:%d: %s == %s", __FILE__, __LINE__, #a, #b)) \
                        printf("#   got %lld, expected %lld\n", _a_, _b_);              \
        } while (0)

#define TAP_EQ_STR(a, b)                                                          \
        do {                                                                      \
                const char *_a_ = (a), *_b_ = (b);                                \
                int _eq_ = (_a_ && _b_) ? strcmp(_a_, _b_) == 0 : _a_ == _b_;     \
                if (!tap_ok(_eq_, "%s:%d: %s == %s", __FILE__, __LINE__, #a, #b)) \
                        printf("#   got '%s', expected '%s'\n",                   \
                               _a_ ? _a_ : "(null)",                              \
                               _b_ ? _b_ : "(null)");                             \
        } while (0)

/* One check that cannot run here: counted, passing, marked as skipped (TAP's "# SKIP" directive). */
static inline void tap_skip(const char *name, const char *reason) {
        tap_count++;
        printf("ok %d - %s # SKIP %s\n", tap_count, name, reason);
        fflush(stdout);
}

static inline void tap_skip_all(const char *reason) {
        printf("1..0 # SKIP %s\n", reason);
}

static inline int tap_done(void) {
        printf("1..%d\n", tap_count);
        return tap_failed == 0 ? 0 : 1;
}
