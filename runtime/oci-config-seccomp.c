/* "linux.seccomp": config-linux.md "Seccomp". Syscall names are kept as strings: which exist depends on
 * the architecture, and libseccomp, not this parser, knows them. */

#include <string.h>

#include "oci-config-internal.h"

#define SECCOMP_ARGS_MAX 6 /* struct seccomp_data has six arguments */

static bool action_takes_errno(OciSeccompAction a) {
        return a == OCI_SECCOMP_ACT_ERRNO || a == OCI_SECCOMP_ACT_TRACE;
}

static int parse_action(JsonCtx *c, json_t *v, const char *key, OciSeccompAction *ret) {
        _cleanup_free_ char *s = NULL;
        OciSeccompAction a;
        int r;

        r = json_ctx_string(c, v, key, JSON_F_REQUIRED, &s);
        if (r < 0)
                return r;
        a = oci_seccomp_action_from_string(s);
        if (a < 0) {
                json_ctx_push_key(c, key);
                return json_ctx_error(c, "unknown seccomp action '%.200s'", s);
        }
        *ret = a;
        return 0;
}

/* config-linux.md: "When the action doesn't support an errno, the runtime MUST print and error and fail." */
static int
parse_errno_ret(JsonCtx *c, json_t *v, const char *key, OciSeccompAction a, bool *ret_has, uint32_t *ret) {
        uint64_t x;
        int r;

        r = json_ctx_uint(c, v, key, 0, UINT32_MAX, &x);
        if (r <= 0)
                return r;
        if (!action_takes_errno(a)) {
                json_ctx_push_key(c, key);
                return json_ctx_error(c,
                                      "only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not %s",
                                      oci_seccomp_action_to_string(a));
        }
        *ret_has = true;
        *ret = (uint32_t) x;
        return 0;
}

static int parse_arg(JsonCtx *c, json_t *v, void *item) {
        _cleanup_free_ char *op = NULL;
        OciSeccompArg *a = item;
        uint64_t index;
        int r;

        r = json_ctx_expect(c, v, JSON_OBJECT);
        if (r < 0)
                return r;
        r = json_ctx_uint(c, v, "index", JSON_F_REQUIRED, SECCOMP_ARGS_MAX - 1, &index);
        if (r < 0)
                return r;
        a->index = (unsigned) index;
        r = json_ctx_uint(c, v, "value", JSON_F_REQUIRED, UINT64_MAX, &a->value);
        if (r < 0)
                return r;
        r = json_ctx_uint(c, v, "valueTwo", 0, UINT64_MAX, &a->value_two);
        if (r < 0)
                return r;
        r = json_ctx_string(c, v, "op", JSON_F_REQUIRED, &op);
        if (r < 0)
                return r;
        a->op = oci_seccomp_op_from_string(op);
        if (a->op < 0) {
                json_ctx_push_key(c, "op");
                return json_ctx_error(c, "unknown seccomp operator '%.200s'", op);
        }
        return 0;
}

static void syscall_done(void *item) {
        OciSeccompSyscall *s = item;

        strv_free(s->names);
        free(s->args);
        *s = (OciSeccompSyscall){};
}

static int parse_syscall(JsonCtx *c, json_t *v, void *item) {
        OciSeccompSyscall *s = item;
        int r;

        r = json_ctx_expect(c, v, JSON_OBJECT);
        if (r < 0)
                return r;
        r = json_ctx_strv(c, v, "names", JSON_F_REQUIRED | JSON_F_NONEMPTY, &s->names);
        if (r < 0)
                return r;
        r = parse_action(c, v, "action", &s->action);
        if (r < 0)
                return r;
        r = parse_errno_ret(c, v, "errnoRet", s->action, &s->has_errno_ret, &s->errno_ret);
        if (r < 0)
                return r;
        r = json_ctx_array(c,
                           v,
                           "args",
                           0,
                           sizeof(OciSeccompArg),
                           parse_arg,
                           json_item_done_nop,
                           (void **) &s->args,
                           &s->n_args);
        return r < 0 ? r : 0;
}

static int parse_architectures(JsonCtx *c, json_t *v, OciSeccomp *s) {
        _cleanup_(strv_freep) char **names = NULL;
        size_t n = 0;
        int r;

        r = json_ctx_strv(c, v, "architectures", 0, &names);
        if (r <= 0)
                return r;
        while (names[n])
                n++;
        s->architectures = calloc(n + 1, sizeof(OciSeccompArch));
        if (!s->architectures)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                s->architectures[i] = oci_seccomp_arch_from_string(names[i]);
                if (s->architectures[i] < 0) {
                        json_ctx_push_key(c, "architectures");
                        json_ctx_push_index(c, i);
                        return json_ctx_error(c, "unknown seccomp architecture '%.200s'", names[i]);
                }
        }
        s->n_architectures = n;
        return 0;
}

static int parse_flags(JsonCtx *c, json_t *v, OciSeccomp *s) {
        static const char *const names[] = {
                "SECCOMP_FILTER_FLAG_TSYNC",
                "SECCOMP_FILTER_FLAG_LOG",
                "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
        };
        _cleanup_(strv_freep) char **flags = NULL;
        int r;

        r = json_ctx_strv(c, v, "flags", 0, &flags);
        if (r <= 0)
                return r;
        for (size_t i = 0; flags[i]; i++) {
                size_t k = 0;

                while (k < ELEMENTSOF(names) && strcmp(names[k], flags[i]) != 0)
                        k++;
                if (k == ELEMENTSOF(names)) {
                        json_ctx_push_key(c, "flags");
                        json_ctx_push_index(c, i);
                        return json_ctx_error(c, "unknown seccomp flag '%.200s'", flags[i]);
                }
                s->flags |= 1U << k; /* the order of OciSeccompFlag */
        }
        return 0;
}

/* SCMP_ACT_NOTIFY hands the syscall to an agent at listenerPath; without one the process would hang. */
static int check_notify(JsonCtx *c, const OciSeccomp *s) {
        if (s->default_action == OCI_SECCOMP_ACT_NOTIFY) {
                json_ctx_push_key(c, "defaultAction");
                return json_ctx_error(c, "SCMP_ACT_NOTIFY cannot be the default action");
        }
        for (size_t i = 0; i < s->n_syscalls && !s->listener_path; i++)
                if (s->syscalls[i].action == OCI_SECCOMP_ACT_NOTIFY) {
                        json_ctx_push_key(c, "syscalls");
                        json_ctx_push_index(c, i);
                        json_ctx_push_key(c, "action");
                        return json_ctx_error(c, "SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
                }
        if (s->listener_metadata && !s->listener_path) {
                json_ctx_push_key(c, "listenerMetadata");
                return json_ctx_error(c, "only valid with listenerPath");
        }
        return 0;
}

static int parse_seccomp_fields(JsonCtx *c, json_t *v, OciSeccomp *s) {
        int r;

        r = parse_action(c, v, "defaultAction", &s->default_action);
        if (r < 0)
                return r;
        r = parse_errno_ret(c,
                            v,
                            "defaultErrnoRet",
                            s->default_action,
                            &s->has_default_errno_ret,
                            &s->default_errno_ret);
        if (r < 0)
                return r;
        r = parse_architectures(c, v, s);
        if (r < 0)
                return r;
        r = parse_flags(c, v, s);
        if (r < 0)
                return r;
        r = json_ctx_string(c, v, "listenerPath", JSON_F_NONEMPTY, &s->listener_path);
        if (r < 0)
                return r;
        r = json_ctx_string(c, v, "listenerMetadata", 0, &s->listener_metadata);
        if (r < 0)
                return r;
        r = json_ctx_array(c,
                           v,
                           "syscalls",
                           0,
                           sizeof(OciSeccompSyscall),
                           parse_syscall,
                           syscall_done,
                           (void **) &s->syscalls,
                           &s->n_syscalls);
        if (r < 0)
                return r;
        return check_notify(c, s);
}

int oci_parse_seccomp(JsonCtx *c, json_t *v, void *item) {
        _cleanup_(oci_seccomp_freep) OciSeccomp *s = NULL;
        int r;

        s = calloc(1, sizeof(OciSeccomp));
        if (!s)
                return -ENOMEM;
        r = parse_seccomp_fields(c, v, s);
        if (r < 0)
                return r;
        *(OciSeccomp **) item = TAKE_PTR(s);
        return 0;
}

OciSeccomp *oci_seccomp_free(OciSeccomp *s) {
        if (!s)
                return NULL;
        free(s->architectures);
        free(s->listener_path);
        free(s->listener_metadata);
        for (size_t i = 0; i < s->n_syscalls; i++)
                syscall_done(&s->syscalls[i]);
        free(s->syscalls);
        free(s);
        return NULL;
}
