/* The checks of a config against the namespaces it would run in (oci-validate.h). */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "oci-validate.h"

/* The names of /proc/PID/ns/, in the order of OciNamespaceType. */
static const char *const proc_ns_names[_OCI_NAMESPACE_TYPE_MAX] = {
        [OCI_NAMESPACE_MOUNT] = "mnt",
        [OCI_NAMESPACE_PID] = "pid",
        [OCI_NAMESPACE_NETWORK] = "net",
        [OCI_NAMESPACE_IPC] = "ipc",
        [OCI_NAMESPACE_UTS] = "uts",
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
        snprintf(own, sizeof(own), "/proc/self/ns/%s", proc_ns_names[t]);
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

int oci_config_validate(const OciConfig *c, OciError *reterr) {
        return check_names(c, reterr);
}
