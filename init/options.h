#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What tether-init was asked to do: the command line and tini's environment variables, parsed without
 * side effects so that it can be unit-tested and fuzzed (tests/unit/test-init-options.c). */

typedef enum InitAction {
        INIT_ACTION_RUN, /* supervise argv */
        INIT_ACTION_PAUSE, /* --pause: no program, wait for SIGTERM/SIGINT */
        INIT_ACTION_HELP, /* -h */
        INIT_ACTION_VERSION, /* --version */
        INIT_ACTION_LICENSE, /* -l */
} InitAction;

#define INIT_GRACE_DEFAULT_MS 5000U
#define INIT_GRACE_MAX_MS (24U * 3600U * 1000U)

typedef struct InitOptions {
        InitAction action;
        char **argv; /* PROGRAM ARGS..., NULL-terminated; points into the caller's argv */
        int verbosity; /* 0 errors only, 1 warnings (default), 2 info, 3 debug, 4 trace */
        int parent_death_signal; /* -p; 0 = none */
        bool subreaper; /* -s, TINI_SUBREAPER */
        bool kill_process_group; /* -g, TINI_KILL_PROCESS_GROUP */
        bool warn_on_reap; /* -w */
        unsigned grace_ms; /* --grace */
        uint8_t remap_to_zero[32]; /* -e: a bit per exit status 0..255 reported as 0 */
} InitOptions;

/* Parses argv and the TINI_* variables of envp (which may be NULL). Returns 0, or -EINVAL with a message
 * for the user in errbuf. */
int init_options_parse(
        int argc, char **argv, char *const *envp, InitOptions *ret, char *errbuf, size_t errlen);

static inline bool init_options_remaps(const InitOptions *o, int status) {
        return status >= 0 && status <= 255 && (o->remap_to_zero[status / 8] & (1U << (status % 8)));
}

extern const char init_usage[];
