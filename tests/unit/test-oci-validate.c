/* The checks of a parsed config against the namespaces it would run in: each setting that would change
 * the runtime's own namespaces is refused with its own message; the same setting with a namespace of the
 * container's own passes. */

#include <stdio.h>

#include "oci-config.h"
#include "oci-validate.h"
#include "tap.h"

/* A valid start; the tests append "linux" and the fields they are about, and the closing brace. */
#define BASE "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, "
#define NS(...) "\"linux\": {\"namespaces\": [" __VA_ARGS__ "]"
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

static void test_names(void) {
        expect_ok(BASE "\"hostname\": \"h\", \"domainname\": \"d\", " NS(UTS) "}}");
        expect_ok(BASE NS() "}}");
        expect_refused(BASE "\"hostname\": \"h\", " NS() "}}",
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

int main(void) {
        test_names();
        return tap_done();
}
