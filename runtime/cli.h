#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* The command line's global options, shared by the verbs (runtime/main.c parses them). */
typedef struct GlobalOptions {
        const char *root; /* --root: the state directory, default /run/tether */
        const char *log; /* --log FILE */
        bool log_json; /* --log-format json */
        bool debug; /* --debug */
        bool systemd_cgroup; /* --systemd-cgroup, or --cgroup-manager systemd */
        bool no_cgroup; /* --cgroup-manager disabled (crun's) */
        const char *self_exe; /* the path we were started from, before exe_seal() re-executed us */
        int inherited_fds_end; /* fds 3..this-1 were open when we started: all --preserve-fds may pass */
        char **argv; /* main()'s, for handing the command over to tether-systemd (cli-systemd.c) */
} GlobalOptions;

typedef struct Verb {
        const char *name;
        int (*run)(const GlobalOptions *g, int argc, char **argv);
        bool makes_processes; /* runs processes in containers: needs a sealed binary (exe-seal.h) */
        const char *summary;
} Verb;

/* Each returns the process exit status: 0, 1 on failure, 2 on usage, or the container's (run). */
int verb_create(const GlobalOptions *g, int argc, char **argv);
int verb_start(const GlobalOptions *g, int argc, char **argv);
int verb_ps(const GlobalOptions *g, int argc, char **argv);
int verb_run(const GlobalOptions *g, int argc, char **argv);
int verb_spec(const GlobalOptions *g, int argc, char **argv);
int verb_state(const GlobalOptions *g, int argc, char **argv);
int verb_list(const GlobalOptions *g, int argc, char **argv);
int verb_exec(const GlobalOptions *g, int argc, char **argv);
int verb_features(const GlobalOptions *g, int argc, char **argv);
int verb_kill(const GlobalOptions *g, int argc, char **argv);
int verb_delete(const GlobalOptions *g, int argc, char **argv);
int verb_pause(const GlobalOptions *g, int argc, char **argv);
int verb_resume(const GlobalOptions *g, int argc, char **argv);
int verb_update(const GlobalOptions *g, int argc, char **argv);
int verb_events(const GlobalOptions *g, int argc, char **argv);

/* Opens the state root and validates id; logs and returns -errno on failure. */
int cli_open_container(const GlobalOptions *g, const char *id, int *ret_root_fd, int *ret_dir_fd);

/* Checks that --preserve-fds N passes on only fds the caller gave us, never one of the runtime's own;
 * logs and returns -EBADF if not. */
int cli_check_preserve_fds(const GlobalOptions *g, unsigned n);

/* name (or a relative path) in the directory tether was started from: self_exe (GlobalOptions), else
 * /proc/self/exe's. Whether it is there is the caller's to check. */
int cli_beside_self(const char *self_exe, const char *name, char *buf, size_t size);

/* The systemd cgroup driver is in tether-systemd (cli-systemd.c). Whether this binary has it; the path of
 * the one that has (-ELOOP: this one; else -errno if it is not there). */
bool cli_have_systemd_driver(void);
int cli_systemd_build_path(const GlobalOptions *g, char *buf, size_t size);
/* Without the driver, executes tether-systemd with our argv (what names the object for the error, logged);
 * returns only on failure, -errno. With it, returns 0 at once. */
int cli_systemd_switch(const GlobalOptions *g, const char *what);
/* The same when a container's recorded cgroup is a systemd scope; else 0. */
int cli_systemd_switch_for(const GlobalOptions *g, char **cgroup_paths, const char *id);

/* Waits for pid, our child, forwarding our signals to it; returns its status (128+N after signal N). */
int cli_wait_forwarding(pid_t pid);

/* Receives one fd over a unix socket (SCM_RIGHTS); returns it or -errno. */
int cli_receive_fd(int socket_fd);

/* Relays our stdio to the pty master of pid (our child) until it exits, forwarding signals and window
 * size changes; returns its status as cli_wait_forwarding() does. */
int cli_relay_tty(pid_t pid, int master);

/* -h and --help of every verb, as runc's: prints "Usage: tether VERB USAGE" on stdout; returns 0, the exit
 * status. cli_is_help() says whether arg asks for it, for the verbs without options. */
int cli_help(const char *verb, const char *usage);
bool cli_is_help(const char *arg);

/* Prints "tether VERB: MESSAGE" and the verb's usage on stderr; returns 2. */
int cli_usage_error(const char *verb, const char *usage, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
