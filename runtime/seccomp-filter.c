/* linux.seccomp → libseccomp, after containers/crun:src/libcrun/seccomp.c
 * (libcrun_generate_seccomp) and opencontainers/runc:libcontainer/seccomp/seccomp_linux.go (InitSeccomp,
 * matchCall). */

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "seccomp-filter.h"

#define SECCOMP_ARGS_MAX 6 /* struct seccomp_data has six arguments */

static int fail(const char **reterr_what, const char *what, int r) {
        if (reterr_what)
                *reterr_what = what;
        return r;
}

/* SCMP_ACT_ERRNO and SCMP_ACT_TRACE without errnoRet return EPERM, as in runc and crun. */
static int action_to_scmp(OciSeccompAction a, bool has_errno_ret, uint32_t errno_ret, uint32_t *ret) {
        uint32_t e = has_errno_ret ? errno_ret : EPERM;

        /* SECCOMP_RET_DATA has 16 bits: a larger errnoRet would silently become another errno. */
        if (e > UINT16_MAX)
                return -ERANGE;

        switch (a) {
        case OCI_SECCOMP_ACT_KILL:
                *ret = SCMP_ACT_KILL;
                return 0;
        case OCI_SECCOMP_ACT_KILL_PROCESS:
                *ret = SCMP_ACT_KILL_PROCESS;
                return 0;
        case OCI_SECCOMP_ACT_KILL_THREAD:
                *ret = SCMP_ACT_KILL_THREAD;
                return 0;
        case OCI_SECCOMP_ACT_TRAP:
                *ret = SCMP_ACT_TRAP;
                return 0;
        case OCI_SECCOMP_ACT_ERRNO:
                *ret = SCMP_ACT_ERRNO(e);
                return 0;
        case OCI_SECCOMP_ACT_TRACE:
                *ret = SCMP_ACT_TRACE(e);
                return 0;
        case OCI_SECCOMP_ACT_ALLOW:
                *ret = SCMP_ACT_ALLOW;
                return 0;
        case OCI_SECCOMP_ACT_LOG:
                *ret = SCMP_ACT_LOG;
                return 0;
        case OCI_SECCOMP_ACT_NOTIFY: /* refused before, see check_notify() */
        default:
                return -EINVAL;
        }
}

static enum scmp_compare op_to_scmp(OciSeccompOp op) {
        switch (op) {
        case OCI_SECCOMP_CMP_NE:
                return SCMP_CMP_NE;
        case OCI_SECCOMP_CMP_LT:
                return SCMP_CMP_LT;
        case OCI_SECCOMP_CMP_LE:
                return SCMP_CMP_LE;
        case OCI_SECCOMP_CMP_EQ:
                return SCMP_CMP_EQ;
        case OCI_SECCOMP_CMP_GE:
                return SCMP_CMP_GE;
        case OCI_SECCOMP_CMP_GT:
                return SCMP_CMP_GT;
        case OCI_SECCOMP_CMP_MASKED_EQ:
                return SCMP_CMP_MASKED_EQ;
        default:
                return _SCMP_CMP_MIN;
        }
}

/* SCMP_ACT_NOTIFY hands syscalls to an agent listening on listenerPath: the listener fd has to be sent
 * there right after the load, and the syscalls that send it must not be held (runc refuses NOTIFY on
 * write(2) for that reason). tether has none of that yet; loading such a filter anyway would leave the
 * process hanging in the first notified syscall. */
static int check_notify(const OciSeccomp *s, const char **reterr_what) {
        if (s->default_action == OCI_SECCOMP_ACT_NOTIFY)
                return fail(reterr_what, "SCMP_ACT_NOTIFY", -EOPNOTSUPP);
        for (size_t i = 0; i < s->n_syscalls; i++)
                if (s->syscalls[i].action == OCI_SECCOMP_ACT_NOTIFY)
                        return fail(reterr_what, "SCMP_ACT_NOTIFY", -EOPNOTSUPP);
        return 0;
}

/* seccomp_init() returns NULL both for an action the kernel lacks (SCMP_ACT_KILL_PROCESS before 4.14,
 * SCMP_ACT_LOG) and for OOM; an ALLOW filter tells the two apart. */
static int filter_new(uint32_t default_action, scmp_filter_ctx *ret) {
        scmp_filter_ctx ctx, probe;

        ctx = seccomp_init(default_action);
        if (ctx) {
                *ret = ctx;
                return 0;
        }
        probe = seccomp_init(SCMP_ACT_ALLOW);
        if (!probe)
                return -ENOMEM;
        seccomp_release(probe);
        return -EOPNOTSUPP;
}

/* "SCMP_ARCH_X86_64" → libseccomp's "x86_64", as crun does: whatever this libseccomp knows works, the
 * rest (e.g. SCMP_ARCH_LOONGARCH64 before libseccomp 2.6) fails clearly. */
static int add_architectures(scmp_filter_ctx ctx, const OciSeccomp *s, const char **reterr_what) {
        for (size_t i = 0; i < s->n_architectures; i++) {
                const char *name = oci_seccomp_arch_to_string(s->architectures[i]);
                char lower[32];
                uint32_t token;
                size_t k;
                int r;

                if (!name || strncmp(name, "SCMP_ARCH_", 10) != 0)
                        return fail(reterr_what, name, -EINVAL);
                for (k = 0; name[10 + k] && k < sizeof(lower) - 1; k++)
                        lower[k] = (char) tolower((unsigned char) name[10 + k]);
                lower[k] = '\0';
                token = seccomp_arch_resolve_name(lower);
                if (token == 0)
                        return fail(reterr_what, name, -EOPNOTSUPP);
                r = seccomp_arch_add(ctx, token);
                if (r < 0 && r != -EEXIST) /* the native architecture is always there */
                        return fail(reterr_what, name, r);
        }
        return 0;
}

static int set_attributes(scmp_filter_ctx ctx, const OciSeccomp *s, const char **reterr_what) {
        static const struct {
                OciSeccompFlag flag;
                enum scmp_filter_attr attr;
                const char *name;
        } flag_attrs[] = {
                {OCI_SECCOMP_FLAG_TSYNC, SCMP_FLTATR_CTL_TSYNC, "SECCOMP_FILTER_FLAG_TSYNC"},
                {OCI_SECCOMP_FLAG_LOG, SCMP_FLTATR_CTL_LOG, "SECCOMP_FILTER_FLAG_LOG"},
                {OCI_SECCOMP_FLAG_SPEC_ALLOW, SCMP_FLTATR_CTL_SSB, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"},
        };
        size_t n_names = 0;
        int r;

        /* no_new_privs is process.noNewPrivileges' business, not the filter's: libseccomp would set it on
         * load (runc: filter.SetNoNewPrivsBit(false)). */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (r < 0)
                return fail(reterr_what, NULL, r);
        /* The kernel's errno from seccomp_load() rather than libseccomp's -ECANCELED. */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
        if (r < 0)
                return fail(reterr_what, NULL, r);
        /* A binary tree instead of a linear list of syscalls for long profiles such as docker's; not for
         * short ones, which libseccomp <= 2.5.4 mishandles when empty. runc does the same above 32
         * syscalls, counting names. Optional: older libseccomp lacks it. */
        for (size_t i = 0; i < s->n_syscalls; i++)
                for (char **name = s->syscalls[i].names; *name; name++)
                        n_names++;
        if (n_names > 32)
                (void) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);

        /* SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV only changes how a notifying filter waits for its agent;
         * the kernel refuses it without a listener (kernel/seccomp.c), and tether refuses SCMP_ACT_NOTIFY,
         * so there is nothing it could apply to. */
        for (size_t i = 0; i < ELEMENTSOF(flag_attrs); i++) {
                if (!(s->flags & flag_attrs[i].flag))
                        continue;
                r = seccomp_attr_set(ctx, flag_attrs[i].attr, 1);
                if (r < 0)
                        return fail(reterr_what, flag_attrs[i].name, r);
        }
        return 0;
}

static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, const OciSeccompSyscall *sc) {
        struct scmp_arg_cmp cmp[SECCOMP_ARGS_MAX];
        unsigned seen = 0;
        bool repeated = false;

        if (sc->n_args == 0)
                return seccomp_rule_add(ctx, action, nr, 0);

        for (size_t k = 0; k < sc->n_args; k++) {
                if (sc->args[k].index >= SECCOMP_ARGS_MAX || op_to_scmp(sc->args[k].op) == _SCMP_CMP_MIN)
                        return -EINVAL;
                if (seen & (1U << sc->args[k].index))
                        repeated = true;
                seen |= 1U << sc->args[k].index;
        }

        /* Two comparisons of the same argument become separate rules, so that either matches: docker's
         * profiles rely on it, and runc and crun both do it ("revert to old behavior"). */
        if (repeated) {
                for (size_t k = 0; k < sc->n_args; k++) {
                        struct scmp_arg_cmp one = {
                                .arg = sc->args[k].index,
                                .op = op_to_scmp(sc->args[k].op),
                                .datum_a = sc->args[k].value,
                                .datum_b = sc->args[k].value_two,
                        };
                        int r = seccomp_rule_add_array(ctx, action, nr, 1, &one);
                        if (r < 0)
                                return r;
                }
                return 0;
        }

        /* Distinct indexes below SECCOMP_ARGS_MAX: at most SECCOMP_ARGS_MAX comparisons. For MASKED_EQ
         * value is the mask and valueTwo the datum, as libseccomp takes them. */
        for (size_t k = 0; k < sc->n_args; k++)
                cmp[k] = (struct scmp_arg_cmp){
                        .arg = sc->args[k].index,
                        .op = op_to_scmp(sc->args[k].op),
                        .datum_a = sc->args[k].value,
                        .datum_b = sc->args[k].value_two,
                };
        return seccomp_rule_add_array(ctx, action, nr, (unsigned) sc->n_args, cmp);
}

static int add_syscall(scmp_filter_ctx ctx,
                       const OciSeccompSyscall *sc,
                       uint32_t default_action,
                       const char **reterr_what) {
        uint32_t action;
        int r;

        r = action_to_scmp(sc->action, sc->has_errno_ret, sc->errno_ret, &action);
        if (r < 0)
                return fail(reterr_what, sc->names[0], r);
        /* libseccomp refuses a rule that repeats the default action; it would change nothing anyway. */
        if (action == default_action)
                return 0;

        for (char **name = sc->names; *name; name++) {
                int nr = seccomp_syscall_resolve_name(*name);

                /* Unknown to this libseccomp: a syscall of a newer kernel. Skipped as in runc and crun, or
                 * no profile would work on older systems; the default action covers it. */
                if (nr == __NR_SCMP_ERROR)
                        continue;
                r = add_rule(ctx, action, nr, sc);
                if (r < 0)
                        return fail(reterr_what, *name, r);
        }
        return 0;
}

int seccomp_filter_build(const OciSeccomp *s, scmp_filter_ctx *ret, const char **reterr_what) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        uint32_t default_action;
        int r;

        r = check_notify(s, reterr_what);
        if (r < 0)
                return r;
        r = action_to_scmp(
                s->default_action, s->has_default_errno_ret, s->default_errno_ret, &default_action);
        if (r < 0)
                return fail(reterr_what, r == -ERANGE ? "defaultErrnoRet" : "defaultAction", r);
        r = filter_new(default_action, &ctx);
        if (r < 0)
                return fail(reterr_what, oci_seccomp_action_to_string(s->default_action), r);
        r = add_architectures(ctx, s, reterr_what);
        if (r < 0)
                return r;
        r = set_attributes(ctx, s, reterr_what);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_syscalls; i++) {
                r = add_syscall(ctx, &s->syscalls[i], default_action, reterr_what);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(ctx);
        return 0;
}

int seccomp_filter_load(const OciSeccomp *s, const char **reterr_what) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        int r;

        if (!s)
                return 0;
        r = seccomp_filter_build(s, &ctx, reterr_what);
        if (r < 0)
                return r;
        r = seccomp_load(ctx);
        if (r < 0)
                return fail(reterr_what, NULL, r);
        return 0;
}
