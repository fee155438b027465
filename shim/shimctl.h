#pragma once

/* shimctl's verbs and what they share. Each returns the exit status: 0, 1 on failure, 2 on usage, or the
 * container's code (run in the foreground, wait). Errors go to stderr once, naming the container. */

#include <systemd/sd-bus.h>

#include "ctl.h"

int ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int ctl_usage(const char *verb, const char *usage, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
int ctl_errno(int r, const char *id, const char *what);
int ctl_bus_error(const char *id, const char *method, const sd_bus_error *e, int r);

int verb_run(const Ctl *c, int argc, char **argv);
int verb_list(const Ctl *c, int argc, char **argv);
int verb_status(const Ctl *c, int argc, char **argv);
int verb_kill(const Ctl *c, int argc, char **argv);
int verb_stop(const Ctl *c, int argc, char **argv);
int verb_wait(const Ctl *c, int argc, char **argv);
int verb_logs(const Ctl *c, int argc, char **argv);
int verb_stats(const Ctl *c, int argc, char **argv);
int verb_pause(const Ctl *c, int argc, char **argv);
int verb_resume(const Ctl *c, int argc, char **argv);
int verb_rm(const Ctl *c, int argc, char **argv);

/* Follows id's log to stdout and stderr until its shim has recorded the exit (logs -f, run). */
int ctl_follow_logs(const Ctl *c, const char *id, long tail);
/* Starts the shim (argv, absolute argv[0]) as tether-shim-ID.service and waits until it runs the
 * container, or fails, with the shim's line read from fifo: 0, or the exit status 1 (logged). */
int ctl_run_unit(const Ctl *c, const char *id, char **argv, const char *fifo, double stop_timeout);
/* The container's code from a Wait (or its record); < 0 on failure, logged. */
int ctl_wait_exit(const Ctl *c, const char *id);
