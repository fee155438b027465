/* cgroups/cgroup-path.c: linux.cgroupsPath against the caller's own group, and controller names. */

#include <stdlib.h>

#include "cgroup.h"
#include "macro.h"
#include "tap.h"

static void check(const char *own, const char *spec, const char *name, int expect_r, const char *expect) {
        _cleanup_free_ char *p = NULL;
        int r;

        r = cgroup_path_resolve(own, spec, name, &p);
        if (!tap_ok(r == expect_r,
                    "resolve('%s', '%s', '%s') returns %d",
                    own,
                    spec ? spec : "(null)",
                    name,
                    expect_r))
                printf("#   got %d\n", r);
        if (expect)
                TAP_EQ_STR(p, expect);
        else
                TAP_OK(p == NULL);
}

static void test_resolve(void) {
        /* default: below a tether parent in the caller's own group */
        check("/process_api/x", NULL, "web", 0, "/process_api/x/tether/web");
        check("/process_api/x", "", "web", 0, "/process_api/x/tether/web");
        check("/", NULL, "web", 0, "/tether/web");
        /* relative: below the caller's own group (runc's v1 rule) */
        check("/process_api/x", "tether-test-1/c", "web", 0, "/process_api/x/tether-test-1/c");
        check("/", "a/b", "web", 0, "/a/b");
        check("/user.slice/", "a", "web", 0, "/user.slice/a");
        /* absolute: as given, cleaned */
        check("/process_api/x", "/machine/web", "web", 0, "/machine/web");
        check("/", "//a///b/./c/", "web", 0, "/a/b/c");
        check("/own", "/own/child", "web", 0, "/own/child");
        check("/own", "/ownx", "web", 0, "/ownx");
        /* refused: '..' anywhere, the caller's group itself or an ancestor, nothing at all */
        check("/process_api/x", "../escape", "web", -EINVAL, NULL);
        check("/process_api/x", "a/../../b", "web", -EINVAL, NULL);
        check("/process_api/x", "/a/..", "web", -EINVAL, NULL);
        check("/process_api/x", ".", "web", -EINVAL, NULL);
        check("/process_api/x", "./", "web", -EINVAL, NULL);
        check("/process_api/x", "/", "web", -EINVAL, NULL);
        check("/process_api/x", "/process_api", "web", -EINVAL, NULL);
        check("/process_api/x", "/process_api/x", "web", -EINVAL, NULL);
        check("/process_api/x", "/process_api/x/", "web", -EINVAL, NULL);
        check("/process_api/x", NULL, "", -EINVAL, NULL);
        check("/process_api/x", NULL, "a/b", -EINVAL, NULL);
        check("relative-own", "a", "web", -EINVAL, NULL);
        /* a name that merely starts with dots is a name */
        check("/", "..a/b..", "web", 0, "/..a/b..");
}

static void test_names(void) {
        TAP_EQ_STR(cgroup_controller_to_string(CGROUP_CONTROLLER_BLKIO), "blkio");
        TAP_EQ_STR(cgroup_controller_to_v2_string(CGROUP_CONTROLLER_BLKIO), "io");
        TAP_OK(cgroup_controller_to_v2_string(CGROUP_CONTROLLER_FREEZER) == NULL);
        TAP_OK(cgroup_controller_to_v2_string(CGROUP_CONTROLLER_DEVICES) == NULL);
        TAP_EQ_INT(cgroup_controller_from_string("io"), CGROUP_CONTROLLER_BLKIO);
        TAP_EQ_INT(cgroup_controller_from_string("net_prio"), CGROUP_CONTROLLER_NET_PRIO);
        TAP_EQ_INT(cgroup_controller_from_string("name=systemd"), -EINVAL);
        TAP_OK(cgroup_controller_to_string(_CGROUP_CONTROLLER_MAX) == NULL);
        TAP_EQ_STR(cgroup_mode_to_string(CGROUP_MODE_HYBRID), "hybrid");
}

int main(void) {
        test_resolve();
        test_names();
        return tap_done();
}
