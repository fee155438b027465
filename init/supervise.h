#pragma once

#include <signal.h>
#include <stdbool.h>

#include "options.h"

typedef struct Supervisor {
        const InitOptions *options;
        int signal_fd;
        bool whole_namespace; /* we are PID 1 of our PID namespace */
        sigset_t child_mask;
} Supervisor;

/* Runs options->argv to its end and returns tether-init's exit status: the program's, 128+N after signal
 * N, remapped by -e; 126/127 when it could not be executed. */
int supervise_program(const Supervisor *s);

/* --pause: reaps orphans until SIGTERM or SIGINT. Returns the exit status, 0. */
int supervise_pause(const Supervisor *s);
