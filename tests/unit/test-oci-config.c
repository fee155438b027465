/* config.json parsing: the fixtures in tests/unit/data (argv[1]) give the right values; each bad input is
 * refused with its own exact message. */

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "capability-names.h"
#include "oci-config.h"
#include "tap.h"

#define CAP(c) (UINT64_C(1) << (c))

/* A valid start; the tests append the fields they are about and the closing brace. */
#define BASE "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"rootfs\"}, "

static int data_fd = -EBADF;

static OciConfig *parse_fixture(const char *name) {
        OciConfig *c = NULL;
        OciError err = {};
        int r;

        r = oci_config_parse_file(data_fd, name, &c, &err);
        if (!tap_ok(r == 0, "%s parses", name))
                printf("#   %d: %s\n", r, err.message);
        return c;
}

static OciConfig *parse_string(const char *json) {
        OciConfig *c = NULL;
        OciError err = {};
        int r;

        r = oci_config_parse(json, strlen(json), NULL, &c, &err);
        if (!tap_ok(r == 0, "parses: %s", json))
                printf("#   %d: %s\n", r, err.message);
        return c;
}

static void expect_error(const char *json, const char *message) {
        _cleanup_(oci_config_freep) OciConfig *c = NULL;
        OciError err = {};

        TAP_EQ_INT(oci_config_parse(json, strlen(json), "config.json", &c, &err), -EINVAL);
        TAP_OK(!c);
        TAP_EQ_STR(err.message, message);
}

static void test_runc_spec(void) {
        _cleanup_(oci_config_freep) OciConfig *c = parse_fixture("config-runc-spec.json");
        uint64_t caps = CAP(29) | CAP(5) | CAP(10); /* AUDIT_WRITE, KILL, NET_BIND_SERVICE */

        if (!c)
                return;
        TAP_EQ_STR(c->oci_version, "1.0.2-dev");
        TAP_EQ_STR(c->root_path, "rootfs");
        TAP_OK(c->root_readonly);
        TAP_EQ_STR(c->hostname, "runc");
        TAP_OK(c->process && c->process->terminal);
        TAP_EQ_INT(c->process->user.uid, 0);
        TAP_EQ_STR(c->process->args[0], "sh");
        TAP_OK(!c->process->args[1]);
        TAP_EQ_STR(c->process->env[1], "TERM=xterm");
        TAP_EQ_STR(c->process->cwd, "/");
        TAP_OK(c->process->has_capabilities);
        TAP_EQ_INT(c->process->capabilities.sets[OCI_CAPABILITY_BOUNDING], caps);
        TAP_EQ_INT(c->process->capabilities.sets[OCI_CAPABILITY_AMBIENT], caps);
        TAP_EQ_INT(c->process->capabilities.given, 0x1f & ~(1U << OCI_CAPABILITY_INHERITABLE));
        TAP_EQ_INT(c->process->n_rlimits, 1);
        TAP_EQ_INT(c->process->rlimits[0].resource, RLIMIT_NOFILE);
        TAP_EQ_INT(c->process->rlimits[0].soft, 1024);
        TAP_OK(c->process->no_new_privileges);

        TAP_EQ_INT(c->n_mounts, 7);
        TAP_EQ_STR(c->mounts[1].destination, "/dev");
        TAP_EQ_STR(c->mounts[1].type, "tmpfs");
        TAP_EQ_INT(c->mounts[1].parsed.flags, MS_NOSUID | MS_STRICTATIME);
        TAP_EQ_STR(c->mounts[1].parsed.data, "mode=755,size=65536k");
        TAP_EQ_STR(c->mounts[2].parsed.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
        TAP_EQ_INT(c->mounts[6].parsed.flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY);
        TAP_OK(!c->mounts[0].parsed.data && !c->mounts[0].options);

        TAP_EQ_INT(c->n_namespaces, 5);
        TAP_EQ_INT(c->namespaces[1].type, OCI_NAMESPACE_NETWORK);
        TAP_OK(!c->namespaces[1].path);
        TAP_OK(oci_config_get_namespace(c, OCI_NAMESPACE_MOUNT) == &c->namespaces[4]);
        TAP_OK(!oci_config_get_namespace(c, OCI_NAMESPACE_USER));
        TAP_EQ_STR(c->masked_paths[0], "/proc/acpi");
        TAP_EQ_STR(c->masked_paths[9], "/proc/scsi");
        TAP_OK(!c->masked_paths[10]);
        TAP_EQ_STR(c->readonly_paths[4], "/proc/sysrq-trigger");
        /* resources.devices is not read, but resources was there. */
        TAP_OK(c->resources && !c->resources->has_memory_limit && !c->resources->has_pids_limit);
        TAP_OK(!c->seccomp && c->n_uid_mappings == 0 &&
               c->rootfs_propagation == MOUNT_PROPAGATION_UNCHANGED);
}

static void test_full_process(const OciConfig *c) {
        const OciProcess *p = c->process;

        TAP_OK(!p->terminal && p->has_console_size);
        TAP_EQ_INT(p->console_height, 25);
        TAP_EQ_INT(p->user.uid, 1000);
        TAP_OK(p->user.has_umask);
        TAP_EQ_INT(p->user.umask, 022);
        TAP_EQ_INT(p->user.n_additional_gids, 3);
        TAP_EQ_INT(p->user.additional_gids[2], 4294967294U);
        TAP_EQ_STR(p->args[2], "8080");
        TAP_EQ_STR(p->env[1], "EMPTY=");
        TAP_EQ_INT(p->capabilities.sets[OCI_CAPABILITY_BOUNDING], CAP(0) | CAP(10) | CAP(CAPABILITY_LAST));
        TAP_EQ_INT(p->capabilities.sets[OCI_CAPABILITY_EFFECTIVE], 0);
        TAP_EQ_INT(p->capabilities.given,
                   (1U << OCI_CAPABILITY_BOUNDING) | (1U << OCI_CAPABILITY_EFFECTIVE) |
                           (1U << OCI_CAPABILITY_AMBIENT));
        TAP_OK(p->rlimits[0].hard == UINT64_MAX);
        TAP_EQ_INT(p->rlimits[1].resource, RLIMIT_CORE);
        TAP_EQ_STR(p->apparmor_profile, "tether-default");
        TAP_OK(p->has_oom_score_adj);
        TAP_EQ_INT(p->oom_score_adj, -500);
}

static void test_full_linux(const OciConfig *c) {
        TAP_EQ_INT(c->n_namespaces, 4);
        TAP_EQ_STR(oci_config_get_namespace(c, OCI_NAMESPACE_NETWORK)->path, "/run/netns/web");
        TAP_EQ_INT(c->uid_mappings[0].host_id, 100000);
        TAP_EQ_INT(c->gid_mappings[0].size, 65536);
        TAP_OK(!c->time_offset_boottime.set && c->time_offset_monotonic.set);
        TAP_EQ_INT(c->time_offset_monotonic.secs, -86400);
        TAP_EQ_INT(c->time_offset_monotonic.nanosecs, 500);
        TAP_EQ_INT(c->n_devices, 2);
        TAP_EQ_INT(c->devices[0].type, S_IFCHR);
        TAP_EQ_INT(c->devices[0].minor, 229);
        TAP_OK(c->devices[0].has_file_mode && c->devices[0].file_mode == 0666 && c->devices[0].has_uid);
        TAP_OK(c->devices[1].type == S_IFIFO && !c->devices[1].has_file_mode);
        TAP_EQ_STR(c->sysctl[0].key, "net.ipv4.ip_forward");
        TAP_EQ_STR(c->cgroups_path, "/tether/web");
        TAP_EQ_INT(c->rootfs_propagation, MOUNT_PROPAGATION_SLAVE);
        TAP_OK(c->rootfs_propagation_recursive);
        TAP_EQ_INT(c->resources->memory_limit, 536870912);
        TAP_EQ_INT(c->resources->memory_swap, -1);
        TAP_EQ_INT(c->resources->cpu_quota, 50000);
        TAP_EQ_STR(c->resources->cpu_cpus, "0-3,7");
        TAP_EQ_INT(c->resources->pids_limit, 100);
}

static void test_full_seccomp(const OciSeccomp *s) {
        TAP_EQ_INT(s->default_action, OCI_SECCOMP_ACT_ERRNO);
        TAP_OK(s->has_default_errno_ret && s->default_errno_ret == 1);
        TAP_EQ_INT(s->n_architectures, 2);
        TAP_EQ_INT(s->architectures[1], OCI_SECCOMP_ARCH_AARCH64);
        TAP_EQ_INT(s->flags, OCI_SECCOMP_FLAG_LOG);
        TAP_EQ_INT(s->n_syscalls, 4);
        TAP_EQ_STR(s->syscalls[0].names[1], "write");
        TAP_EQ_INT(s->syscalls[1].args[0].op, OCI_SECCOMP_CMP_MASKED_EQ);
        /* Beyond 2^53, where a double is no longer exact: read from the text. */
        TAP_OK(s->syscalls[1].args[0].value == UINT64_C(9007199254740993));
        TAP_OK(s->syscalls[1].args[0].value_two == UINT64_MAX);
        TAP_OK(s->syscalls[2].has_errno_ret && s->syscalls[2].errno_ret == 38);
        TAP_EQ_INT(s->syscalls[3].action, OCI_SECCOMP_ACT_NOTIFY);
}

static void test_full(void) {
        _cleanup_(oci_config_freep) OciConfig *c = parse_fixture("config-full.json");

        if (!c)
                return;
        TAP_EQ_STR(c->domainname, "example.test");
        TAP_EQ_INT(c->mounts[0].parsed.flags, MS_BIND | MS_REC | MS_RDONLY | MS_NOSYMFOLLOW);
        TAP_EQ_INT(c->mounts[0].parsed.propagation, MOUNT_PROPAGATION_PRIVATE);
        TAP_OK(c->mounts[0].parsed.propagation_recursive);
        TAP_EQ_INT(c->mounts[0].parsed.attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME);
        TAP_EQ_INT(c->mounts[0].parsed.attr_clr, MOUNT_ATTR__ATIME);
        TAP_EQ_STR(c->mounts[0].parsed.data, "custom=1");
        TAP_EQ_INT(c->mounts[0].parsed.extra, MOUNT_EXTRA_RIDMAP);
        TAP_EQ_INT(c->mounts[0].n_uid_mappings, 1);
        TAP_EQ_INT(c->mounts[0].n_gid_mappings, 2);
        TAP_EQ_INT(c->mounts[0].gid_mappings[1].host_id, 2000);
        TAP_OK(!oci_mount_is_idmapped(&c->mounts[1]));
        TAP_EQ_INT(c->mounts[1].parsed.extra, MOUNT_EXTRA_TMPCOPYUP);
        TAP_EQ_STR(c->mounts[1].parsed.data, "mode=1777,size=64m");
        TAP_EQ_INT(c->hooks[OCI_HOOK_CREATE_RUNTIME].n_hooks, 1);
        TAP_EQ_STR(c->hooks[OCI_HOOK_CREATE_RUNTIME].hooks[0].args[1], "--up");
        TAP_EQ_INT(c->hooks[OCI_HOOK_CREATE_RUNTIME].hooks[0].timeout, 10);
        TAP_EQ_STR(c->hooks[OCI_HOOK_POSTSTOP].hooks[0].path, "/usr/libexec/cleanup");
        TAP_OK(!c->hooks[OCI_HOOK_POSTSTOP].hooks[0].args &&
               c->hooks[OCI_HOOK_POSTSTOP].hooks[0].timeout == 0);
        TAP_EQ_INT(c->hooks[OCI_HOOK_PRESTART].n_hooks, 0);
        TAP_EQ_INT(c->n_annotations, 2);
        TAP_EQ_STR(c->annotations[0].key, "org.example.owner");
        TAP_EQ_STR(c->annotations[1].value, "42");
        test_full_process(c);
        test_full_linux(c);
        test_full_seccomp(c->seccomp);
}

static void test_lenient(void) {
        _cleanup_(oci_config_freep) OciConfig *a = NULL, *b = NULL, *d = NULL;

        /* Minimal: no process, no linux; null is "absent", as in Go; integers may be written as reals. */
        a = parse_string(BASE "\"process\": null, \"linux\": {\"seccomp\": null}}");
        TAP_OK(a && !a->process && !a->seccomp && !a->mounts);
        b = parse_string(
                BASE
                "\"process\": {\"cwd\": \"/\", \"args\": [\"x\"], \"user\": {\"uid\": 1e3, \"gid\": 2.0}}}");
        TAP_OK(b && b->process->user.uid == 1000 && b->process->user.gid == 2);
        /* A duplicate key: the last one counts, as jansson and Go have it. */
        d = parse_string(BASE "\"hostname\": \"a\", \"hostname\": \"b\"}");
        TAP_EQ_STR(d ? d->hostname : NULL, "b");
}

static void test_bad_syntax(void) {
        expect_error("{\n  \"ociVersion\": \"1.0.0\",\n}",
                     "config.json:3:1: malformed JSON: string or '}' expected near '}'");
        expect_error("", "config.json:1:0: malformed JSON: '[' or '{' expected near end of file");
        expect_error("{\"a\": 1} x", "config.json:1:10: malformed JSON: end of file expected near 'x'");
        expect_error("{\"a\": 1e999}",
                     "config.json:1:11: malformed JSON: real number overflow near '1e999'");
        expect_error("[]", "config.json:1:1: expected an object, got an array");
}

static void test_bad_top(void) {
        expect_error("{}", "config.json:1:1: ociVersion: missing required field");
        expect_error("{\"ociVersion\": 1}",
                     "config.json:1:16: ociVersion: expected a string, got an integer");
        expect_error("{\"ociVersion\": \"1.0\"}",
                     "config.json:1:16: ociVersion: expected a SemVer version such as 1.2.0, got '1.0'");
        expect_error("{\"ociVersion\": \"1.0.0\"}", "config.json:1:1: root: missing required field");
        expect_error("{\"ociVersion\": \"1.0.0\", \"root\": {}}",
                     "config.json:1:33: root.path: missing required field");
        expect_error("{\"ociVersion\": \"1.0.0\", \"root\": \"rootfs\"}",
                     "config.json:1:33: root: expected an object, got a string");
        expect_error(
                BASE
                "\"hostname\": \"0123456789012345678901234567890123456789012345678901234567890123456789\"}",
                "config.json:1:65: hostname: longer than 64 bytes");
        expect_error(BASE "\"annotations\": {\"org.example.x\": 1}}",
                     "config.json:1:86: annotations[\"org.example.x\"]: expected a string, got an integer");
        expect_error(BASE "\"annotations\": {\"\": \"x\"}}",
                     "config.json:1:73: annotations[\"\"]: keys must not be empty");
}

static void test_bad_process(void) {
        expect_error(BASE "\"process\": {\"cwd\": \"/\", \"args\": [\"a\", \"b\", 3]}}",
                     "config.json:1:96: process.args[2]: expected a string, got an integer");
        expect_error(BASE "\"process\": {\"args\": [\"a\"]}}",
                     "config.json:1:64: process.cwd: missing required field");
        expect_error(BASE "\"process\": {\"cwd\": \"/\"}}",
                     "config.json:1:64: process.args: missing required field");
        expect_error(BASE "\"process\": {\"cwd\": \"/\", \"args\": []}}",
                     "config.json:1:85: process.args: must have at least one element");
        expect_error(BASE "\"process\": {\"cwd\": \"/\", \"args\": [\"\"]}}",
                     "config.json:1:86: process.args[0]: must not be empty");
        expect_error(BASE "\"process\": {\"cwd\": \"home\", \"args\": [\"a\"]}}",
                     "config.json:1:72: process.cwd: expected an absolute path, got 'home'");
        expect_error(BASE "\"process\": {\"cwd\": \"/\", \"args\": [\"a\"], \"env\": [\"PATH\"]}}",
                     "config.json:1:100: process.env[0]: expected NAME=VALUE, got 'PATH'");
        expect_error(BASE "\"process\": {\"cwd\": \"/\", \"args\": [\"a\"], \"oomScoreAdj\": 2000}}",
                     "config.json:1:107: process.oomScoreAdj: expected an integer in -1000..1000, got 2000");
}

#define PROC(fields) BASE "\"process\": {\"cwd\": \"/\", \"args\": [\"a\"], " fields "}}"

static void test_bad_user(void) {
        expect_error(
                PROC("\"user\": {\"uid\": 4294967295}"),
                "config.json:1:108: process.user.uid: expected an integer in 0..4294967294, got 4294967295");
        expect_error(PROC("\"user\": {\"uid\": -1}"),
                     "config.json:1:108: process.user.uid: expected an integer in 0..4294967294, got -1");
        expect_error(PROC("\"user\": {\"uid\": 1.5}"),
                     "config.json:1:108: process.user.uid: expected an integer, got a number");
        expect_error(PROC("\"user\": {\"umask\": 755}"),
                     "config.json:1:110: process.user.umask: expected an integer in 0..511, got 755");
        expect_error(PROC("\"user\": {\"additionalGids\": [1, \"2\"]}"),
                     "config.json:1:123: process.user.additionalGids[1]: expected an integer, got a string");
        expect_error(PROC("\"consoleSize\": {\"height\": 25}"),
                     "config.json:1:107: process.consoleSize.width: missing required field");
}

static void test_bad_caps_rlimits(void) {
        expect_error(PROC("\"capabilities\": {\"bounding\": [\"CAP_CHOWN\", \"CAP_FOO\"]}"),
                     "config.json:1:135: process.capabilities.bounding[1]: unknown capability 'CAP_FOO'");
        expect_error(
                PROC("\"capabilities\": {\"ambient\": \"CAP_CHOWN\"}"),
                "config.json:1:120: process.capabilities.ambient: expected an array of strings, got a string");
        expect_error(PROC("\"rlimits\": [{\"type\": \"RLIMIT_FOO\", \"soft\": 1, \"hard\": 1}]"),
                     "config.json:1:113: process.rlimits[0].type: unknown rlimit 'RLIMIT_FOO'");
        expect_error(PROC("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 2, \"hard\": 1}]"),
                     "config.json:1:104: process.rlimits[0]: soft limit 2 is above hard limit 1");
        expect_error(PROC("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1}]"),
                     "config.json:1:104: process.rlimits[0].soft: missing required field");
        expect_error(PROC("\"rlimits\": [{\"type\": \"RLIMIT_CPU\", \"soft\": 1, \"hard\": 1}, "
                          "{\"type\": \"RLIMIT_CPU\", \"soft\": 2, \"hard\": 2}]"),
                     "config.json:1:159: process.rlimits[1].type: duplicate rlimit 'RLIMIT_CPU'");
        expect_error(
                PROC("\"rlimits\": [{\"type\": \"RLIMIT_CPU\", \"soft\": 1, \"hard\": 18446744073709551616}]"),
                "config.json:1:146: process.rlimits[0].hard: expected an integer in 0..18446744073709551615, got 18446744073709551616");
}

#define LINUX(fields) BASE "\"linux\": {" fields "}}"

static void test_bad_namespaces(void) {
        expect_error(LINUX("\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"net\"}]"),
                     "config.json:1:104: linux.namespaces[1].type: unknown namespace type 'net'");
        expect_error(
                LINUX("\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"ipc\"}, {\"type\": \"pid\"}]"),
                "config.json:1:121: linux.namespaces[2].type: duplicate namespace type 'pid'");
        expect_error(LINUX("\"namespaces\": [{\"path\": \"/proc/1/ns/pid\"}]"),
                     "config.json:1:78: linux.namespaces[0].type: missing required field");
        expect_error(
                LINUX("\"namespaces\": [{\"type\": \"pid\", \"path\": \"proc/1/ns/pid\"}]"),
                "config.json:1:102: linux.namespaces[0].path: expected an absolute path, got 'proc/1/ns/pid'");
        expect_error(
                LINUX("\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]"),
                "config.json:1:78: linux.uidMappings: given, but linux.namespaces has no user namespace");
        expect_error(LINUX("\"namespaces\": [{\"type\": \"user\"}], "
                           "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 0}]"),
                     "config.json:1:156: linux.uidMappings[0].size: must be at least 1");
        expect_error(LINUX("\"namespaces\": [{\"type\": \"user\"}], "
                           "\"gidMappings\": [{\"containerID\": 4294967295, \"hostID\": 0, \"size\": 2}]"),
                     "config.json:1:113: linux.gidMappings[0]: containerID + size runs past 4294967295");
        expect_error(
                LINUX("\"timeOffsets\": {\"boottime\": {\"secs\": 1, \"nanosecs\": 1000000000}}"),
                "config.json:1:115: linux.timeOffsets.boottime.nanosecs: expected an integer in 0..999999999, got 1000000000");
}

static void test_bad_mounts(void) {
        expect_error(
                BASE
                "\"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\"}, {\"destination\": \"tmp\"}]}",
                "config.json:1:122: mounts[1].destination: expected an absolute path, got 'tmp'");
        expect_error(BASE "\"mounts\": [{\"type\": \"proc\"}]}",
                     "config.json:1:64: mounts[0].destination: missing required field");
        expect_error(BASE "\"mounts\": [{\"destination\": \"/data\", \"options\": [\"rbind\"]}]}",
                     "config.json:1:64: mounts[0]: a bind mount needs a source");
        expect_error(BASE "\"mounts\": [{\"destination\": \"/data\", \"options\": [\"ro\", null]}]}",
                     "config.json:1:107: mounts[0].options[1]: expected a string, got null");
        expect_error(LINUX("\"rootfsPropagation\": \"rshared-ish\""),
                     "config.json:1:84: linux.rootfsPropagation: unknown propagation 'rshared-ish'");
        expect_error(LINUX("\"maskedPaths\": [\"/proc/kcore\", \"proc/keys\"]"),
                     "config.json:1:94: linux.maskedPaths[1]: expected an absolute path, got 'proc/keys'");
        expect_error(
                LINUX("\"devices\": [{\"type\": \"x\", \"path\": \"/dev/x\"}]"),
                "config.json:1:84: linux.devices[0].type: unknown device type 'x', expected c, b, u or p");
        expect_error(LINUX("\"devices\": [{\"type\": \"c\", \"path\": \"/dev/x\", \"minor\": 1}]"),
                     "config.json:1:75: linux.devices[0].major: missing required field");
        expect_error(
                LINUX("\"sysctl\": {\"net.ipv4.ip_forward\": 1}"),
                "config.json:1:97: linux.sysctl[\"net.ipv4.ip_forward\"]: expected a string, got an integer");
}

#define IDMAP_MOUNT(fields) "{\"destination\": \"/d\", \"type\": \"bind\", \"source\": \"/s\", " fields "}"
#define IDMAPS                                                                          \
        "\"uidMappings\": [{\"containerID\": 1000, \"hostID\": 100000, \"size\": 2}], " \
        "\"gidMappings\": [{\"containerID\": 0, \"hostID\": 0, \"size\": 1}]"
#define USERNS "\"linux\": {\"namespaces\": [{\"type\": \"user\"}]}"

static void test_idmapped_mounts(void) {
        _cleanup_(oci_config_freep) OciConfig *a = NULL, *b = NULL;

        a = parse_string(BASE "\"mounts\": [" IDMAP_MOUNT(IDMAPS) "]}");
        if (a) {
                TAP_OK(oci_mount_is_idmapped(&a->mounts[0]));
                TAP_EQ_INT(a->mounts[0].n_uid_mappings, 1);
                TAP_EQ_INT(a->mounts[0].uid_mappings[0].container_id, 1000);
                TAP_EQ_INT(a->mounts[0].uid_mappings[0].host_id, 100000);
                TAP_EQ_INT(a->mounts[0].uid_mappings[0].size, 2);
                TAP_EQ_INT(a->mounts[0].n_gid_mappings, 1);
        }
        b = parse_string(
                BASE "\"mounts\": [" IDMAP_MOUNT("\"options\": [\"rbind\", \"ridmap\"]") ", " IDMAP_MOUNT(
                        "\"options\": [\"bind\"]") "], " USERNS "}");
        if (b) {
                TAP_OK(oci_mount_is_idmapped(&b->mounts[0]));
                TAP_EQ_INT(b->mounts[0].parsed.extra, MOUNT_EXTRA_RIDMAP);
                TAP_EQ_INT(b->mounts[0].n_uid_mappings, 0);
                TAP_OK(!oci_mount_is_idmapped(&b->mounts[1]));
        }

        expect_error(
                BASE "\"mounts\": [" IDMAP_MOUNT("\"options\": [\"idmap\"]") "]}",
                "config.json:1:129: mounts[0].options: idmap without uidMappings and gidMappings of the mount "
                "takes the user namespace's, but linux.namespaces has none");
        expect_error(
                BASE "\"mounts\": [" IDMAP_MOUNT(
                        "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]") "]}",
                "config.json:1:133: mounts[0].uidMappings: an idmapped mount needs both uidMappings and "
                "gidMappings, or neither");
        expect_error(
                BASE
                "\"mounts\": [{\"destination\": \"/t\", \"type\": \"tmpfs\", \"options\": [\"idmap\"]}], " USERNS
                "}",
                "config.json:1:64: mounts[0]: an idmapped mount (idmap, ridmap, uidMappings) must be a bind "
                "mount");
        expect_error(BASE "\"mounts\": [" IDMAP_MOUNT(
                             "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 0}], "
                             "\"gidMappings\": []") "]}",
                     "config.json:1:174: mounts[0].uidMappings[0].size: must be at least 1");
}

static void test_bad_hooks_resources(void) {
        expect_error(BASE "\"hooks\": {\"poststart\": [{\"path\": \"notify\"}]}}",
                     "config.json:1:86: hooks.poststart[0].path: expected an absolute path, got 'notify'");
        expect_error(
                BASE "\"hooks\": {\"prestart\": [{\"path\": \"/x\", \"timeout\": 0}]}}",
                "config.json:1:102: hooks.prestart[0].timeout: expected an integer in 1..2147483647, got 0");
        expect_error(LINUX("\"resources\": {\"pids\": {}}"),
                     "config.json:1:85: linux.resources.pids.limit: missing required field");
        expect_error(
                LINUX("\"resources\": {\"memory\": {\"limit\": -2}}"),
                "config.json:1:97: linux.resources.memory.limit: expected an integer in -1..9223372036854775807, got -2");
        expect_error(LINUX("\"resources\": {\"cpu\": {\"cpus\": \"0-\"}}"),
                     "config.json:1:93: linux.resources.cpu.cpus: expected a list such as 0-3,7, got '0-'");
}

#define SECCOMP(fields) LINUX("\"seccomp\": {" fields "}")

static void test_bad_seccomp(void) {
        expect_error(
                SECCOMP("\"defaultAction\": \"SCMP_ACT_DENY\""),
                "config.json:1:92: linux.seccomp.defaultAction: unknown seccomp action 'SCMP_ACT_DENY'");
        expect_error(SECCOMP("\"syscalls\": []"),
                     "config.json:1:74: linux.seccomp.defaultAction: missing required field");
        expect_error(
                SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 1"),
                "config.json:1:129: linux.seccomp.defaultErrnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_ALLOW");
        expect_error(
                SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"bpf\"], "
                        "\"action\": \"SCMP_ACT_KILL\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_SAME\"}]}]"),
                "config.json:1:209: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator 'SCMP_CMP_SAME'");
        expect_error(
                SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"bpf\"], "
                        "\"action\": \"SCMP_ACT_KILL\", \"args\": [{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]"),
                "config.json:1:188: linux.seccomp.syscalls[0].args[0].index: expected an integer in 0..5, got 6");
        expect_error(
                SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [], \"action\": \"SCMP_ACT_KILL\"}]"),
                "config.json:1:133: linux.seccomp.syscalls[0].names: must have at least one element");
        expect_error(
                SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"bpf\"], \"action\": \"SCMP_ACT_NOTIFY\"}]"),
                "config.json:1:152: linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
        expect_error(
                SECCOMP("\"defaultAction\": \"SCMP_ACT_NOTIFY\", \"listenerPath\": \"/run/a.sock\""),
                "config.json:1:92: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
        expect_error(
                SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_PDP11\"]"),
                "config.json:1:128: linux.seccomp.architectures[0]: unknown seccomp architecture 'SCMP_ARCH_PDP11'");
        expect_error(
                SECCOMP("\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_FAST\"]"),
                "config.json:1:120: linux.seccomp.flags[0]: unknown seccomp flag 'SECCOMP_FILTER_FLAG_FAST'");
}

static void test_error_details(void) {
        _cleanup_(oci_config_freep) OciConfig *c = NULL;
        const char *json = "{\n  \"ociVersion\": \"1.0.0\",\n  \"root\": {\"path\": \"r\"},\n"
                           "  \"hostname\": \"é\", \"domainname\": 7\n}\n";
        OciError err = {};

        /* Columns count characters, as jansson's do: "é" is one. Field and path are set apart too. */
        TAP_EQ_INT(oci_config_parse(json, strlen(json), "bundle/config.json", &c, &err), -EINVAL);
        TAP_EQ_STR(err.message, "bundle/config.json:4:34: domainname: expected a string, got an integer");
        TAP_EQ_STR(err.path, "domainname");
        TAP_EQ_INT(err.line, 4);
        TAP_EQ_INT(err.column, 34);

        /* The last of duplicate keys is the one reported. */
        expect_error(BASE "\"hostname\": \"a\", \"hostname\": 2}",
                     "config.json:1:82: hostname: expected a string, got an integer");
        /* Control characters from the config do not reach the terminal. */
        expect_error(BASE "\"linux\": {\"namespaces\": [{\"type\": \"p\\u001bid\"}]}}",
                     "config.json:1:87: linux.namespaces[0].type: unknown namespace type 'p?id'");
}

static void test_files(void) {
        _cleanup_(oci_config_freep) OciConfig *c = NULL;
        OciError err = {.message = "stale"};

        TAP_EQ_INT(oci_config_parse_file(data_fd, "does-not-exist.json", &c, &err), -ENOENT);
        TAP_EQ_STR(err.message, "");
        TAP_EQ_INT(oci_config_parse_file(data_fd, ".", &c, &err), -EINVAL);
        TAP_EQ_STR(err.message, ".: not a regular file");
        TAP_OK(!c);
}

int main(int argc, char **argv) {
        /* meson passes the data directory; without it the harness is broken, not a prerequisite missing. */
        data_fd = argc > 1 ? open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -EBADF;
        if (data_fd < 0) {
                printf("Bail out! cannot open the test data directory '%s'\n", argc > 1 ? argv[1] : "");
                return 1;
        }
        test_runc_spec();
        test_full();
        test_lenient();
        test_bad_syntax();
        test_bad_top();
        test_bad_process();
        test_bad_user();
        test_bad_caps_rlimits();
        test_bad_namespaces();
        test_bad_mounts();
        test_idmapped_mounts();
        test_bad_hooks_resources();
        test_bad_seccomp();
        test_error_details();
        test_files();
        safe_close(data_fd);
        return tap_done();
}
