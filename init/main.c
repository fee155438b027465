/* tether-init: a minimal PID 1 for containers, a drop-in for tini (docker-init) that also ends what its
 * program leaves behind. Parses, sets up, dispatches; the work is in supervise.c. */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "commit.h"
#include "config.h"
#include "log.h"
#include "macro.h"
#include "options.h"
#include "signals.h"
#include "supervise.h"

extern char **environ;

/* dockerd's parseInitVersion (moby/moby:daemon/info_unix.go) wants "tini version V - git.C": the text
 * after "tini version " becomes the Init Binary's version, the part after "git." its commit. */
static void print_version(void) {
        printf("tini version %s (tether-init) - git.%s\n", TETHER_VERSION, TETHER_COMMIT);
}

static int setup_reaping(const InitOptions *o, bool *ret_whole_namespace) {
        *ret_whole_namespace = getpid() == 1;
        if (*ret_whole_namespace)
                return 0;
        if (o->subreaper) {
                if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
                        return log_error_errno(errno, "failed to register as child subreaper");
                log_debug("registered as child subreaper");
                return 0;
        }
        log_warning(
                "not running as PID 1 and not registered as a child subreaper: orphans will not be "
                "reparented to tether-init, so it cannot reap them. Use -s or set TINI_SUBREAPER, or run "
                "it as PID 1.");
        return 0;
}

int main(int argc, char *argv[]) {
        pid_t original_parent = getppid();
        Supervisor s = {};
        InitOptions o;
        char err[256];
        int r;

        r = init_options_parse(argc, argv, environ, &o, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "tether-init: %s\n%s", err, init_usage);
                return 2;
        }
        switch (o.action) {
        case INIT_ACTION_HELP:
                fputs(init_usage, stdout);
                return 0;
        case INIT_ACTION_VERSION:
                print_version();
                return 0;
        case INIT_ACTION_LICENSE:
                puts("tether-init is free software under the MIT license; see LICENSE in the tether sources.");
                return 0;
        default:
                break;
        }
        log_set_max_level(o.verbosity);

        /* Before anything is logged: a background job on a terminal with TOSTOP that writes to it gets
         * SIGTTOU, which stopped us at the "not running as PID 1" warning, before the program ever ran.
         * And a signal sent meanwhile, the -p one included, now waits in the signalfd instead of killing
         * us. */
        s.signal_fd = signals_block_all(&s.child_mask);
        if (s.signal_fd < 0) {
                log_error_errno(s.signal_fd, "failed to set up signal handling");
                return 1;
        }

        if (o.parent_death_signal > 0) {
                if (prctl(PR_SET_PDEATHSIG, o.parent_death_signal, 0, 0, 0) < 0) {
                        log_error_errno(errno, "failed to set the parent death signal");
                        return 1;
                }
                /* A parent that died before the prctl() sends nothing: send it ourselves. It waits in the
                 * signalfd, and is forwarded like any other (systemd's safe_fork does the same check). */
                if (getppid() != original_parent)
                        (void) kill(getpid(), o.parent_death_signal);
        }
        if (setup_reaping(&o, &s.whole_namespace) < 0)
                return 1;

        s.options = &o;

        return o.action == INIT_ACTION_PAUSE ? supervise_pause(&s) : supervise_program(&s);
}
