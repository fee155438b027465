/* tether-init's command line and TINI_* environment, parsed without running anything. */

#include <errno.h>
#include <signal.h>

#include "options.h"
#include "tap.h"

/* o->argv points into argv: callers keep argv alive while they look at o (a compound literal inside a
 * TAP_* macro's block would die with the block). */
static int parse(char **argv, char **envp, InitOptions *o, char *err) {
        int argc = 0;

        while (argv[argc])
                argc++;
        return init_options_parse(argc, argv, envp, o, err, 256);
}

#define ARGV(...) ((char *[]){"tether-init", __VA_ARGS__, NULL})

static void test_defaults_and_passthrough(void) {
        InitOptions o;
        char err[256];

        char **sleep_argv = ARGV("sleep", "1");
        char **ls_argv = ARGV("-s", "--", "ls", "-l", "-s");
        char **ls_version_argv = ARGV("ls", "-l", "--version");

        TAP_EQ_INT(parse(sleep_argv, NULL, &o, err), 0);
        TAP_EQ_INT(o.action, INIT_ACTION_RUN);
        TAP_EQ_STR(o.argv[0], "sleep");
        TAP_EQ_STR(o.argv[1], "1");
        TAP_EQ_INT(o.verbosity, 1);
        TAP_EQ_INT(o.grace_ms, INIT_GRACE_DEFAULT_MS);
        TAP_OK(!o.subreaper && !o.kill_process_group && o.parent_death_signal == 0);

        /* The program's own options stay its own, after -- and after the program name. */
        TAP_EQ_INT(parse(ls_argv, NULL, &o, err), 0);
        TAP_OK(o.subreaper);
        TAP_EQ_STR(o.argv[0], "ls");
        TAP_EQ_STR(o.argv[1], "-l");
        TAP_EQ_STR(o.argv[2], "-s");
        TAP_EQ_INT(parse(ls_version_argv, NULL, &o, err), 0);
        TAP_EQ_INT(o.action, INIT_ACTION_RUN);
        TAP_EQ_STR(o.argv[1], "-l");
        TAP_EQ_STR(o.argv[2], "--version");
}

static void test_flags(void) {
        InitOptions o;
        char err[256];

        TAP_EQ_INT(parse(ARGV("-g",
                              "-w",
                              "-vvv",
                              "-p",
                              "SIGKILL",
                              "-e",
                              "143",
                              "-e",
                              "3",
                              "--grace",
                              "2.5",
                              "x"),
                         NULL,
                         &o,
                         err),
                   0);
        TAP_OK(o.kill_process_group && o.warn_on_reap);
        TAP_EQ_INT(o.verbosity, 4);
        TAP_EQ_INT(o.parent_death_signal, SIGKILL);
        TAP_OK(init_options_remaps(&o, 143) && init_options_remaps(&o, 3) && !init_options_remaps(&o, 0) &&
               !init_options_remaps(&o, 2));
        TAP_EQ_INT(o.grace_ms, 2500);

        TAP_EQ_INT(parse(ARGV("--grace", "0", "-p", "15", "x"), NULL, &o, err), 0);
        TAP_EQ_INT(o.grace_ms, 0);
        TAP_EQ_INT(o.parent_death_signal, SIGTERM);

        TAP_EQ_INT(parse(ARGV("--pause"), NULL, &o, err), 0);
        TAP_EQ_INT(o.action, INIT_ACTION_PAUSE);
        TAP_EQ_INT(parse(ARGV("-P"), NULL, &o, err), 0);
        TAP_EQ_INT(o.action, INIT_ACTION_PAUSE);
        TAP_EQ_INT(parse(ARGV("--version"), NULL, &o, err), 0);
        TAP_EQ_INT(o.action, INIT_ACTION_VERSION);
        TAP_EQ_INT(parse(ARGV("-h"), NULL, &o, err), 0);
        TAP_EQ_INT(o.action, INIT_ACTION_HELP);
        TAP_EQ_INT(parse(ARGV("-l"), NULL, &o, err), 0);
        TAP_EQ_INT(o.action, INIT_ACTION_LICENSE);
}

static void test_environment(void) {
        InitOptions o;
        char err[256];

        TAP_EQ_INT(
                parse(ARGV("x"),
                      ((char *[]){"TINI_SUBREAPER=", "TINI_KILL_PROCESS_GROUP=1", "TINI_VERBOSITY=3", NULL}),
                      &o,
                      err),
                0);
        TAP_OK(o.subreaper && o.kill_process_group);
        TAP_EQ_INT(o.verbosity, 3);
        /* -v on top of TINI_VERBOSITY counts from it. */
        TAP_EQ_INT(parse(ARGV("-v", "x"), ((char *[]){"TINI_VERBOSITY=0", NULL}), &o, err), 0);
        TAP_EQ_INT(o.verbosity, 1);
        /* A variable whose name only starts alike is not it. */
        TAP_EQ_INT(parse(ARGV("x"), ((char *[]){"TINI_SUBREAPERX=1", NULL}), &o, err), 0);
        TAP_OK(!o.subreaper);
}

static void expect_error(char **argv, char **envp, const char *message) {
        InitOptions o;
        char err[256] = "";

        TAP_EQ_INT(parse(argv, envp, &o, err), -EINVAL);
        TAP_EQ_STR(err, message);
}

static void test_bad_input(void) {
        expect_error(ARGV("-x"), NULL, "unknown option '-x'");
        expect_error(ARGV("--bogus", "x"), NULL, "unknown option '--bogus'");
        expect_error(ARGV("-p"), NULL, "option '-p' needs an argument");
        expect_error(ARGV("-p", "SIGNOPE", "x"), NULL, "invalid signal 'SIGNOPE' for -p");
        expect_error(ARGV("-e", "256", "x"), NULL, "invalid exit code '256' for -e: expected 0..255");
        expect_error(ARGV("-e", "-1", "x"), NULL, "invalid exit code '-1' for -e: expected 0..255");
        expect_error(
                ARGV("--grace", "soon", "x"), NULL, "invalid --grace 'soon': expected seconds, 0 to 86400");
        expect_error(ARGV("--grace", "100000", "x"),
                     NULL,
                     "invalid --grace '100000': expected seconds, 0 to 86400");
        expect_error(ARGV("--grace", ".", "x"), NULL, "invalid --grace '.': expected seconds, 0 to 86400");
        expect_error(ARGV("-s"), NULL, "no program given");
        expect_error(ARGV("--pause", "sleep"), NULL, "--pause takes no program, got 'sleep'");
        expect_error(ARGV("x"),
                     ((char *[]){"TINI_VERBOSITY=loud", NULL}),
                     "invalid TINI_VERBOSITY 'loud': expected a number");
}

int main(void) {
        test_defaults_and_passthrough();
        test_flags();
        test_environment();
        test_bad_input();
        return tap_done();
}
