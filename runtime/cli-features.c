/* `tether features`: what this runtime implements, as runtime-spec features.md describes it; podman and
 * containerd read it to decide what they may ask for. Only what works is listed. */

#include <jansson.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capability-names.h"
#include "cgroup.h"
#include "cli.h"
#include "log.h"
#include "macro.h"
#include "mount-options.h"
#include "oci-config.h"

static json_t *mount_option_names(void) {
        json_t *a = json_array();
        const char *name;

        /* tmpcopyup is refused for now. */
        for (size_t i = 0; a && (name = mount_option_name(i)); i++)
                if (strcmp(name, "tmpcopyup") != 0)
                        json_array_append_new(a, json_string(name));
        return a;
}

static json_t *capability_names(void) {
        json_t *a = json_array();

        for (int cap = 0; a && cap <= CAPABILITY_LAST; cap++)
                if (capability_to_name(cap))
                        json_array_append_new(a, json_string(capability_to_name(cap)));
        return a;
}

static json_t *names(const char *(*to_string)(int), int max, int skip) {
        json_t *a = json_array();

        for (int i = 0; a && i < max; i++)
                if (i != skip && to_string(i))
                        json_array_append_new(a, json_string(to_string(i)));
        return a;
}

static const char *ns_name(int i) {
        return oci_namespace_type_to_string((OciNamespaceType) i);
}
static const char *hook_name(int i) {
        return oci_hook_kind_to_string((OciHookKind) i);
}
static const char *action_name(int i) {
        return oci_seccomp_action_to_string((OciSeccompAction) i);
}
static const char *op_name(int i) {
        return oci_seccomp_op_to_string((OciSeccompOp) i);
}
static const char *arch_name(int i) {
        return oci_seccomp_arch_to_string((OciSeccompArch) i);
}

/* What this host's cgroups offer, as annotations (features.md lets a runtime add its own): the layout
 * and the controllers a container's limits can use here, v1 hierarchies and cgroup2 ones. */
static json_t *cgroup_annotations(CgroupHost *h) {
        char controllers[256] = "";
        size_t n = 0;

        for (CgroupController c = 0; h && c < _CGROUP_CONTROLLER_MAX; c++) {
                bool usable = h->mode == CGROUP_MODE_UNIFIED
                                      ? cgroup_controller_to_v2_string(c) &&
                                                (h->unified_available & CGROUP_MASK(c))
                                      : cgroup_host_has_v1(h, c);

                if (usable && n < sizeof(controllers))
                        n += (size_t) snprintf(controllers + n,
                                               sizeof(controllers) - n,
                                               "%s%s",
                                               n ? "," : "",
                                               cgroup_controller_to_string(c));
        }
        return json_pack("{s:s, s:s, s:s}",
                         "io.tether.cgroup.mode",
                         h ? cgroup_mode_to_string(h->mode) : "none",
                         "io.tether.cgroup.controllers",
                         controllers,
                         "io.tether.cgroup.driver",
                         !h                               ? "none"
                         : h->mode == CGROUP_MODE_UNIFIED ? "cgroupfs-v2"
                                                          : "cgroupfs-v1");
}

/* The systemd driver: in this binary, or in tether-systemd beside it (cli-systemd.c). */
static bool have_systemd_driver(const GlobalOptions *g) {
        char path[PATH_MAX];

        return cli_have_systemd_driver() || cli_systemd_build_path(g, path, sizeof(path)) >= 0;
}

int verb_features(const GlobalOptions *g, int argc, char **argv) {
        _cleanup_free_ char *text = NULL;
        CgroupHost *host = NULL;
        json_t *j;

        if (argc == 2 && cli_is_help(argv[1]))
                return cli_help("features", "");
        if (argc != 1)
                return cli_usage_error("features", "", "takes no arguments");
        (void) cgroup_host_detect(&host);
        j = json_pack(
                "{s:s, s:s, s:o, s:o, s:{s:o, s:o, s:{s:b, s:b, s:b, s:b}, s:{s:b, s:o, s:o, s:o, s:[s, s, s], s:[s, s, s]}, "
                "s:{s:b}, s:{s:b}, s:{s:{s:b}}}, s:o}",
                "ociVersionMin",
                "1.0.0",
                "ociVersionMax",
                "1.0.2",
                "hooks",
                names(hook_name, _OCI_HOOK_KIND_MAX, -1),
                "mountOptions",
                mount_option_names(),
                "linux",
                "namespaces",
                names(ns_name, _OCI_NAMESPACE_TYPE_MAX, -1),
                "capabilities",
                capability_names(),
                "cgroup",
                "v1",
                true,
                "v2",
                true,
                "systemd",
                have_systemd_driver(g),
                "systemdUser",
                false,
                "seccomp",
                "enabled",
                true,
                "actions",
                names(action_name, _OCI_SECCOMP_ACTION_MAX, OCI_SECCOMP_ACT_NOTIFY),
                "operators",
                names(op_name, _OCI_SECCOMP_OP_MAX, -1),
                "archs",
                names(arch_name, _OCI_SECCOMP_ARCH_MAX, -1),
                "knownFlags",
                "SECCOMP_FILTER_FLAG_TSYNC",
                "SECCOMP_FILTER_FLAG_LOG",
                "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                "supportedFlags",
                "SECCOMP_FILTER_FLAG_TSYNC",
                "SECCOMP_FILTER_FLAG_LOG",
                "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                "apparmor",
                "enabled",
                false,
                "selinux",
                "enabled",
                false,
                "mountExtensions",
                "idmap",
                "enabled",
                true,
                "annotations",
                cgroup_annotations(host));
        cgroup_host_free(host);
        text = j ? json_dumps(j, JSON_INDENT(4)) : NULL;
        json_decref(j);
        if (!text)
                return log_error_errno(ENOMEM, "failed to format the features"), 1;
        puts(text);
        return 0;
}
