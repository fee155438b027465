#pragma once

/* The runtime's log, for the CLI only (libraries return errors, they do not log). Messages go to stderr
 * and, with --log FILE, are appended to FILE as text or as runc's JSON records
 * ({"level":"error","msg":"...","time":"..."}, which podman and containerd's runc shim read back). */

#include <stdbool.h>

#include "macro.h"

typedef enum LogLevel {
        LOG_ERR,
        LOG_WARN,
        LOG_INFO,
        LOG_DEBUG,
} LogLevel;

int log_open(const char *path, bool json, bool debug);
void log_close(void);

int log_msg_errno(LogLevel level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_error(...) log_msg_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_warning(...) log_msg_errno(LOG_WARN, 0, __VA_ARGS__)
#define log_debug(...) log_msg_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_error_errno(e, ...) log_msg_errno(LOG_ERR, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_msg_errno(LOG_WARN, (e), __VA_ARGS__)
