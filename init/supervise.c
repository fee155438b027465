#include <errno.h>
#include <poll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "pidfd-util.h"
#include "reap.h"
#include "signal-name.h"
#include "signals.h"
#include "spawn.h"
#include "supervise.h"

/* After SIGKILL, how long to wait for the last processes to go before exiting regardless: one stuck in
 * uninterruptible sleep would hold us forever, and as PID 1 our exit makes the kernel finish the job. */
#define AFTER_KILL_WAIT_MS 10000
/* With no child of ours left, a process that entered our namespace by setns() sends us no SIGCHLD when it
 * exits; check for it this often while leftovers are waited for. */
#define FOREIGN_POLL_MS 20

static long long now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *signal_name(int sig) {
        const char *name = signal_to_string(sig);

        return name ? name : "?";
}

static void forward_signal(const Supervisor *s, const Child *child, int sig) {
        int r;

        if (s->options->kill_process_group)
                r = kill(-child->pid, sig) < 0 ? -errno : 0;
        else
                r = pidfd_kill(child->pidfd, child->pid, sig);
        if (r == -ESRCH) /* it is exiting; the SIGCHLD is on its way */
                log_debug("child %d is gone, not forwarding SIG%s", (int) child->pid, signal_name(sig));
        else if (r < 0)
                log_warning_errno(r,
                                  "failed to forward SIG%s to child %d, ignoring",
                                  signal_name(sig),
                                  (int) child->pid);
        else
                log_trace("forwarded SIG%s to %s %d",
                          signal_name(sig),
                          s->options->kill_process_group ? "process group" : "child",
                          (int) child->pid);
}

static bool is_termination_request(int sig) {
        return sig == SIGTERM || sig == SIGINT || sig == SIGQUIT;
}

/* Waits until nothing is left or deadline_ms passes, sending resend_signal (if not 0) again at every
 * wake-up, for what was forked or reparented since. Returns 0 when nothing is left, -ETIMEDOUT, or
 * -ECANCELED when a termination signal asks us to hurry up. */
static int
wait_for_leftovers(const Supervisor *s, Reaper *reaper, int resend_signal, long long deadline_ms) {
        for (;;) {
                struct signalfd_siginfo si[32];
                struct pollfd p = {.fd = s->signal_fd, .events = POLLIN};
                bool have_children = reap_exited(reaper) != -ECHILD;
                long long timeout = deadline_ms - now_ms();
                int n;

                if (!leftovers_any(s->whole_namespace, have_children))
                        return 0;
                if (timeout <= 0)
                        return -ETIMEDOUT;
                if (resend_signal != 0)
                        (void) leftovers_signal(s->whole_namespace, resend_signal);
                if (!have_children && timeout > FOREIGN_POLL_MS)
                        timeout = FOREIGN_POLL_MS;
                if (RETRY_ON_EINTR(poll(&p, 1, (int) timeout)) <= 0)
                        continue;

                n = signals_read(s->signal_fd, si, ELEMENTSOF(si));
                for (int i = 0; i < n; i++)
                        if (is_termination_request((int) si[i].ssi_signo))
                                return -ECANCELED;
        }
}

/* Unlike tini, which exits and leaves the rest to whoever kills the namespace, end what the program left
 * behind ourselves: SIGTERM, a grace period to exit cleanly, then SIGKILL, and reap all of it. As a
 * subreaper outside a PID namespace nobody else would. */
static void end_leftovers(const Supervisor *s, Reaper *reaper) {
        bool have_children = reap_exited(reaper) != -ECHILD;
        int r;

        if (!leftovers_any(s->whole_namespace, have_children))
                return;

        if (s->options->grace_ms > 0) {
                r = leftovers_signal(s->whole_namespace, SIGTERM);
                log_info("sent SIGTERM to %s left behind, waiting up to %u ms",
                         s->whole_namespace ? "all processes" : "the processes",
                         s->options->grace_ms);
                if (r < 0)
                        log_warning_errno(r, "failed to signal the processes left behind, ignoring");
                r = wait_for_leftovers(s, reaper, 0, now_ms() + s->options->grace_ms);
                if (r == 0)
                        return;
                if (r == -ECANCELED)
                        log_info("asked to terminate, not waiting for the grace period");
        }

        r = leftovers_signal(s->whole_namespace, SIGKILL);
        log_info("sent SIGKILL to the processes left behind");
        if (r < 0)
                log_warning_errno(r, "failed to kill the processes left behind, ignoring");
        if (wait_for_leftovers(s, reaper, SIGKILL, now_ms() + AFTER_KILL_WAIT_MS) < 0)
                log_warning("processes are still left after SIGKILL, exiting regardless");
}

static int exit_status_of(const InitOptions *o, int wait_status) {
        int code;

        if (WIFEXITED(wait_status))
                code = WEXITSTATUS(wait_status);
        else if (WIFSIGNALED(wait_status))
                code = 128 + WTERMSIG(wait_status);
        else
                code = 1;
        return init_options_remaps(o, code) ? 0 : code;
}

/* The main loop: forward every signal but SIGCHLD, reap on SIGCHLD, until the program is reaped. Once
 * the program runs, errors are warnings: PID 1 never dies before it (openSUSE/catatonit:catatonit.c). */
static void supervise_until_exit(const Supervisor *s, const Child *child, Reaper *reaper) {
        while (!reaper->main_exited) {
                struct signalfd_siginfo si[32];
                bool chld = false;
                int n = signals_read(s->signal_fd, si, ELEMENTSOF(si));

                if (n < 0) {
                        log_warning_errno(n, "failed to read signals, retrying");
                        continue;
                }
                for (int i = 0; i < n; i++) {
                        int sig = (int) si[i].ssi_signo;

                        if (sig == SIGCHLD)
                                chld = true;
                        else
                                forward_signal(s, child, sig);
                }
                if (chld)
                        (void) reap_exited(reaper);
        }
}

int supervise_program(const Supervisor *s) {
        Reaper reaper = {.warn_on_reap = s->options->warn_on_reap};
        Child child = {.pidfd = -EBADF};
        int exec_errno, r, status;

        r = spawn_child(s->options->argv, &s->child_mask, isatty(STDIN_FILENO), &child, &exec_errno);
        if (r < 0) {
                log_error_errno(r, "failed to start '%s'", s->options->argv[0]);
                return 1;
        }
        reaper.main_pid = child.pid;
        log_debug("started '%s' as %d", s->options->argv[0], (int) child.pid);

        if (exec_errno != 0) {
                log_error_errno(exec_errno, "failed to execute '%s'", s->options->argv[0]);
                status = exec_errno_to_exit_status(exec_errno);
                (void) RETRY_ON_EINTR(waitpid(child.pid, NULL, 0)); /* it is exiting with 127 */
        } else {
                /* Children inherited across the exec that made us may be zombies already, and no SIGCHLD
                 * of theirs is coming: reap them now. The main child may be among the reaped. */
                (void) reap_exited(&reaper);
                supervise_until_exit(s, &child, &reaper);
                status = exit_status_of(s->options, reaper.main_status);
                log_debug("child %d exited, status %d", (int) child.pid, status);
        }

        end_leftovers(s, &reaper);
        safe_close(child.pidfd);
        return status;
}

int supervise_pause(const Supervisor *s) {
        Reaper reaper = {.warn_on_reap = s->options->warn_on_reap};

        for (;;) {
                struct signalfd_siginfo si[32];
                int n = signals_read(s->signal_fd, si, ELEMENTSOF(si));

                for (int i = 0; i < n; i++) {
                        int sig = (int) si[i].ssi_signo;

                        if (sig == SIGCHLD)
                                (void) reap_exited(&reaper);
                        else if (sig == SIGTERM || sig == SIGINT) {
                                log_debug("received SIG%s, ending the pause", signal_name(sig));
                                end_leftovers(s, &reaper);
                                return 0;
                        }
                }
        }
}
