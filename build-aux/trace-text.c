/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * trace-text PROGRAM [ARG...]: runs PROGRAM single-stepped under ptrace and writes, in the order they
 * first ran, the distinct offsets into PROGRAM's mapping of every instruction it executed, one per line
 * in hex, to $TRACE_TEXT_OUT (else stdout); a last line "# steps N". SIGUSR2 to the tracer writes a line
 * "# phase", after which every instruction counts as not run yet. The process and its children are
 * traced until they exec: the runtime and the container run at full speed. build-aux/shim-order.sh turns
 * the offsets into tether-shim's link order. A build tool, never installed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t phase_requested;

static void on_sigusr2(int sig) {
        phase_requested = 1;
}

/* The range PROGRAM is mapped at: from its first mapping (file offset 0, so that an offset is the ELF
 * virtual address of a static-pie) to the end of its last. */
static int program_range(pid_t pid, const char *exe, uint64_t *lo, uint64_t *hi) {
        char path[64], line[PATH_MAX + 128];
        FILE *f;

        snprintf(path, sizeof path, "/proc/%d/maps", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        *lo = *hi = 0;
        while (fgets(line, sizeof line, f)) {
                unsigned long a, b;
                char *path =
                        strchr(line, '/'); /* the path is the line's last field, the only one with '/' */

                if (!path || sscanf(line, "%lx-%lx", &a, &b) != 2)
                        continue;
                path[strcspn(path, "\n")] = '\0';
                if (strcmp(path, exe) != 0)
                        continue;
                if (*lo == 0)
                        *lo = a;
                *hi = b;
        }
        fclose(f);
        return *lo != 0 ? 0 : -ENOENT;
}

int main(int argc, char **argv) {
        char exe[PATH_MAX];
        const char *out_path = getenv("TRACE_TEXT_OUT");
        uint64_t lo = 0, hi = 0;
        uint8_t *seen;
        long steps = 0;
        int status, sig = 0;
        FILE *out = stdout;
        pid_t pid;

        if (argc < 2 || !realpath(argv[1], exe)) {
                fprintf(stderr, "usage: trace-text PROGRAM [ARG...] (PROGRAM: an existing path)\n");
                return 2;
        }
        if (out_path) {
                out = fopen(out_path, "ae");
                if (!out) {
                        fprintf(stderr, "trace-text: %s: %m\n", out_path);
                        return 1;
                }
        }

        pid = fork();
        if (pid < 0)
                return perror("trace-text: fork"), 1;
        if (pid == 0) {
                if (out != stdout)
                        fclose(out);
                if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0 || raise(SIGSTOP) < 0)
                        _exit(127);
                execv(argv[1], argv + 1);
                _exit(127);
        }
        /* Whatever fds the tracee inherited (a ready pipe its starter waits on) are its alone. */
        for (int fd = 3; fd < 1024; fd++)
                if (fd != fileno(out))
                        (void) close(fd);

        if (waitpid(pid, &status, 0) < 0 || !WIFSTOPPED(status))
                return fprintf(stderr, "trace-text: the child did not stop\n"), 1;
        (void) ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *) (PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL));
        if (ptrace(PTRACE_CONT, pid, NULL, NULL) < 0 || waitpid(pid, &status, 0) < 0 ||
            !WIFSTOPPED(status) || status >> 8 != (SIGTRAP | (PTRACE_EVENT_EXEC << 8)))
                return fprintf(stderr, "trace-text: %s did not exec\n", exe), 1;
        (void) ptrace(PTRACE_SETOPTIONS,
                      pid,
                      NULL,
                      (void *) (PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC |
                                PTRACE_O_EXITKILL));
        if (program_range(pid, exe, &lo, &hi) < 0)
                return fprintf(stderr, "trace-text: %s is not mapped in its process\n", exe), 1;
        /* SIGUSR2 to the tracer starts a new phase (shim-order.sh: the start is over). */
        if (sigaction(SIGUSR2, &(struct sigaction){.sa_handler = on_sigusr2}, NULL) < 0)
                return perror("trace-text: sigaction"), 1;
        seen = calloc(hi - lo, 1);
        if (!seen)
                return perror("trace-text"), 1;

        /* The tracee and the processes it forks (a shim that detaches) or spawns, each stepped in turn. A
         * spawned child runs the program's code in its address space until it execs (posix_spawn's
         * vfork child: the faults it takes are the program's), and is let go at its exec: the runtime
         * and the container run at full speed. */
        if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) < 0)
                return perror("trace-text: ptrace"), 1;
        for (;;) {
                struct user_regs_struct regs;
                pid_t p = waitpid(-1, &status, __WALL);

                if (p < 0 && errno == EINTR)
                        continue;
                if (p < 0)
                        break; /* none left */
                if (phase_requested) {
                        /* A new phase: what runs from here is listed again, whether it ran before or not. */
                        phase_requested = 0;
                        memset(seen, 0, hi - lo);
                        fprintf(out, "# phase\n");
                }
                if (!WIFSTOPPED(status))
                        continue; /* exited or killed */
                if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXEC << 8))) {
                        (void) ptrace(PTRACE_DETACH, p, NULL, NULL);
                        continue;
                }
                /* A signal for the tracee is delivered with its next step. */
                switch (WSTOPSIG(status)) {
                case SIGTRAP: /* the step's own, or an event's */
                case SIGSTOP: /* a new child's first stop */
                case SIGTSTP: /* stop signals would stop it for good: traced, nobody continues it */
                case SIGTTIN:
                case SIGTTOU:
                        sig = 0;
                        break;
                default:
                        sig = WSTOPSIG(status);
                }
                if (sig == 0 && ptrace(PTRACE_GETREGS, p, NULL, &regs) == 0) {
                        steps++;
                        if (regs.rip >= lo && regs.rip < hi && !seen[regs.rip - lo]) {
                                seen[regs.rip - lo] = 1;
                                fprintf(out, "%llx\n", (unsigned long long) (regs.rip - lo));
                        }
                }
                (void) ptrace(PTRACE_SINGLESTEP, p, NULL, (void *) (long) sig);
        }
        fprintf(out, "# steps %ld\n", steps);
        return fclose(out) == 0 ? 0 : 1;
}
