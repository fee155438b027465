/* The strings of config.json's enumerations, as the spec and its schema (schema/defs-linux.json) spell them.
 */

#include <sched.h>
#include <string.h>

#include "oci-config.h"

static int table_lookup(const char *const *table, int n, const char *s) {
        if (!s)
                return -EINVAL;
        for (int i = 0; i < n; i++)
                if (table[i] && strcmp(table[i], s) == 0)
                        return i;
        return -EINVAL;
}

static const char *table_name(const char *const *table, int n, int i) {
        return i >= 0 && i < n ? table[i] : NULL;
}

static const char *const namespace_type_names[_OCI_NAMESPACE_TYPE_MAX] = {
        [OCI_NAMESPACE_MOUNT] = "mount",
        [OCI_NAMESPACE_PID] = "pid",
        [OCI_NAMESPACE_NETWORK] = "network",
        [OCI_NAMESPACE_IPC] = "ipc",
        [OCI_NAMESPACE_UTS] = "uts",
        [OCI_NAMESPACE_USER] = "user",
        [OCI_NAMESPACE_CGROUP] = "cgroup",
        [OCI_NAMESPACE_TIME] = "time",
};

const char *oci_namespace_type_to_string(OciNamespaceType t) {
        return table_name(namespace_type_names, _OCI_NAMESPACE_TYPE_MAX, t);
}

/* The names of /proc/PID/ns/ entries, which differ from the config's for two types. */
static const char *const namespace_proc_names[_OCI_NAMESPACE_TYPE_MAX] = {
        [OCI_NAMESPACE_MOUNT] = "mnt",
        [OCI_NAMESPACE_PID] = "pid",
        [OCI_NAMESPACE_NETWORK] = "net",
        [OCI_NAMESPACE_IPC] = "ipc",
        [OCI_NAMESPACE_UTS] = "uts",
        [OCI_NAMESPACE_USER] = "user",
        [OCI_NAMESPACE_CGROUP] = "cgroup",
        [OCI_NAMESPACE_TIME] = "time",
};

const char *oci_namespace_type_to_proc_name(OciNamespaceType t) {
        return table_name(namespace_proc_names, _OCI_NAMESPACE_TYPE_MAX, t);
}

OciNamespaceType oci_namespace_type_from_string(const char *s) {
        return table_lookup(namespace_type_names, _OCI_NAMESPACE_TYPE_MAX, s);
}

int oci_namespace_type_to_clone_flag(OciNamespaceType t) {
        static const int flags[_OCI_NAMESPACE_TYPE_MAX] = {
                [OCI_NAMESPACE_MOUNT] = CLONE_NEWNS,
                [OCI_NAMESPACE_PID] = CLONE_NEWPID,
                [OCI_NAMESPACE_NETWORK] = CLONE_NEWNET,
                [OCI_NAMESPACE_IPC] = CLONE_NEWIPC,
                [OCI_NAMESPACE_UTS] = CLONE_NEWUTS,
                [OCI_NAMESPACE_USER] = CLONE_NEWUSER,
                [OCI_NAMESPACE_CGROUP] = CLONE_NEWCGROUP,
                [OCI_NAMESPACE_TIME] = CLONE_NEWTIME,
        };

        if (t < 0 || t >= _OCI_NAMESPACE_TYPE_MAX)
                return -EINVAL;
        return flags[t];
}

static const char *const capability_set_names[_OCI_CAPABILITY_SET_MAX] = {
        [OCI_CAPABILITY_BOUNDING] = "bounding",
        [OCI_CAPABILITY_EFFECTIVE] = "effective",
        [OCI_CAPABILITY_INHERITABLE] = "inheritable",
        [OCI_CAPABILITY_PERMITTED] = "permitted",
        [OCI_CAPABILITY_AMBIENT] = "ambient",
};

const char *oci_capability_set_to_string(OciCapabilitySet s) {
        return table_name(capability_set_names, _OCI_CAPABILITY_SET_MAX, s);
}

static const char *const hook_kind_names[_OCI_HOOK_KIND_MAX] = {
        [OCI_HOOK_PRESTART] = "prestart",
        [OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
        [OCI_HOOK_CREATE_CONTAINER] = "createContainer",
        [OCI_HOOK_START_CONTAINER] = "startContainer",
        [OCI_HOOK_POSTSTART] = "poststart",
        [OCI_HOOK_POSTSTOP] = "poststop",
};

const char *oci_hook_kind_to_string(OciHookKind k) {
        return table_name(hook_kind_names, _OCI_HOOK_KIND_MAX, k);
}

OciHookKind oci_hook_kind_from_string(const char *s) {
        return table_lookup(hook_kind_names, _OCI_HOOK_KIND_MAX, s);
}

static const char *const seccomp_action_names[_OCI_SECCOMP_ACTION_MAX] = {
        [OCI_SECCOMP_ACT_KILL] = "SCMP_ACT_KILL",
        [OCI_SECCOMP_ACT_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
        [OCI_SECCOMP_ACT_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
        [OCI_SECCOMP_ACT_TRAP] = "SCMP_ACT_TRAP",
        [OCI_SECCOMP_ACT_ERRNO] = "SCMP_ACT_ERRNO",
        [OCI_SECCOMP_ACT_TRACE] = "SCMP_ACT_TRACE",
        [OCI_SECCOMP_ACT_ALLOW] = "SCMP_ACT_ALLOW",
        [OCI_SECCOMP_ACT_LOG] = "SCMP_ACT_LOG",
        [OCI_SECCOMP_ACT_NOTIFY] = "SCMP_ACT_NOTIFY",
};

const char *oci_seccomp_action_to_string(OciSeccompAction a) {
        return table_name(seccomp_action_names, _OCI_SECCOMP_ACTION_MAX, a);
}

OciSeccompAction oci_seccomp_action_from_string(const char *s) {
        return table_lookup(seccomp_action_names, _OCI_SECCOMP_ACTION_MAX, s);
}

static const char *const seccomp_op_names[_OCI_SECCOMP_OP_MAX] = {
        [OCI_SECCOMP_CMP_NE] = "SCMP_CMP_NE",
        [OCI_SECCOMP_CMP_LT] = "SCMP_CMP_LT",
        [OCI_SECCOMP_CMP_LE] = "SCMP_CMP_LE",
        [OCI_SECCOMP_CMP_EQ] = "SCMP_CMP_EQ",
        [OCI_SECCOMP_CMP_GE] = "SCMP_CMP_GE",
        [OCI_SECCOMP_CMP_GT] = "SCMP_CMP_GT",
        [OCI_SECCOMP_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

const char *oci_seccomp_op_to_string(OciSeccompOp op) {
        return table_name(seccomp_op_names, _OCI_SECCOMP_OP_MAX, op);
}

OciSeccompOp oci_seccomp_op_from_string(const char *s) {
        return table_lookup(seccomp_op_names, _OCI_SECCOMP_OP_MAX, s);
}

static const char *const seccomp_arch_names[_OCI_SECCOMP_ARCH_MAX] = {
        [OCI_SECCOMP_ARCH_X86] = "SCMP_ARCH_X86",
        [OCI_SECCOMP_ARCH_X86_64] = "SCMP_ARCH_X86_64",
        [OCI_SECCOMP_ARCH_X32] = "SCMP_ARCH_X32",
        [OCI_SECCOMP_ARCH_ARM] = "SCMP_ARCH_ARM",
        [OCI_SECCOMP_ARCH_AARCH64] = "SCMP_ARCH_AARCH64",
        [OCI_SECCOMP_ARCH_LOONGARCH64] = "SCMP_ARCH_LOONGARCH64",
        [OCI_SECCOMP_ARCH_M68K] = "SCMP_ARCH_M68K",
        [OCI_SECCOMP_ARCH_MIPS] = "SCMP_ARCH_MIPS",
        [OCI_SECCOMP_ARCH_MIPS64] = "SCMP_ARCH_MIPS64",
        [OCI_SECCOMP_ARCH_MIPS64N32] = "SCMP_ARCH_MIPS64N32",
        [OCI_SECCOMP_ARCH_MIPSEL] = "SCMP_ARCH_MIPSEL",
        [OCI_SECCOMP_ARCH_MIPSEL64] = "SCMP_ARCH_MIPSEL64",
        [OCI_SECCOMP_ARCH_MIPSEL64N32] = "SCMP_ARCH_MIPSEL64N32",
        [OCI_SECCOMP_ARCH_PPC] = "SCMP_ARCH_PPC",
        [OCI_SECCOMP_ARCH_PPC64] = "SCMP_ARCH_PPC64",
        [OCI_SECCOMP_ARCH_PPC64LE] = "SCMP_ARCH_PPC64LE",
        [OCI_SECCOMP_ARCH_S390] = "SCMP_ARCH_S390",
        [OCI_SECCOMP_ARCH_S390X] = "SCMP_ARCH_S390X",
        [OCI_SECCOMP_ARCH_SH] = "SCMP_ARCH_SH",
        [OCI_SECCOMP_ARCH_SHEB] = "SCMP_ARCH_SHEB",
        [OCI_SECCOMP_ARCH_PARISC] = "SCMP_ARCH_PARISC",
        [OCI_SECCOMP_ARCH_PARISC64] = "SCMP_ARCH_PARISC64",
        [OCI_SECCOMP_ARCH_RISCV64] = "SCMP_ARCH_RISCV64",
};

const char *oci_seccomp_arch_to_string(OciSeccompArch a) {
        return table_name(seccomp_arch_names, _OCI_SECCOMP_ARCH_MAX, a);
}

OciSeccompArch oci_seccomp_arch_from_string(const char *s) {
        return table_lookup(seccomp_arch_names, _OCI_SECCOMP_ARCH_MAX, s);
}
