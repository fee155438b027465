/* The checks of a config against the namespaces it would run in (oci-validate.h). */

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "oci-validate.h"

/* As runc's messages name them. */
static const char *const ns_labels[_OCI_NAMESPACE_TYPE_MAX] = {
        [OCI_NAMESPACE_MOUNT] = "mount",
        [OCI_NAMESPACE_PID] = "PID",
        [OCI_NAMESPACE_NETWORK] = "network",
        [OCI_NAMESPACE_IPC] = "IPC",
        [OCI_NAMESPACE_UTS] = "UTS",
        [OCI_NAMESPACE_USER] = "user",
        [OCI_NAMESPACE_CGROUP] = "cgroup",
        [OCI_NAMESPACE_TIME] = "time",
};

/* Fills in reterr (if not NULL) and returns error, so that "return fail(reterr, -errno, ...);" keeps errno:
 * the arguments are evaluated before the body runs. */
_printf_(4, 5) static int fail(OciError *reterr, int error, const char *path, const char *fmt, ...) {
        va_list ap;

        if (!reterr)
                return error;
        *reterr = (OciError){};
        snprintf(reterr->path, sizeof(reterr->path), "%s", path);
        va_start(ap, fmt);
        vsnprintf(reterr->message, sizeof(reterr->message), fmt, ap);
        va_end(ap);
        return error;
}

/* Whether the container's namespace of type t is another than the one we run in: a new one, or one joined
 * by a path that names another. runc compares a joined network namespace with /proc/self/ns/net alone
 * ("here 'host' means 'current', not 'initial'", validator.go isHostNetNS); we do it for every type we
 * ask about, since joining our own UTS or IPC namespace changes ours as surely as joining none.
 * Returns 1, 0, or -errno (with reterr filled in) when the path cannot be looked at. */
static int namespace_is_private(const OciConfig *c, OciNamespaceType t, OciError *reterr) {
        const OciNamespace *ns = oci_config_get_namespace(c, t);
        struct stat ours, theirs;
        char own[32];

        if (!ns)
                return 0;
        if (!ns->path)
                return 1;
        if (stat(ns->path, &theirs) < 0)
                return fail(reterr,
                            -errno,
                            "linux.namespaces",
                            "cannot look at the %s namespace '%s'",
                            oci_namespace_type_to_string(t),
                            ns->path);
        snprintf(own, sizeof(own), "/proc/self/ns/%s", oci_namespace_type_to_proc_name(t));
        if (stat(own, &ours) < 0)
                return fail(
                        reterr, -errno, "linux.namespaces", "cannot look at our own namespace '%s'", own);
        return ours.st_dev != theirs.st_dev || ours.st_ino != theirs.st_ino;
}

/* runc's uts(): sethostname() and setdomainname() change the UTS namespace the container's process is in. */
static int check_names(const OciConfig *c, OciError *reterr) {
        const char *field = c->hostname ? "hostname" : c->domainname ? "domainname" : NULL;
        int r;

        if (!field)
                return 0;
        r = namespace_is_private(c, OCI_NAMESPACE_UTS, reterr);
        if (r < 0)
                return r;
        if (r == 0)
                return fail(
                        reterr, -EINVAL, field, "unable to set %s without a private UTS namespace", field);
        return 0;
}

/* The IPC namespace's sysctls besides fs.mqueue.*: runc's validSysctlMap. */
static const char *const ipc_sysctls[] = {
        "kernel.msgmax",
        "kernel.msgmnb",
        "kernel.msgmni",
        "kernel.sem",
        "kernel.shmall",
        "kernel.shmmax",
        "kernel.shmmni",
        "kernel.shm_rmid_forced",
};

static bool is_ipc_sysctl(const char *key) {
        if (strncmp(key, "fs.mqueue.", strlen("fs.mqueue.")) == 0)
                return true;
        for (size_t i = 0; i < ELEMENTSOF(ipc_sysctls); i++)
                if (strcmp(key, ipc_sysctls[i]) == 0)
                        return true;
        return false;
}

/* The namespace a sysctl lives in, after runc's sysctl(): /proc/sys is not all namespaced, and what is
 * belongs to the namespace of the process that writes it. _OCI_NAMESPACE_TYPE_INVALID for the host's. */
static OciNamespaceType sysctl_namespace(const char *key) {
        if (is_ipc_sysctl(key))
                return OCI_NAMESPACE_IPC;
        if (strncmp(key, "net.", strlen("net.")) == 0)
                return OCI_NAMESPACE_NETWORK;
        if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0)
                return OCI_NAMESPACE_UTS;
        /* runc: writable on behalf of the initial user namespace without one, where it would raise limits
         * (max_user_namespaces) an admin had lowered, for the whole host. */
        if (strncmp(key, "user.", strlen("user.")) == 0)
                return OCI_NAMESPACE_USER;
        return _OCI_NAMESPACE_TYPE_INVALID;
}

/* known[t]: whether namespace type t is private, as oci_config_validate() caches it. */
static int check_sysctl(const OciConfig *c, const char *key, int known[], OciError *reterr) {
        OciNamespaceType t;

        /* process_apply_sysctl() maps the dots to slashes; a '/' or '..' could walk out of /proc/sys.
         * runc also takes "net/ipv4/ip_forward" (validator.go convertSysctlVariableToDotsSeparator). */
        if (strchr(key, '/') || strstr(key, ".."))
                return fail(reterr,
                            -EINVAL,
                            "linux.sysctl",
                            "invalid sysctl '%s': expected a name with dots, such as 'net.ipv4.ip_forward'",
                            key);
        t = sysctl_namespace(key);
        if (t < 0)
                return fail(reterr,
                            -EINVAL,
                            "linux.sysctl",
                            "sysctl '%s' is not in a separate kernel namespace: it would change the host's",
                            key);
        if (known[t] < 0) {
                known[t] = namespace_is_private(c, t, reterr);
                if (known[t] < 0)
                        return known[t];
        }
        if (known[t] == 0)
                return fail(reterr,
                            -EINVAL,
                            "linux.sysctl",
                            "unable to set sysctl '%s' without a private %s namespace",
                            key,
                            ns_labels[t]);
        /* runc: namespaced, but the OCI field "hostname" says it, and one of the two would lose. */
        if (strcmp(key, "kernel.hostname") == 0)
                return fail(
                        reterr,
                        -EINVAL,
                        "linux.sysctl",
                        "sysctl 'kernel.hostname' is not allowed: it conflicts with the OCI field 'hostname'");
        return 0;
}

int oci_config_validate(const OciConfig *c, OciError *reterr) {
        /* Per namespace type: 1 private, 0 not, -1 not looked at yet. Looked at once, as runc's netOnce. */
        int known[_OCI_NAMESPACE_TYPE_MAX];
        int r;

        r = check_names(c, reterr);
        if (r < 0)
                return r;
        for (size_t t = 0; t < ELEMENTSOF(known); t++)
                known[t] = -1;
        for (size_t i = 0; i < c->n_sysctl; i++) {
                r = check_sysctl(c, c->sysctl[i].key, known, reterr);
                if (r < 0)
                        return r;
        }
        /* Mounts and pivot_root in the caller's own mount namespace would change every other process's view
         * of the host, and its root. One joined by path is fine: the container gets its own inside it
         * (container.c). */
        if (!oci_config_get_namespace(c, OCI_NAMESPACE_MOUNT))
                return fail(reterr,
                            -EINVAL,
                            "linux.namespaces",
                            "linux.namespaces has no 'mount' namespace: a container needs one of its own");
        return 0;
}
