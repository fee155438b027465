/* init-helper: the C parts of bench/init.sh, which compares container inits (tether-init, tini, dumb-init,
 * catatonit) running as PID 1 of a fresh PID namespace. Not a test: run as root, by the script only.
 *
 *   init-helper stdio IN ERR PROG ARGS...  run PROG with stdin from IN and stderr appended to ERR
 *   init-helper orphans N BATCH            as the init's child: make N orphaned zombies, BATCH at a time,
 *                                          and time how long the init takes to reap each batch
 *   init-helper sigchild                   as the init's child: on SIGUSR1 write CLOCK_MONOTONIC to stdout
 *   init-helper siglat N DIR NAME=INIT[,OPT...]...  start every INIT as PID 1 of its own PID namespace with
 *                                          "INIT -- init-helper sigchild", send SIGUSR1 to the inits in
 *                                          turn N times each, print per init the latency until the child's
 *                                          handler ran (median, p99, mean, max in microseconds)
 */

#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define _unused_ __attribute__((unused))

#define INITS_MAX 8
#define SIGNAL_TIMEOUT_MS 5000

static int64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ns(long ns) {
        struct timespec ts = {.tv_nsec = ns};

        (void) nanosleep(&ts, NULL);
}

static int fail(const char *what) {
        fprintf(stderr, "init-helper: %s: %s\n", what, strerror(errno));
        return 1;
}

static int cmd_stdio(char **argv) {
        int in, err;

        in = open(argv[0], O_RDONLY | O_CLOEXEC);
        err = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (in < 0 || err < 0)
                return fail("failed to open the stdio files");
        if (dup2(in, STDIN_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0)
                return fail("failed to set up stdio");
        execvp(argv[2], argv + 2);
        return fail("failed to execute the program");
}

/* Shared with the intermediate child of each batch: the grandchildren it leaves behind and when. */
typedef struct Batch {
        int64_t orphaned_ns;
        int created;
        pid_t pids[];
} Batch;

/* The intermediate: fork k children that exit at once, wait until all are zombies (WNOWAIT leaves them
 * unreaped), note the time and exit, which hands the k zombies to the init in one go. */
_Noreturn static void make_orphans(Batch *b, int k) {
        siginfo_t si;

        for (b->created = 0; b->created < k; b->created++) {
                /* vfork(): fork() copies the page tables, 0.8 ms apiece in this VM; the child only exits. */
                pid_t pid = vfork();

                if (pid == 0)
                        _exit(0);
                if (pid < 0)
                        _exit(1);
                b->pids[b->created] = pid;
        }
        for (int i = 0; i < k; i++)
                if (waitid(P_PID, (id_t) b->pids[i], &si, WEXITED | WNOWAIT) < 0)
                        _exit(1);
        b->orphaned_ns = now_ns();
        _exit(0);
}

/* Polls the orphans one by one until each is gone: kill(pid, 0) is an RCU lookup, where kill(-1, 0) would
 * hold tasklist_lock, which the init's every reap needs for writing. No pid is reused meanwhile: nothing
 * else forks in this namespace while we poll. */
static int64_t wait_reaped(const Batch *b) {
        for (int i = 0; i < b->created;) {
                if (kill(b->pids[i], 0) < 0 && errno == ESRCH)
                        i++;
                else
                        sleep_ns(10000);
        }
        return now_ns();
}

static int cmd_orphans(char **argv) {
        long n = strtol(argv[0], NULL, 10), batch = strtol(argv[1], NULL, 10), done = 0, batches = 0;
        size_t size = sizeof(Batch) + (size_t) batch * sizeof(pid_t);
        int64_t reap_ns = 0, start_ns = now_ns();
        Batch *b;

        if (n <= 0 || batch <= 0)
                return errno = EINVAL, fail("bad orphan count or batch size");
        if (getppid() != 1)
                return errno = EINVAL, fail("not the child of PID 1 in a PID namespace");
        (void) prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
        b = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (b == MAP_FAILED)
                return fail("mmap");

        while (done < n) {
                int k = (int) (n - done < batch ? n - done : batch), status;
                pid_t pid;

                b->created = 0;
                pid = fork();
                if (pid < 0)
                        return fail("fork");
                if (pid == 0)
                        make_orphans(b, k);
                if (waitpid(pid, &status, 0) < 0)
                        return fail("waitpid");
                if (status != 0) {
                        fprintf(stderr, "init-helper: could fork only %d of %d orphans\n", b->created, k);
                        return 1;
                }
                reap_ns += wait_reaped(b) - b->orphaned_ns;
                done += k;
                batches++;
        }
        if (kill(-1, 0) == 0) {
                fprintf(stderr, "init-helper: processes are left in the namespace after reaping\n");
                return 1;
        }
        printf("orphans %ld batches %ld reap_ns %lld total_ns %lld\n",
               done,
               batches,
               (long long) reap_ns,
               (long long) (now_ns() - start_ns));
        return 0;
}

static void on_sigusr1(int sig _unused_) {
        int saved_errno = errno;
        int64_t t = now_ns();

        (void) !write(STDOUT_FILENO, &t, sizeof(t));
        errno = saved_errno;
}

static int cmd_sigchild(void) {
        struct sigaction sa = {.sa_handler = on_sigusr1, .sa_flags = SA_RESTART};
        sigset_t usr1;
        int64_t ready = 0;

        if (sigaction(SIGUSR1, &sa, NULL) < 0)
                return fail("sigaction");
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        if (sigprocmask(SIG_UNBLOCK, &usr1, NULL) < 0)
                return fail("sigprocmask");
        if (write(STDOUT_FILENO, &ready, sizeof(ready)) != sizeof(ready))
                return fail("failed to report readiness");
        for (;;)
                pause(); /* SIGTERM, forwarded by the init, ends us */
}

typedef struct Init {
        const char *name;
        pid_t pid;
        int out_fd; /* the sigchild's stdout */
        int64_t *lat_ns;
} Init;

/* Like "unshare --pid --fork INIT -- SELF sigchild", but we get the init's pid without looking it up. */
static int init_start(Init *init, const char *path, const char *self, const char *dir, int in_fd) {
        char err[4096];
        int out[2], err_fd;
        int64_t ready;

        snprintf(err, sizeof(err), "%s/siglat-%s.stderr", dir, init->name);
        err_fd = open(err, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (err_fd < 0 || pipe2(out, O_CLOEXEC) < 0)
                return -errno;
        init->pid = (pid_t) syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, NULL, NULL, 0);
        if (init->pid < 0)
                return -errno;
        if (init->pid == 0) {
                char *argv[16], *p = strdupa(path);
                int argc = 0;

                /* PATH[,OPTION...] */
                for (char *t = strsep(&p, ","); t && argc < 12; t = strsep(&p, ","))
                        argv[argc++] = t;
                argv[argc++] = "--";
                argv[argc++] = (char *) self;
                argv[argc++] = "sigchild";
                argv[argc] = NULL;
                if (dup2(in_fd, 0) >= 0 && dup2(out[1], 1) >= 0 && dup2(err_fd, 2) >= 0)
                        execv(argv[0], argv);
                _exit(127);
        }
        close(out[1]);
        close(err_fd);
        init->out_fd = out[0];
        if (read(init->out_fd, &ready, sizeof(ready)) != sizeof(ready))
                return -EIO;
        return 0;
}

/* SIGTERM, forwarded to the child, ends both; SIGKILL after 5 s ends an init that does not forward it. */
static int init_stop(const Init *init) {
        int status;

        (void) kill(init->pid, SIGTERM);
        for (int i = 0; i < 5000; i++) {
                pid_t pid = waitpid(init->pid, &status, WNOHANG);

                if (pid < 0)
                        return fail("waitpid"), -errno;
                if (pid > 0)
                        return 0;
                sleep_ns(1000000);
        }
        fprintf(stderr, "init-helper: %s did not exit on SIGTERM, killing it\n", init->name);
        (void) kill(init->pid, SIGKILL);
        (void) waitpid(init->pid, &status, 0);
        return -ETIMEDOUT;
}

static int cmp_i64(const void *a, const void *b) {
        int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;

        return (x > y) - (x < y);
}

/* One SIGUSR1 to the init; returns the latency until the child's handler ran, in ns, or -errno. */
static int64_t signal_once(const Init *init) {
        struct pollfd p = {.fd = init->out_fd, .events = POLLIN};
        int64_t t0, t1;

        t0 = now_ns();
        if (kill(init->pid, SIGUSR1) < 0)
                return -errno;
        if (poll(&p, 1, SIGNAL_TIMEOUT_MS) <= 0)
                return -ETIMEDOUT;
        if (read(init->out_fd, &t1, sizeof(t1)) != sizeof(t1))
                return -EIO;
        return t1 - t0;
}

static void report_latency(const Init *init, int n) {
        int64_t sum = 0;

        qsort(init->lat_ns, (size_t) n, sizeof(int64_t), cmp_i64);
        for (int i = 0; i < n; i++)
                sum += init->lat_ns[i];
        printf("%s %.1f %.1f %.1f %.1f\n",
               init->name,
               init->lat_ns[n / 2] / 1e3,
               init->lat_ns[(n * 99) / 100] / 1e3,
               (double) sum / n / 1e3,
               init->lat_ns[n - 1] / 1e3);
}

static int cmd_siglat(int argc, char **argv) {
        int n = atoi(argv[0]), k = argc - 2, in[2], r = 0;
        const char *dir = argv[1];
        Init inits[INITS_MAX] = {};
        char self[4096];
        ssize_t len;

        len = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0 || k <= 0 || k > INITS_MAX || len < 0 || pipe2(in, O_CLOEXEC) < 0)
                return errno = EINVAL, fail("bad arguments");
        self[len] = '\0';
        (void) prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

        for (int j = 0; j < k; j++) {
                char *eq = strchr(argv[2 + j], '=');

                if (!eq)
                        return errno = EINVAL, fail("expected NAME=INIT");
                *eq = '\0';
                inits[j].name = argv[2 + j];
                inits[j].lat_ns = calloc((size_t) n, sizeof(int64_t));
                if (!inits[j].lat_ns || init_start(&inits[j], eq + 1, self, dir, in[0]) < 0)
                        return fail(inits[j].name);
        }
        /* Interleaved, starting with a different init each round, so that drifting load hits all alike. */
        for (int i = 0; i < n && r == 0; i++)
                for (int m = 0; m < k && r == 0; m++) {
                        Init *init = &inits[(i + m) % k];
                        int64_t lat = signal_once(init);

                        if (lat < 0) {
                                fprintf(stderr,
                                        "init-helper: %s: SIGUSR1 %d not forwarded: %s\n",
                                        init->name,
                                        i,
                                        strerror((int) -lat));
                                r = 1;
                        }
                        init->lat_ns[i] = lat;
                        sleep_ns(200000); /* let both go back to sleep, as between real signals */
                }

        for (int j = 0; j < k; j++) {
                if (init_stop(&inits[j]) < 0)
                        r = 1;
                if (r == 0)
                        report_latency(&inits[j], n);
        }
        return r;
}

int main(int argc, char *argv[]) {
        if (argc >= 5 && strcmp(argv[1], "stdio") == 0)
                return cmd_stdio(argv + 2);
        if (argc == 4 && strcmp(argv[1], "orphans") == 0)
                return cmd_orphans(argv + 2);
        if (argc == 2 && strcmp(argv[1], "sigchild") == 0)
                return cmd_sigchild();
        if (argc >= 5 && strcmp(argv[1], "siglat") == 0)
                return cmd_siglat(argc - 2, argv + 2);
        fprintf(stderr, "usage: see the comment at the top of bench/init-helper.c\n");
        return 2;
}
