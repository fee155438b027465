#pragma once

/* tether-init's diagnostics: one line per message on stderr, never on stdout (tini logs INFO to stdout,
 * into the payload's output: krallin/tini:src/tini.c). A message is dropped rather than written into a
 * full pipe or a stopped terminal: PID 1 must never block on its own logging. */

#include <stdarg.h>

#include "macro.h"

enum {
        LOG_LEVEL_ERROR = 0, /* printed even at verbosity 0 */
        LOG_LEVEL_WARNING = 1,
        LOG_LEVEL_INFO = 2,
        LOG_LEVEL_DEBUG = 3,
        LOG_LEVEL_TRACE = 4,
};

void log_set_max_level(int level);
int log_get_max_level(void);

/* Logs at level; when error is non-zero (a negative or positive errno), ": strerror" is appended.
 * Returns -abs(error), so that "return log_error_errno(r, ...);" reads naturally. */
int log_full_errno(int level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_error(...) log_full_errno(LOG_LEVEL_ERROR, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_LEVEL_WARNING, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define log_debug(...) log_full_errno(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)
#define log_trace(...) log_full_errno(LOG_LEVEL_TRACE, 0, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_LEVEL_ERROR, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_LEVEL_WARNING, (e), __VA_ARGS__)
#define log_debug_errno(e, ...) log_full_errno(LOG_LEVEL_DEBUG, (e), __VA_ARGS__)
