/* linux.seccomp from config.json to a loaded filter, and the default profile. Each filter is loaded in a
 * forked child that sets no_new_privs first, so no root is needed; the child records what its syscalls
 * returned in shared memory, which needs no syscall that the filter might deny. */

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci-config.h"
#include "seccomp-default.h"
#include "seccomp-filter.h"
#include "tap.h"

#define PROBES_MAX 16

typedef struct Probe {
        long ret;
        int err; /* errno when ret < 0 */
} Probe;

typedef struct Shared {
        int load; /* seccomp_filter_load()'s return */
        const char *what; /* and its *reterr_what: static or in the config, at the same address here */
        bool loaded;
        int nnp_after; /* PR_GET_NO_NEW_PRIVS after the load */
        int trapped; /* si_syscall of a SIGSYS with si_code SYS_SECCOMP */
        size_t n;
        Probe probes[PROBES_MAX];
} Shared;

typedef enum ChildFlags {
        CHILD_NO_NNP = 1 << 0, /* do not set no_new_privs */
        CHILD_DROP_CAPS = 1 << 1, /* drop all capabilities first, CAP_SYS_ADMIN among them */
        CHILD_TRAP_HANDLER = 1 << 2, /* catch SIGSYS */
} ChildFlags;

static Shared *shared;

static void record(long ret) {
        int e = errno;

        if (shared->n < PROBES_MAX)
                shared->probes[shared->n++] = (Probe){.ret = ret, .err = ret < 0 ? e : 0};
}

static void on_sigsys(int sig, siginfo_t *si, void *uc) {
        if (si->si_code == 1 /* SYS_SECCOMP */)
                shared->trapped = si->si_syscall;
}

static int drop_all_caps(void) {
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct d[2] = {};

        return (int) syscall(SYS_capset, &h, d);
}

/* Ends a child in place, by the system call: sanitizers hook _exit() and calls of noreturn functions
 * (leak checks, sigaltstack()), with syscalls that the filter under test may deny. */
#define CHILD_EXIT(code) \
        for (;;)         \
        (void) syscall(SYS_exit_group, (code))

/* Forks; the child loads s and runs fn; returns the child's wait status. */
static int run_child(const OciSeccomp *s, ChildFlags flags, void (*fn)(void)) {
        struct rlimit no_core = {};
        int status;
        pid_t pid;

        memset(shared, 0, sizeof(*shared));
        pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                (void) setrlimit(RLIMIT_CORE, &no_core); /* SIGSYS dumps core by default */
                if (flags & CHILD_TRAP_HANDLER) {
                        struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
                        if (sigaction(SIGSYS, &sa, NULL) < 0)
                                CHILD_EXIT(2);
                }
                if ((flags & CHILD_DROP_CAPS) && drop_all_caps() < 0)
                        CHILD_EXIT(2);
                if (!(flags & CHILD_NO_NNP) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        CHILD_EXIT(2);
                shared->load = seccomp_filter_load(s, &shared->what);
                if (shared->load < 0)
                        CHILD_EXIT(3);
                shared->loaded = true;
                shared->nnp_after = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
                fn();
                CHILD_EXIT(0);
        }
        if (waitpid(pid, &status, 0) < 0)
                return -1;
        return status;
}

static bool exited_ok(int status) {
        return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* A config with this linux.seccomp; single quotes stand for double quotes, to keep the JSON readable. */
static OciConfig *config_new(const char *seccomp) {
        _cleanup_free_ char *json = NULL;
        OciConfig *c = NULL;
        OciError e = {};

        if (asprintf(&json,
                     "{'ociVersion':'1.0.2','root':{'path':'rootfs'},'linux':{'seccomp':%s}}",
                     seccomp) < 0)
                return NULL;
        for (char *p = json; *p; p++)
                if (*p == '\'')
                        *p = '"';
        if (oci_config_parse(json, strlen(json), "test.json", &c, &e) < 0) {
                printf("# parse failed: %s\n", e.message);
                return NULL;
        }
        return c;
}

static void expect_errno(size_t i, int e, const char *what) {
        const Probe *p = &shared->probes[i];
        bool ok = i < shared->n && p->ret == -1 && p->err == e;

        if (!tap_ok(ok, "%s fails with %s", what, strerror(e)))
                printf("#   got %ld, errno %d (%s)%s\n",
                       p->ret,
                       p->err,
                       strerror(p->err),
                       i < shared->n ? "" : ", not run");
}

static void expect_success(size_t i, const char *what) {
        const Probe *p = &shared->probes[i];
        bool ok = i < shared->n && p->ret >= 0;

        if (!tap_ok(ok, "%s succeeds", what))
                printf("#   got %ld, errno %d (%s)%s\n",
                       p->ret,
                       p->err,
                       strerror(p->err),
                       i < shared->n ? "" : ", not run");
}

static void check_loaded(int status, const char *what) {
        if (!tap_ok(shared->loaded && exited_ok(status), "%s: filter loaded, child exited 0", what))
                printf("#   load %d (%s) what '%s', status 0x%x\n",
                       shared->load,
                       strerror(-shared->load),
                       shared->what ?: "",
                       status);
}

static void probe_getcwd_uname(void) {
        char buf[4096];
        struct utsname u;

        record(syscall(SYS_getcwd, buf, sizeof(buf)));
        record(syscall(SYS_uname, &u));
}

static void test_errno_rule(void) {
        _cleanup_(oci_config_freep) OciConfig *c = NULL;

        /* The default errno is EPERM; errnoRet replaces it. */
        c = config_new(
                "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getcwd'],'action':'SCMP_ACT_ERRNO'}]}");
        TAP_OK(c && c->seccomp);
        if (!c)
                return;
        check_loaded(run_child(c->seccomp, 0, probe_getcwd_uname), "getcwd denied");
        expect_errno(0, EPERM, "getcwd under a deny-getcwd rule");
        expect_success(1, "uname under a deny-getcwd rule");
        TAP_EQ_INT(shared->nnp_after, 1);
        c = oci_config_free(c);

        c = config_new("{'defaultAction':'SCMP_ACT_ALLOW',"
                       "'syscalls':[{'names':['uname'],'action':'SCMP_ACT_ERRNO','errnoRet':38}]}");
        TAP_OK(c && c->seccomp);
        if (!c)
                return;
        check_loaded(run_child(c->seccomp, 0, probe_getcwd_uname), "uname denied with errnoRet");
        expect_success(0, "getcwd under a deny-uname rule");
        expect_errno(1, ENOSYS, "uname with errnoRet 38");
}

static void test_default_errno(void) {
        _cleanup_(oci_config_freep) OciConfig *c = NULL;

        /* Everything but what the child needs to end is denied, by the default action. */
        c = config_new("{'defaultAction':'SCMP_ACT_ERRNO',"
                       "'syscalls':[{'names':['exit','exit_group','uname'],'action':'SCMP_ACT_ALLOW'}]}");
        TAP_OK(c && c->seccomp);
        if (!c)
                return;
        check_loaded(run_child(c->seccomp, 0, probe_getcwd_uname), "default ERRNO");
        expect_errno(0, EPERM, "getcwd under default SCMP_ACT_ERRNO");
        expect_success(1, "uname allowed under default SCMP_ACT_ERRNO");
        c = oci_config_free(c);

        c = config_new("{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':38,"
                       "'syscalls':[{'names':['exit','exit_group'],'action':'SCMP_ACT_ALLOW'}]}");
        TAP_OK(c && c->seccomp);
        if (!c)
                return;
        check_loaded(run_child(c->seccomp, 0, probe_getcwd_uname), "default ERRNO with defaultErrnoRet");
        expect_errno(0, ENOSYS, "getcwd with defaultErrnoRet 38");
        expect_errno(1, ENOSYS, "uname with defaultErrnoRet 38");
}

static void probe_personality(void) {
        record(syscall(SYS_personality, PER_LINUX32));
        record(syscall(SYS_personality, UNAME26));
        record(syscall(SYS_personality, 0xffffffffUL));
        record(syscall(SYS_personality, ADDR_NO_RANDOMIZE));
        record(syscall(SYS_personality, ADDR_NO_RANDOMIZE | PER_LINUX32));
}

static void test_args(void) {
        _cleanup_(oci_config_freep) OciConfig *c = NULL;

        /* One comparison: only that value is denied. */
        c = config_new("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['personality'],"
                       "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':8,'op':'SCMP_CMP_EQ'}]}]}");
        TAP_OK(c && c->seccomp);
        if (!c)
                return;
        check_loaded(run_child(c->seccomp, 0, probe_personality), "personality(PER_LINUX32) denied");
        expect_errno(0, EPERM, "personality(PER_LINUX32) under an EQ 8 rule");
        expect_success(1, "personality(UNAME26) under an EQ 8 rule");
        expect_success(2, "personality(0xffffffff) under an EQ 8 rule");
        c = oci_config_free(c);

        /* Two comparisons of the same argument are alternatives (separate rules), not both at once. */
        c = config_new("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['personality'],"
                       "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':8,'op':'SCMP_CMP_EQ'},"
                       "{'index':0,'value':131072,'op':'SCMP_CMP_EQ'}]}]}");
        TAP_OK(c && c->seccomp);
        if (!c)
                return;
        check_loaded(run_child(c->seccomp, 0, probe_personality), "two comparisons of arg 0");
        expect_errno(0, EPERM, "personality(PER_LINUX32), first of two comparisons of arg 0");
        expect_errno(1, EPERM, "personality(UNAME26), second of two comparisons of arg 0");
        expect_success(2, "personality(0xffffffff), neither comparison");
        c = oci_config_free(c);

        /* MASKED_EQ: value is the mask, valueTwo the datum. */
        c = config_new("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['personality'],"
                       "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':262152,'valueTwo':262144,"
                       "'op':'SCMP_CMP_MASKED_EQ'}]}]}");
        TAP_OK(c && c->seccomp);
        if (!c)
                return;
        check_loaded(run_child(c->seccomp, 0, probe_personality), "MASKED_EQ");
        expect_success(0, "personality(PER_LINUX32) & 0x40008 != 0x40000");
        expect_errno(3, EPERM, "personality(ADDR_NO_RANDOMIZE) & 0x40008 == 0x40000");
        expect_success(4, "personality(ADDR_NO_RANDOMIZE|PER_LINUX32) & 0x40008 != 0x40000");
}

static void probe_getpriority(void) {
        record(syscall(SYS_getpriority, PRIO_PROCESS, 0));
        record(syscall(SYS_getpriority, PRIO_PROCESS, 999999999));
        record(syscall(SYS_getpriority, PRIO_PGRP, 999999999));
}

static void test_args_and(void) {
        _cleanup_(oci_config_freep) OciConfig *c = NULL;

        /* Comparisons of different arguments must all match. */
        c = config_new("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getpriority'],"
                       "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':0,'op':'SCMP_CMP_EQ'},"
                       "{'index':1,'value':999999999,'op':'SCMP_CMP_EQ'}]}]}");
        TAP_OK(c && c->seccomp);
        if (!c)
                return;
        check_loaded(run_child(c->seccomp, 0, probe_getpriority), "comparisons of args 0 and 1");
        expect_success(0, "getpriority(PRIO_PROCESS, 0), arg 1 differs");
        expect_errno(1, EPERM, "getpriority(PRIO_PROCESS, 999999999), both match");
        expect_errno(2, ESRCH, "getpriority(PRIO_PGRP, 999999999), arg 0 differs, so the kernel's");
}

static void probe_getcwd(void) {
        char buf[4096];

        record(syscall(SYS_getcwd, buf, sizeof(buf)));
}

static void test_actions(void) {
        static const struct {
                const char *action;
                int signal; /* the child dies of it; 0: exits */
                int err; /* getcwd's errno; 0: succeeds */
        } cases[] = {
                {"SCMP_ACT_KILL", SIGSYS, 0},
                {"SCMP_ACT_KILL_PROCESS", SIGSYS, 0},
                {"SCMP_ACT_KILL_THREAD", SIGSYS, 0},
                {"SCMP_ACT_TRACE", 0, ENOSYS}, /* no tracer: ENOSYS, errnoRet is for the tracer */
                {"SCMP_ACT_LOG", 0, 0},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(oci_config_freep) OciConfig *c = NULL;
                _cleanup_free_ char *json = NULL;
                int status;

                if (asprintf(
                            &json,
                            "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getcwd'],'action':'%s'}]}",
                            cases[i].action) < 0)
                        abort();
                c = config_new(json);
                TAP_OK(c && c->seccomp);
                if (!c)
                        continue;
                status = run_child(c->seccomp, 0, probe_getcwd);
                if (cases[i].signal != 0) {
                        if (!tap_ok(shared->loaded && status >= 0 && WIFSIGNALED(status) &&
                                            WTERMSIG(status) == cases[i].signal && shared->n == 0,
                                    "%s: getcwd kills the child with SIGSYS",
                                    cases[i].action))
                                printf("#   status 0x%x, probes run %zu\n", status, shared->n);
                        continue;
                }
                check_loaded(status, cases[i].action);
                if (cases[i].err != 0)
                        expect_errno(0, cases[i].err, cases[i].action);
                else
                        expect_success(0, cases[i].action);
        }
}

/* The filter in libseccomp's pseudo filter code, for what a test cannot observe from a syscall. */
static char *filter_pfc(scmp_filter_ctx ctx) {
        _cleanup_close_ int fd = memfd_create("pfc", MFD_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        off_t size;

        if (fd < 0 || seccomp_export_pfc(ctx, fd) < 0)
                return NULL;
        size = lseek(fd, 0, SEEK_CUR);
        if (size < 0)
                return NULL;
        buf = calloc(1, (size_t) size + 1);
        if (!buf || pread(fd, buf, (size_t) size, 0) != size)
                return NULL;
        return TAKE_PTR(buf);
}

static void test_trap_and_trace_errno(void) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        _cleanup_(oci_config_freep) OciConfig *c = NULL;
        _cleanup_free_ char *pfc = NULL;

        c = config_new(
                "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getcwd'],'action':'SCMP_ACT_TRAP'}]}");
        TAP_OK(c && c->seccomp);
        if (!c)
                return;
        check_loaded(run_child(c->seccomp, CHILD_TRAP_HANDLER, probe_getcwd), "SCMP_ACT_TRAP");
        TAP_EQ_INT(shared->trapped, SYS_getcwd);
        c = oci_config_free(c);

        /* Without a tracer SCMP_ACT_TRACE fails with ENOSYS whatever its data, which only the tracer
         * sees: look for errnoRet in the filter. */
        c = config_new("{'defaultAction':'SCMP_ACT_ALLOW',"
                       "'syscalls':[{'names':['getcwd'],'action':'SCMP_ACT_TRACE','errnoRet':38},"
                       "{'names':['uname'],'action':'SCMP_ACT_TRACE'}]}");
        TAP_OK(c && c->seccomp);
        if (!c)
                return;
        TAP_EQ_INT(seccomp_filter_build(c->seccomp, &ctx, NULL), 0);
        pfc = ctx ? filter_pfc(ctx) : NULL;
        TAP_OK(pfc && strstr(pfc, "action TRACE(38)") && strstr(pfc, "action TRACE(1)"));
        check_loaded(run_child(c->seccomp, 0, probe_getcwd), "SCMP_ACT_TRACE with errnoRet");
        expect_errno(0, ENOSYS, "getcwd under SCMP_ACT_TRACE with no tracer");
}

static void test_unknown_and_redundant(void) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        _cleanup_(oci_config_freep) OciConfig *c = NULL;
        const char *what = NULL;

        /* A name libseccomp does not know is skipped; the others of the rule still apply. */
        c = config_new(
                "{'defaultAction':'SCMP_ACT_ALLOW',"
                "'syscalls':[{'names':['tether_no_such_syscall','getcwd'],'action':'SCMP_ACT_ERRNO'}]}");
        TAP_OK(c && c->seccomp);
        if (!c)
                return;
        TAP_EQ_INT(seccomp_filter_build(c->seccomp, &ctx, &what), 0);
        check_loaded(run_child(c->seccomp, 0, probe_getcwd), "unknown syscall name skipped");
        expect_errno(0, EPERM, "getcwd next to an unknown name");
        c = oci_config_free(c);
        seccomp_release(TAKE_PTR(ctx));

        /* Rules equal to the default action are skipped: libseccomp would refuse them. */
        c = config_new(
                "{'defaultAction':'SCMP_ACT_ERRNO','syscalls':[{'names':['getpid'],'action':'SCMP_ACT_ERRNO'},"
                "{'names':['exit','exit_group'],'action':'SCMP_ACT_ALLOW'}]}");
        TAP_OK(c && c->seccomp);
        if (!c)
                return;
        what = NULL;
        TAP_EQ_INT(seccomp_filter_build(c->seccomp, &ctx, &what), 0);
        if (what)
                printf("#   what '%s'\n", what);
}

static void test_refused(void) {
        static const struct {
                const char *seccomp;
                int r;
                const char *what;
        } cases[] = {
                /* No seccomp agent support: refused, not loaded without its listener. */
                {"{'defaultAction':'SCMP_ACT_ALLOW','listenerPath':'/run/agent.sock',"
                 "'syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_NOTIFY'}]}",
                 -EOPNOTSUPP,
                 "SCMP_ACT_NOTIFY"},
                /* An errno that SECCOMP_RET_DATA cannot hold. */
                {"{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getcwd'],'action':'SCMP_ACT_ERRNO','errnoRet':70000}]}",
                 -ERANGE,
                 "getcwd"},
                {"{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':65536}", -ERANGE, "defaultErrnoRet"},
#ifndef SCMP_ARCH_LOONGARCH64 /* libseccomp < 2.6 */
                {"{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_LOONGARCH64']}",
                 -EOPNOTSUPP,
                 "SCMP_ARCH_LOONGARCH64"},
#endif
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
                _cleanup_(oci_config_freep) OciConfig *c = config_new(cases[i].seccomp);
                const char *what = NULL;
                int status;

                TAP_OK(c && c->seccomp);
                if (!c)
                        continue;
                TAP_EQ_INT(seccomp_filter_build(c->seccomp, &ctx, &what), cases[i].r);
                TAP_OK(!ctx);
                TAP_EQ_STR(what, cases[i].what);
                /* Loaded in a child: should it load after all, this process stays unfiltered. */
                status = run_child(c->seccomp, 0, probe_getcwd);
                TAP_OK(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 3);
                TAP_EQ_INT(shared->load, cases[i].r);
                TAP_EQ_STR(shared->what, cases[i].what);
        }
}

static void test_architectures_and_flags(void) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        _cleanup_(oci_config_freep) OciConfig *c = NULL;
        uint32_t v;

        c = config_new("{'defaultAction':'SCMP_ACT_ALLOW'}");
        TAP_OK(c && c->seccomp);
        if (!c)
                return;
        TAP_EQ_INT(seccomp_filter_build(c->seccomp, &ctx, NULL), 0);
        TAP_EQ_INT(seccomp_arch_exist(ctx, seccomp_arch_native()), 0);
#ifdef __x86_64__
        TAP_EQ_INT(seccomp_arch_exist(ctx, SCMP_ARCH_X86), -EEXIST);
#endif
        /* no_new_privs is left to process.noNewPrivileges; no flag, no attribute. */
        TAP_OK(seccomp_attr_get(ctx, SCMP_FLTATR_CTL_NNP, &v) == 0 && v == 0);
        TAP_OK(seccomp_attr_get(ctx, SCMP_FLTATR_CTL_TSYNC, &v) == 0 && v == 0);
        TAP_OK(seccomp_attr_get(ctx, SCMP_FLTATR_CTL_LOG, &v) == 0 && v == 0);
        TAP_OK(seccomp_attr_get(ctx, SCMP_FLTATR_CTL_SSB, &v) == 0 && v == 0);
        seccomp_release(TAKE_PTR(ctx));
        c = oci_config_free(c);

#ifdef __x86_64__
        c = config_new(
                "{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86','SCMP_ARCH_X32'],"
                "'flags':['SECCOMP_FILTER_FLAG_TSYNC','SECCOMP_FILTER_FLAG_LOG','SECCOMP_FILTER_FLAG_SPEC_ALLOW']}");
#else
        c = config_new(
                "{'defaultAction':'SCMP_ACT_ALLOW',"
                "'flags':['SECCOMP_FILTER_FLAG_TSYNC','SECCOMP_FILTER_FLAG_LOG','SECCOMP_FILTER_FLAG_SPEC_ALLOW']}");
#endif
        TAP_OK(c && c->seccomp);
        if (!c)
                return;
        TAP_EQ_INT(seccomp_filter_build(c->seccomp, &ctx, NULL), 0);
        TAP_EQ_INT(seccomp_arch_exist(ctx, seccomp_arch_native()), 0);
#ifdef __x86_64__
        TAP_EQ_INT(seccomp_arch_exist(ctx, SCMP_ARCH_X86), 0);
        TAP_EQ_INT(seccomp_arch_exist(ctx, SCMP_ARCH_X32), 0);
#endif
        TAP_OK(seccomp_attr_get(ctx, SCMP_FLTATR_CTL_TSYNC, &v) == 0 && v == 1);
        TAP_OK(seccomp_attr_get(ctx, SCMP_FLTATR_CTL_LOG, &v) == 0 && v == 1);
        TAP_OK(seccomp_attr_get(ctx, SCMP_FLTATR_CTL_SSB, &v) == 0 && v == 1);
        check_loaded(run_child(c->seccomp, 0, probe_getcwd), "filter with TSYNC, LOG, SPEC_ALLOW");
        expect_success(0, "getcwd under an ALLOW filter with flags");
}

static void test_no_new_privs(void) {
        _cleanup_(oci_config_freep) OciConfig *c = NULL;
        int status;

        /* The filter does not set no_new_privs behind the config's back: without it and without
         * CAP_SYS_ADMIN the kernel refuses the filter. */
        c = config_new(
                "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getcwd'],'action':'SCMP_ACT_ERRNO'}]}");
        TAP_OK(c && c->seccomp);
        if (!c)
                return;
        status = run_child(c->seccomp, CHILD_NO_NNP | CHILD_DROP_CAPS, probe_getcwd);
        TAP_OK(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 3);
        TAP_EQ_INT(shared->load, -EACCES);
        TAP_EQ_STR(shared->what, NULL);
        TAP_EQ_INT(seccomp_filter_load(NULL, NULL), 0);
        if (geteuid() == 0) {
                check_loaded(run_child(c->seccomp, CHILD_NO_NNP, probe_getcwd),
                             "loaded by root without NNP");
                TAP_EQ_INT(shared->nnp_after, 0);
        }
}

/* clang-format off */
static const char *const denied_by_default[] = {
        "unshare", "mount", "umount2", "umount", "keyctl", "add_key", "request_key", "ptrace", "bpf",
        "perf_event_open", "pivot_root", "setns", "swapon", "swapoff", "reboot", "init_module",
        "finit_module", "delete_module", "kexec_load", "kexec_file_load", "open_by_handle_at",
        "name_to_handle_at", "iopl", "ioperm", "settimeofday", "clock_settime", "acct", "lookup_dcookie",
        "quotactl", "userfaultfd", "move_pages", "mbind", "set_mempolicy", "vhangup", "syslog",
        "nfsservctl", "uselib", "ustat", "sysfs", "_sysctl", "fanotify_init", "kcmp", "process_vm_readv",
        "process_vm_writev", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
        "mount_setattr", "pidfd_getfd", "get_mempolicy", "stime", "clock_settime64", "setdomainname",
        "sethostname",
};
/* clang-format on */

/* Whether any rule with action ALLOW names name, whatever its arguments. */
static bool profile_allows(const OciSeccomp *s, const char *name) {
        for (size_t i = 0; i < s->n_syscalls; i++)
                for (char **n = s->syscalls[i].names; *n; n++)
                        if (s->syscalls[i].action == OCI_SECCOMP_ACT_ALLOW && strcmp(*n, name) == 0)
                                return true;
        return false;
}

static void probe_default_profile(void) {
        char buf[4096];
        int status = -1;
        pid_t pid;

        /* fork() is clone() without namespace flags; exec and the dynamic loader need their share. */
        pid = fork();
        if (pid == 0) {
                execl("/bin/true", "true", (char *) NULL);
                CHILD_EXIT(127);
        }
        record(pid < 0 ? -1 : waitpid(pid, &status, 0) < 0 ? -1 : status);
        record(syscall(SYS_getcwd, buf, sizeof(buf)));
        record(syscall(SYS_unshare, CLONE_NEWUSER));
        /* Unconfined these fail otherwise: ENOENT, EOPNOTSUPP, ESRCH, EINVAL. */
        record(syscall(SYS_mount, "none", "/tether-no-such-dir", "tmpfs", 0UL, NULL));
        record(syscall(SYS_keyctl, 9999, 0, 0, 0, 0));
        record(syscall(SYS_ptrace, PTRACE_PEEKDATA, 1, NULL, NULL));
        record(syscall(SYS_clone3, NULL, 0));
        pid = (pid_t) syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid == 0)
                CHILD_EXIT(0);
        record(pid);
        if (pid > 0)
                (void) waitpid(pid, NULL, 0);
        record(syscall(SYS_socket, AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0));
        record(syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        record(syscall(SYS_personality, 0xffffffffUL));
        record(syscall(SYS_personality, ADDR_NO_RANDOMIZE));
}

static void test_default_profile(void) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        _cleanup_(oci_config_freep) OciConfig *c = NULL;
        _cleanup_free_ char *dump = NULL;
        json_auto_t *profile = NULL;
        const char *what = NULL;
        uint32_t v;

        profile = seccomp_default_profile();
        TAP_OK(profile);
        dump = profile ? json_dumps(profile, JSON_COMPACT) : NULL;
        TAP_OK(dump);
        if (!dump)
                return;
        c = config_new(dump);
        TAP_OK(c && c->seccomp);
        if (!c)
                return;
        TAP_EQ_INT(c->seccomp->default_action, OCI_SECCOMP_ACT_ERRNO);
        TAP_OK(c->seccomp->has_default_errno_ret && c->seccomp->default_errno_ret == EPERM);
#ifdef __x86_64__
        TAP_EQ_INT(c->seccomp->n_architectures, 3);
#endif
        TAP_OK(profile_allows(c->seccomp, "read") && profile_allows(c->seccomp, "execve") &&
               profile_allows(c->seccomp, "clone") && profile_allows(c->seccomp, "socket"));
        for (size_t i = 0; i < ELEMENTSOF(denied_by_default); i++)
                tap_ok(!profile_allows(c->seccomp, denied_by_default[i]),
                       "default profile does not allow %s",
                       denied_by_default[i]);

        TAP_EQ_INT(seccomp_filter_build(c->seccomp, &ctx, &what), 0);
        if (what)
                printf("#   what '%s'\n", what);
        /* Hundreds of syscalls: looked up in a binary tree, not one by one. */
        TAP_OK(ctx && seccomp_attr_get(ctx, SCMP_FLTATR_CTL_OPTIMIZE, &v) == 0 && v == 2);

        check_loaded(run_child(c->seccomp, 0, probe_default_profile), "default profile");
        TAP_OK(shared->n > 0 && exited_ok((int) shared->probes[0].ret));
        expect_success(1, "getcwd under the default profile");
        expect_errno(2, EPERM, "unshare(CLONE_NEWUSER) under the default profile");
        expect_errno(3, EPERM, "mount under the default profile");
        expect_errno(4, EPERM, "keyctl under the default profile");
        expect_errno(5, EPERM, "ptrace under the default profile");
        expect_errno(6, ENOSYS, "clone3 under the default profile");
        expect_errno(7, EPERM, "clone(CLONE_NEWUSER) under the default profile");
        expect_errno(8, EPERM, "socket(AF_VSOCK) under the default profile");
        expect_success(9, "socket(AF_UNIX) under the default profile");
        expect_success(10, "personality(0xffffffff) under the default profile");
        expect_errno(11, EPERM, "personality(ADDR_NO_RANDOMIZE) under the default profile");
}

int main(void) {
        shared = mmap(NULL, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shared == MAP_FAILED) {
                tap_skip_all("cannot map shared memory");
                return 0;
        }
        if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
                tap_skip_all("the kernel has no seccomp");
                return 0;
        }

        test_errno_rule();
        test_default_errno();
        test_args();
        test_args_and();
        test_actions();
        test_trap_and_trace_errno();
        test_unknown_and_redundant();
        test_refused();
        test_architectures_and_flags();
        test_no_new_privs();
        test_default_profile();
        return tap_done();
}
