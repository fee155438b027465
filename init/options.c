#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "options.h"
#include "signal-name.h"

const char init_usage[] =
        "Usage: tether-init [OPTIONS] [--] PROGRAM [ARGS...]\n"
        "       tether-init [OPTIONS] --pause\n"
        "\n"
        "A minimal init for containers: runs PROGRAM, forwards signals to it, reaps zombies, ends leftover\n"
        "processes when PROGRAM exits, and exits with PROGRAM's status (128+N if killed by signal N).\n"
        "\n"
        "Options:\n"
        "  -h, --help          show this help and exit\n"
        "      --version       show the version and exit\n"
        "  -s                  register as a child subreaper when not PID 1 (or set TINI_SUBREAPER)\n"
        "  -g                  forward signals to PROGRAM's process group (or set TINI_KILL_PROCESS_GROUP)\n"
        "  -p SIGNAL           have SIGNAL sent to tether-init when its parent dies\n"
        "  -e CODE             report PROGRAM's exit status CODE as 0 (repeatable)\n"
        "  -v                  more diagnostics on stderr (repeatable, or set TINI_VERBOSITY)\n"
        "  -w                  warn about every orphan reaped\n"
        "  -l                  show the license and exit\n"
        "      --grace SECONDS after PROGRAM exits, wait this long between SIGTERM and SIGKILL for the\n"
        "                      processes left behind (default 5; 0 kills them at once)\n"
        "  -P, --pause         run no program: sleep until SIGTERM or SIGINT, reaping orphans\n";

enum {
        OPT_VERSION = 0x100,
        OPT_GRACE,
};

static const struct option init_long_options[] = {{"help", no_argument, NULL, 'h'},
                                                  {"version", no_argument, NULL, OPT_VERSION},
                                                  {"grace", required_argument, NULL, OPT_GRACE},
                                                  {"pause", no_argument, NULL, 'P'},
                                                  {}};

static const char *env_get(char *const *envp, const char *name) {
        size_t len = strlen(name);

        for (; envp && *envp; envp++)
                if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
                        return *envp + len + 1;
        return NULL;
}

/* Parses "N" or "N.FFF" seconds into milliseconds, at most INIT_GRACE_MAX_MS. */
static int parse_seconds_ms(const char *s, unsigned *ret_ms) {
        unsigned long ms = 0;
        unsigned scale = 1000;
        bool digits = false, dot = false;

        for (; *s; s++) {
                if (*s == '.' && !dot) {
                        dot = true;
                        continue;
                }
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                digits = true;
                if (!dot)
                        ms = ms * 10 + (unsigned long) (*s - '0') * 1000;
                else if (scale > 1) {
                        scale /= 10;
                        ms += (unsigned long) (*s - '0') * scale;
                }
                if (ms > INIT_GRACE_MAX_MS)
                        return -ERANGE;
        }
        if (!digits)
                return -EINVAL;
        *ret_ms = (unsigned) ms;
        return 0;
}

static int parse_small_int(const char *s, int max) {
        return signal_parse_small_number(s, 0, max);
}

#define FAIL(...)                                      \
        do {                                           \
                snprintf(errbuf, errlen, __VA_ARGS__); \
                return -EINVAL;                        \
        } while (0)

static int apply_environment(InitOptions *o, char *const *envp, char *errbuf, size_t errlen) {
        const char *e;

        /* As tini: set at all, even empty, means yes (krallin/tini:src/tini.c parse_env). */
        if (env_get(envp, "TINI_SUBREAPER"))
                o->subreaper = true;
        if (env_get(envp, "TINI_KILL_PROCESS_GROUP"))
                o->kill_process_group = true;
        e = env_get(envp, "TINI_VERBOSITY");
        if (e) {
                int v = parse_small_int(e, 99);

                if (v < 0)
                        FAIL("invalid TINI_VERBOSITY '%s': expected a number", e);
                o->verbosity = v;
        }
        return 0;
}

int init_options_parse(
        int argc, char **argv, char *const *envp, InitOptions *ret, char *errbuf, size_t errlen) {
        InitOptions o = {
                .action = INIT_ACTION_RUN,
                .verbosity = 1,
                .grace_ms = INIT_GRACE_DEFAULT_MS,
        };
        int c, r;

        r = apply_environment(&o, envp, errbuf, errlen);
        if (r < 0)
                return r;

        /* "+": stop at PROGRAM, so that its own options are passed through untouched (glibc would otherwise
         * permute "tether-init ls -l" into our -l). optind = 0 fully resets glibc's and musl's getopt. */
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:hsgp:e:vwlP", init_long_options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        o.action = INIT_ACTION_HELP;
                        break;
                case OPT_VERSION:
                        o.action = INIT_ACTION_VERSION;
                        break;
                case 'l':
                        o.action = INIT_ACTION_LICENSE;
                        break;
                case 's':
                        o.subreaper = true;
                        break;
                case 'g':
                        o.kill_process_group = true;
                        break;
                case 'w':
                        o.warn_on_reap = true;
                        break;
                case 'v':
                        if (o.verbosity < 99)
                                o.verbosity++;
                        break;
                case 'P':
                        if (o.action == INIT_ACTION_RUN)
                                o.action = INIT_ACTION_PAUSE;
                        break;
                case 'p':
                        r = signal_from_string(optarg);
                        if (r < 0)
                                FAIL("invalid signal '%s' for -p", optarg);
                        o.parent_death_signal = r;
                        break;
                case 'e':
                        r = parse_small_int(optarg, 255);
                        if (r < 0)
                                FAIL("invalid exit code '%s' for -e: expected 0..255", optarg);
                        o.remap_to_zero[r / 8] |= 1U << (r % 8);
                        break;
                case OPT_GRACE:
                        if (parse_seconds_ms(optarg, &o.grace_ms) < 0)
                                FAIL("invalid --grace '%s': expected seconds, 0 to %u",
                                     optarg,
                                     INIT_GRACE_MAX_MS / 1000);
                        break;
                case ':':
                        /* Name a short option by optopt: when it is the last argument, musl leaves optind
                         * past argc, so argv[optind - 1] is the terminating NULL ("option '(null)'"). */
                        if (optopt > 0 && optopt < OPT_VERSION)
                                FAIL("option '-%c' needs an argument", optopt);
                        FAIL("option '%s' needs an argument", argv[optind - 1]);
                default:
                        if (optopt && strncmp(argv[optind - 1], "--", 2) != 0)
                                FAIL("unknown option '-%c'", optopt);
                        FAIL("unknown option '%s'", argv[optind - 1]);
                }
        }

        if (o.action == INIT_ACTION_RUN) {
                if (optind >= argc)
                        FAIL("no program given");
                o.argv = argv + optind;
        } else if (o.action == INIT_ACTION_PAUSE && optind < argc)
                FAIL("--pause takes no program, got '%s'", argv[optind]);

        *ret = o;
        return 0;
}
