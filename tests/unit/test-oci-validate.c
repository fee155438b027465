/* The checks of a parsed config against the namespaces it would run in: each setting that would change
 * the runtime's own namespaces is refused with its own message; the same setting with a namespace of the
 * container's own passes. */

#include <stdio.h>
#include <string.h>

#include "oci-config.h"
#include "oci-validate.h"
#include "tap.h"

/* A valid start; the tests append "linux" and the fields they are about, and the closing brace. */
#define BASE "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, "
/* Every config has a mount namespace of its own, which the validation asks for last. */
#define NS_NONE "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}]"
#define NS(...) "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}, " __VA_ARGS__ "]"
#define UTS "{\"type\": \"uts\"}"

static int validate(const char *json, OciError *err) {
        _cleanup_(oci_config_freep) OciConfig *c = NULL;
        OciError parse_error = {};
        int r;

        r = oci_config_parse(json, strlen(json), NULL, &c, &parse_error);
        if (!tap_ok(r == 0, "parses: %s", json)) {
                printf("#   %d: %s\n", r, parse_error.message);
                return r;
        }
        return oci_config_validate(c, err);
}

static void expect_ok(const char *json) {
        OciError err = {};
        int r = validate(json, &err);

        if (!tap_ok(r == 0, "allowed: %s", json))
                printf("#   %d: %s\n", r, err.message);
}

static void expect_refused(const char *json, int error, const char *path, const char *message) {
        OciError err = {};

        TAP_EQ_INT(validate(json, &err), error);
        TAP_EQ_STR(err.path, path);
        TAP_EQ_STR(err.message, message);
}

static void test_mount_namespace(void) {
        expect_refused(BASE "\"linux\": {\"namespaces\": [{\"type\": \"pid\"}]}}",
                       -EINVAL,
                       "linux.namespaces",
                       "linux.namespaces has no 'mount' namespace: a container needs one of its own");
        expect_refused(BASE "\"process\": {\"args\": [\"true\"], \"cwd\": \"/\"}}",
                       -EINVAL,
                       "linux.namespaces",
                       "linux.namespaces has no 'mount' namespace: a container needs one of its own");
        expect_ok(BASE
                  "\"linux\": {\"namespaces\": [{\"type\": \"mount\", \"path\": \"/proc/self/ns/mnt\"}]}}");
}

static void test_names(void) {
        expect_ok(BASE "\"hostname\": \"h\", \"domainname\": \"d\", " NS(UTS) "}}");
        expect_ok(BASE NS_NONE "}}");
        expect_refused(BASE "\"hostname\": \"h\", " NS_NONE "}}",
                       -EINVAL,
                       "hostname",
                       "unable to set hostname without a private UTS namespace");
        expect_refused(BASE "\"hostname\": \"h\"}",
                       -EINVAL,
                       "hostname",
                       "unable to set hostname without a private UTS namespace");
        /* An empty name is a name too: sethostname("", 0) would clear ours. */
        expect_refused(BASE "\"hostname\": \"\", " NS("{\"type\": \"pid\"}") "}}",
                       -EINVAL,
                       "hostname",
                       "unable to set hostname without a private UTS namespace");
        expect_refused(BASE "\"domainname\": \"d\", " NS("{\"type\": \"network\"}") "}}",
                       -EINVAL,
                       "domainname",
                       "unable to set domainname without a private UTS namespace");
        /* Our own namespace, joined by path, is no private one. */
        expect_refused(
                BASE "\"hostname\": \"h\", " NS("{\"type\": \"uts\", \"path\": \"/proc/self/ns/uts\"}") "}}",
                -EINVAL,
                "hostname",
                "unable to set hostname without a private UTS namespace");
        expect_refused(
                BASE "\"hostname\": \"h\", " NS("{\"type\": \"uts\", \"path\": \"/nonexistent/uts\"}") "}}",
                -ENOENT,
                "linux.namespaces",
                "cannot look at the uts namespace '/nonexistent/uts'");
}

#define SYSCTL(key) ", \"sysctl\": {\"" key "\": \"1\"}}}"
#define ALL_NS NS("{\"type\": \"ipc\"}, {\"type\": \"network\"}, {\"type\": \"uts\"}, {\"type\": \"user\"}")

static void test_sysctl(void) {
        static const char *const allowed[] = {
                BASE ALL_NS SYSCTL("kernel.msgmax"),
                BASE ALL_NS SYSCTL("kernel.msgmnb"),
                BASE ALL_NS SYSCTL("kernel.msgmni"),
                BASE ALL_NS SYSCTL("kernel.sem"),
                BASE ALL_NS SYSCTL("kernel.shmall"),
                BASE ALL_NS SYSCTL("kernel.shmmax"),
                BASE ALL_NS SYSCTL("kernel.shmmni"),
                BASE ALL_NS SYSCTL("kernel.shm_rmid_forced"),
                BASE ALL_NS SYSCTL("fs.mqueue.msg_max"),
                BASE ALL_NS SYSCTL("net.ipv4.ip_forward"),
                BASE ALL_NS SYSCTL("kernel.domainname"),
                BASE ALL_NS SYSCTL("user.max_user_namespaces"),
                BASE NS("{\"type\": \"ipc\"}") SYSCTL("kernel.shmmax"),
                BASE NS("{\"type\": \"network\"}") SYSCTL("net.core.somaxconn"),
                BASE NS_NONE ", \"sysctl\": {}}}",
        };
        /* Each refused whatever the namespaces: the host's. */
        static const char *const not_namespaced[] = {
                "fs.lease-break-time",
                "kernel.panic",
                "vm.overcommit_memory",
                "kernel.msgmax2",
                "kernel.sem_next_id",
                "fs.mqueue",
                "netx.y",
        };
        char json[512], message[256];

        for (size_t i = 0; i < ELEMENTSOF(allowed); i++)
                expect_ok(allowed[i]);
        for (size_t i = 0; i < ELEMENTSOF(not_namespaced); i++) {
                snprintf(json,
                         sizeof(json),
                         BASE ALL_NS ", \"sysctl\": {\"%s\": \"1\"}}}",
                         not_namespaced[i]);
                snprintf(message,
                         sizeof(message),
                         "sysctl '%s' is not in a separate kernel namespace: it would change the host's",
                         not_namespaced[i]);
                expect_refused(json, -EINVAL, "linux.sysctl", message);
        }

        expect_refused(BASE NS("{\"type\": \"network\"}, {\"type\": \"uts\"}") SYSCTL("kernel.msgmax"),
                       -EINVAL,
                       "linux.sysctl",
                       "unable to set sysctl 'kernel.msgmax' without a private IPC namespace");
        expect_refused(BASE NS("{\"type\": \"network\"}") SYSCTL("fs.mqueue.queues_max"),
                       -EINVAL,
                       "linux.sysctl",
                       "unable to set sysctl 'fs.mqueue.queues_max' without a private IPC namespace");
        expect_refused(BASE NS("{\"type\": \"ipc\", \"path\": \"/proc/self/ns/ipc\"}") SYSCTL("kernel.sem"),
                       -EINVAL,
                       "linux.sysctl",
                       "unable to set sysctl 'kernel.sem' without a private IPC namespace");
        expect_refused(BASE NS("{\"type\": \"ipc\"}") SYSCTL("net.ipv4.ip_forward"),
                       -EINVAL,
                       "linux.sysctl",
                       "unable to set sysctl 'net.ipv4.ip_forward' without a private network namespace");
        expect_refused(BASE NS("{\"type\": \"network\", \"path\": \"/proc/self/ns/net\"}")
                               SYSCTL("net.ipv4.ip_forward"),
                       -EINVAL,
                       "linux.sysctl",
                       "unable to set sysctl 'net.ipv4.ip_forward' without a private network namespace");
        expect_refused(BASE NS("{\"type\": \"network\", \"path\": \"/nonexistent/net\"}")
                               SYSCTL("net.ipv4.ip_forward"),
                       -ENOENT,
                       "linux.namespaces",
                       "cannot look at the network namespace '/nonexistent/net'");
        expect_refused(BASE NS("{\"type\": \"ipc\"}") SYSCTL("kernel.domainname"),
                       -EINVAL,
                       "linux.sysctl",
                       "unable to set sysctl 'kernel.domainname' without a private UTS namespace");
        expect_refused(BASE NS("{\"type\": \"ipc\"}") SYSCTL("kernel.hostname"),
                       -EINVAL,
                       "linux.sysctl",
                       "unable to set sysctl 'kernel.hostname' without a private UTS namespace");
        expect_refused(
                BASE ALL_NS SYSCTL("kernel.hostname"),
                -EINVAL,
                "linux.sysctl",
                "sysctl 'kernel.hostname' is not allowed: it conflicts with the OCI field 'hostname'");
        expect_refused(BASE NS("{\"type\": \"ipc\"}") SYSCTL("user.max_user_namespaces"),
                       -EINVAL,
                       "linux.sysctl",
                       "unable to set sysctl 'user.max_user_namespaces' without a private user namespace");
        expect_refused(
                BASE ALL_NS SYSCTL("net/ipv4/ip_forward"),
                -EINVAL,
                "linux.sysctl",
                "invalid sysctl 'net/ipv4/ip_forward': expected a name with dots, such as 'net.ipv4.ip_forward'");
        expect_refused(
                BASE ALL_NS SYSCTL("net...ipv4"),
                -EINVAL,
                "linux.sysctl",
                "invalid sysctl 'net...ipv4': expected a name with dots, such as 'net.ipv4.ip_forward'");
        /* The first key that is refused is the one named, in the order of the file. */
        expect_refused(
                BASE ALL_NS
                ", \"sysctl\": {\"kernel.shmmax\": \"1\", \"vm.swappiness\": \"1\", \"kernel.panic\": \"1\"}}}",
                -EINVAL,
                "linux.sysctl",
                "sysctl 'vm.swappiness' is not in a separate kernel namespace: it would change the host's");
        /* The name is checked first: a bad hostname is reported even with bad sysctls. */
        expect_refused(BASE "\"hostname\": \"h\", " NS_NONE SYSCTL("vm.swappiness"),
                       -EINVAL,
                       "hostname",
                       "unable to set hostname without a private UTS namespace");
}

int main(void) {
        test_names();
        test_sysctl();
        test_mount_namespace();
        return tap_done();
}
