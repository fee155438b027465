#pragma once

/* Signal names <-> numbers, header-only so the static tether-init can use it without a library.
 * Accepts what runc's kill accepts (opencontainers/runc:kill.go parseSignal): a number, or a name with or
 * without "SIG" in any case, plus kill(1)'s RTMIN+N / RTMAX-N. Real-time signals are numbered as the
 * kernel does (34..64), not as a libc's SIGRTMIN(), which glibc and musl set apart differently. */

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <strings.h>

#define SIGNAL_RTMIN_KERNEL 34
#define SIGNAL_RTMAX_KERNEL 64

static inline const char *signal_to_string(int sig) {
        static const char *const names[] = {
                [SIGHUP] = "HUP",   [SIGINT] = "INT",       [SIGQUIT] = "QUIT", [SIGILL] = "ILL",
                [SIGTRAP] = "TRAP", [SIGABRT] = "ABRT",     [SIGBUS] = "BUS",   [SIGFPE] = "FPE",
                [SIGKILL] = "KILL", [SIGUSR1] = "USR1",     [SIGSEGV] = "SEGV", [SIGUSR2] = "USR2",
                [SIGPIPE] = "PIPE", [SIGALRM] = "ALRM",     [SIGTERM] = "TERM", [SIGSTKFLT] = "STKFLT",
                [SIGCHLD] = "CHLD", [SIGCONT] = "CONT",     [SIGSTOP] = "STOP", [SIGTSTP] = "TSTP",
                [SIGTTIN] = "TTIN", [SIGTTOU] = "TTOU",     [SIGURG] = "URG",   [SIGXCPU] = "XCPU",
                [SIGXFSZ] = "XFSZ", [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF", [SIGWINCH] = "WINCH",
                [SIGIO] = "IO",     [SIGPWR] = "PWR",       [SIGSYS] = "SYS",
        };

        if (sig <= 0 || (size_t) sig >= sizeof(names) / sizeof(names[0]))
                return NULL;
        return names[sig];
}

/* Parses a decimal number in [min, max] with nothing after it; no sign, no spaces, no overflow. */
static inline int signal_parse_small_number(const char *s, int min, int max) {
        int v = 0;

        if (!s || *s == '\0')
                return -EINVAL;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                v = v * 10 + (*s - '0');
                if (v > max)
                        return -EINVAL;
        }
        return v < min ? -EINVAL : v;
}

/* Returns the signal number (1..64) or -EINVAL. */
static inline int signal_from_string(const char *s) {
        int n;

        if (!s || *s == '\0')
                return -EINVAL;
        if (*s >= '0' && *s <= '9')
                return signal_parse_small_number(s, 1, SIGNAL_RTMAX_KERNEL);
        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;

        if (strncasecmp(s, "RTMIN", 5) == 0) {
                if (s[5] == '\0')
                        return SIGNAL_RTMIN_KERNEL;
                if (s[5] != '+')
                        return -EINVAL;
                n = signal_parse_small_number(s + 6, 0, SIGNAL_RTMAX_KERNEL - SIGNAL_RTMIN_KERNEL);
                return n < 0 ? n : SIGNAL_RTMIN_KERNEL + n;
        }
        if (strncasecmp(s, "RTMAX", 5) == 0) {
                if (s[5] == '\0')
                        return SIGNAL_RTMAX_KERNEL;
                if (s[5] != '-')
                        return -EINVAL;
                n = signal_parse_small_number(s + 6, 0, SIGNAL_RTMAX_KERNEL - SIGNAL_RTMIN_KERNEL);
                return n < 0 ? n : SIGNAL_RTMAX_KERNEL - n;
        }

        for (int sig = 1; sig < SIGNAL_RTMIN_KERNEL; sig++) {
                const char *name = signal_to_string(sig);

                if (name && strcasecmp(s, name) == 0)
                        return sig;
        }
        /* Aliases the kernel headers carry too. */
        if (strcasecmp(s, "IOT") == 0)
                return SIGABRT;
        if (strcasecmp(s, "CLD") == 0)
                return SIGCHLD;
        if (strcasecmp(s, "POLL") == 0)
                return SIGIO;
        return -EINVAL;
}

/* "SIGKILL", "SIGRTMIN+2": what the shim reports; -EINVAL for no such signal. buf of 16 bytes is enough. */
static inline int signal_format(int sig, char *buf, size_t size) {
        const char *name = signal_to_string(sig);
        int n;

        if (name)
                n = snprintf(buf, size, "SIG%s", name);
        else if (sig >= SIGNAL_RTMIN_KERNEL && sig <= SIGNAL_RTMAX_KERNEL)
                n = snprintf(buf, size, "SIGRTMIN+%d", sig - SIGNAL_RTMIN_KERNEL);
        else
                return -EINVAL;
        return n < 0 || (size_t) n >= size ? -ENOBUFS : 0;
}
