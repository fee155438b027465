#include <errno.h>
#include <stdint.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capability-names.h"
#include "macro.h"
#include "seccomp-default.h"
#include "spec.h"

/* docker's default capabilities (moby/moby:oci/caps/defaults.go). */
static const char *const default_caps[] = {
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_FSETID",
        "CAP_FOWNER",
        "CAP_MKNOD",
        "CAP_NET_RAW",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETFCAP",
        "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT",
        "CAP_KILL",
        "CAP_AUDIT_WRITE",
};

/* docker's masked and read-only paths (moby/moby:oci/defaults.go). */
static const char *const masked_paths[] = {
        "/proc/asound",
        "/proc/acpi",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/proc/scsi",
        "/sys/firmware",
        "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
        "/proc/bus",
        "/proc/fs",
        "/proc/irq",
        "/proc/sys",
        "/proc/sysrq-trigger",
};

static json_t *strings(const char *const *l, size_t n) {
        json_t *a = json_array();

        for (size_t i = 0; a && i < n; i++)
                json_array_append_new(a, json_string(l[i]));
        return a;
}

static json_t *mount_entry(const char *dst, const char *type, const char *src, const char *options) {
        json_t *m = json_pack(
                "{s:s, s:s, s:s, s:[]}", "destination", dst, "type", type, "source", src, "options");
        _cleanup_free_ char *copy = strdup(options);
        char *save = NULL;

        if (!m || !copy)
                return json_decref(m), NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
                json_array_append_new(json_object_get(m, "options"), json_string(t));
        return m;
}

static json_t *default_mounts(bool host_network) {
        json_t *a = json_array();

        json_array_append_new(a, mount_entry("/proc", "proc", "proc", "nosuid,noexec,nodev"));
        json_array_append_new(
                a, mount_entry("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"));
        json_array_append_new(a,
                              mount_entry("/dev/pts",
                                          "devpts",
                                          "devpts",
                                          "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"));
        json_array_append_new(
                a, mount_entry("/dev/shm", "tmpfs", "shm", "nosuid,noexec,nodev,mode=1777,size=65536k"));
        json_array_append_new(a, mount_entry("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"));
        /* A new sysfs shows the network namespace it is mounted in: with the host's, bind the host's. */
        if (host_network)
                json_array_append_new(a,
                                      mount_entry("/sys", "bind", "/sys", "rbind,nosuid,noexec,nodev,ro"));
        else
                json_array_append_new(a, mount_entry("/sys", "sysfs", "sysfs", "nosuid,noexec,nodev,ro"));
        json_array_append_new(
                a, mount_entry("/sys/fs/cgroup", "cgroup", "cgroup", "nosuid,noexec,nodev,relatime,ro"));
        return a;
}

static int add_user_mounts(json_t *mounts, const SpecOptions *o, const char **reterr_what) {
        for (char **m = o->mounts; m && *m; m++) {
                _cleanup_free_ char *copy = strdup(*m);
                char *dst, *mode;
                bool ro = false;

                if (!copy)
                        return -ENOMEM;
                *reterr_what = *m;
                dst = strchr(copy, ':');
                if (!dst)
                        return -EINVAL;
                *dst++ = '\0';
                mode = strchr(dst, ':');
                if (mode) {
                        *mode++ = '\0';
                        if (strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
                                return -EINVAL;
                        ro = strcmp(mode, "ro") == 0;
                }
                if (copy[0] != '/' || dst[0] != '/')
                        return -EINVAL;
                json_array_append_new(mounts, mount_entry(dst, "bind", copy, ro ? "rbind,ro" : "rbind"));
        }
        for (char **t = o->tmpfs; t && *t; t++) {
                *reterr_what = *t;
                if ((*t)[0] != '/')
                        return -EINVAL;
                json_array_append_new(mounts, mount_entry(*t, "tmpfs", "tmpfs", "nosuid,nodev,mode=1777"));
        }
        if (o->init_path)
                json_array_append_new(
                        mounts, mount_entry(SPEC_INIT_PATH, "bind", o->init_path, "bind,ro,nosuid,nodev"));
        return 0;
}

static int cap_name(const char *name, char *buf, size_t len) {
        snprintf(buf, len, "%s%s", strncasecmp(name, "CAP_", 4) == 0 ? "" : "CAP_", name);
        for (char *p = buf; *p; p++)
                if (*p >= 'a' && *p <= 'z')
                        *p -= 'a' - 'A';
        return capability_from_name(buf) < 0 ? -EINVAL : 0;
}

static int capability_list(const SpecOptions *o, json_t **ret, const char **reterr_what) {
        uint64_t set = 0, bits[2] = {}; /* added, dropped */
        bool all[2] = {};
        char name[64];
        json_t *a;

        for (size_t i = 0; i < ELEMENTSOF(default_caps); i++)
                set |= UINT64_C(1) << capability_from_name(default_caps[i]);
        for (int pass = 0; pass < 2; pass++)
                for (char **c = pass == 0 ? o->cap_add : o->cap_drop; c && *c; c++) {
                        *reterr_what = *c;
                        if (strcasecmp(*c, "ALL") == 0)
                                all[pass] = true;
                        else if (cap_name(*c, name, sizeof(name)) < 0)
                                return -EINVAL;
                        else
                                bits[pass] |= UINT64_C(1) << capability_from_name(name);
                }
        /* docker's order (moby/moby:oci/caps/utils.go TweakCapabilities): --cap-add ALL is all but the
         * drops;
         * --cap-drop ALL leaves only the adds ("--cap-drop ALL --cap-add NET_BIND_SERVICE"); else the
         * defaults lose the drops and gain the adds. */
        if (all[0])
                set = ~bits[1];
        else if (all[1])
                set = bits[0];
        else
                set = (set & ~bits[1]) | bits[0];
        a = json_array();
        for (int cap = 0; a && cap < 64; cap++)
                if ((set & (UINT64_C(1) << cap)) && capability_to_name(cap))
                        json_array_append_new(a, json_string(capability_to_name(cap)));
        *ret = a;
        return a ? 0 : -ENOMEM;
}

static int seccomp_section(const SpecOptions *o, json_t **ret, const char **reterr_what) {
        json_error_t error;

        *ret = NULL;
        if (!o->seccomp || strcmp(o->seccomp, "default") == 0) {
                *ret = seccomp_default_profile();
                return *ret ? 0 : -ENOMEM;
        }
        if (strcmp(o->seccomp, "unconfined") == 0)
                return 0;
        *reterr_what = o->seccomp;
        *ret = json_load_file(o->seccomp, 0, &error);
        return *ret && json_is_object(*ret) ? 0 : -EINVAL;
}

static json_t *process_section(const SpecOptions *o, json_t *caps) {
        json_t *env = json_pack("[s, s]",
                                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                o->tty ? "TERM=xterm" : "HOME=/root");
        json_t *args = json_array();

        for (char **e = o->env; e && *e; e++)
                json_array_append_new(env, json_string(*e));
        if (o->init_path) {
                json_array_append_new(args, json_string(SPEC_INIT_PATH));
                json_array_append_new(args, json_string("--"));
        }
        for (char **a = o->args; a && *a; a++)
                json_array_append_new(args, json_string(*a));
        if (!o->args || !o->args[0])
                json_array_append_new(args, json_string("sh"));

        return json_pack("{s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:{s:O, s:O, s:O}, s:[{s:s, s:i, s:i}], s:b}",
                         "terminal",
                         o->tty,
                         "user",
                         "uid",
                         o->has_user ? (int) o->uid : 0,
                         "gid",
                         o->has_user ? (int) o->gid : 0,
                         "args",
                         args,
                         "env",
                         env,
                         "cwd",
                         o->cwd ?: "/",
                         "capabilities",
                         "bounding",
                         caps,
                         "effective",
                         caps,
                         "permitted",
                         caps,
                         "rlimits",
                         "type",
                         "RLIMIT_NOFILE",
                         "hard",
                         1024,
                         "soft",
                         1024,
                         "noNewPrivileges",
                         true);
}

static json_t *namespaces_section(const SpecOptions *o) {
        json_t *a = json_pack("[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}]",
                              "type",
                              "pid",
                              "type",
                              "ipc",
                              "type",
                              "uts",
                              "type",
                              "mount",
                              "type",
                              "cgroup");

        if (o->network == SPEC_NETWORK_NONE)
                json_array_append_new(a, json_pack("{s:s}", "type", "network"));
        else if (o->network == SPEC_NETWORK_PATH)
                json_array_append_new(a,
                                      json_pack("{s:s, s:s}", "type", "network", "path", o->network_path));
        return a;
}

/* opencontainers/runc:libcontainer/specconv/example.go ToRootless, step by step: no network namespace,
 * a user namespace mapping the caller to root, /sys an rbind of the host's (a new sysfs needs a network
 * namespace of one's own), no uid=/gid= mount options (they name ids the namespace lacks), no
 * linux.resources (no cgroup to write). */
static int to_rootless(json_t *spec, const SpecOptions *o) {
        json_t *linux_section = json_object_get(spec, "linux"), *mounts = json_object_get(spec, "mounts");
        json_t *namespaces = json_array(), *ns, *m;
        size_t i;

        if (!namespaces)
                return -ENOMEM;
        json_array_foreach(json_object_get(linux_section, "namespaces"), i, ns) {
                const char *type = json_string_value(json_object_get(ns, "type"));

                if (!type || (strcmp(type, "network") != 0 && strcmp(type, "user") != 0))
                        json_array_append(namespaces, ns);
        }
        json_array_append_new(namespaces, json_pack("{s:s}", "type", "user"));
        json_object_set_new(linux_section, "namespaces", namespaces);
        json_object_set_new(linux_section,
                            "uidMappings",
                            json_pack("[{s:i, s:I, s:i}]",
                                      "containerID",
                                      0,
                                      "hostID",
                                      (json_int_t) o->rootless_uid,
                                      "size",
                                      1));
        json_object_set_new(linux_section,
                            "gidMappings",
                            json_pack("[{s:i, s:I, s:i}]",
                                      "containerID",
                                      0,
                                      "hostID",
                                      (json_int_t) o->rootless_gid,
                                      "size",
                                      1));
        json_array_foreach(mounts, i, m) {
                json_t *options = json_object_get(m, "options"), *kept = json_array(), *opt;
                const char *dst = json_string_value(json_object_get(m, "destination"));
                size_t j;

                if (!kept)
                        return -ENOMEM;
                if (dst && strcmp(dst, "/sys") == 0) {
                        json_decref(kept);
                        json_array_set_new(
                                mounts,
                                i,
                                mount_entry("/sys", "none", "/sys", "rbind,nosuid,noexec,nodev,ro"));
                        continue;
                }
                json_array_foreach(options, j, opt) {
                        const char *v = json_string_value(opt);

                        if (!v || (strncmp(v, "uid=", 4) != 0 && strncmp(v, "gid=", 4) != 0))
                                json_array_append(kept, opt);
                }
                json_object_set_new(m, "options", kept);
        }
        json_object_del(linux_section, "resources");
        return 0;
}

/* The friendly flags' limits: linux.resources and linux.cgroupsPath "PARENT/" (a trailing slash names a
 * parent; the runtime puts the container's id below it). */
static void cgroup_section(json_t *linux_section, const SpecOptions *o) {
        json_t *res = json_object();

        if (o->has_memory)
                json_object_set_new(res, "memory", json_pack("{s:I}", "limit", (json_int_t) o->memory));
        if (o->cpus > 0)
                json_object_set_new(res,
                                    "cpu",
                                    json_pack("{s:I, s:I}",
                                              "quota",
                                              (json_int_t) (o->cpus * 100000 + 0.5),
                                              "period",
                                              (json_int_t) 100000));
        if (o->has_pids_limit)
                json_object_set_new(res, "pids", json_pack("{s:I}", "limit", (json_int_t) o->pids_limit));
        if (json_object_size(res) > 0)
                json_object_set_new(linux_section, "resources", res);
        else
                json_decref(res);
        if (o->cgroup_parent) {
                size_t n = strlen(o->cgroup_parent);
                char *p = malloc(n + 2);

                if (p) {
                        memcpy(p, o->cgroup_parent, n);
                        strcpy(p + n, n > 0 && o->cgroup_parent[n - 1] == '/' ? "" : "/");
                        json_object_set_new(linux_section, "cgroupsPath", json_string(p));
                        free(p);
                }
        }
}

int spec_build(const SpecOptions *o, json_t **ret, const char **reterr_what) {
        json_t *caps = NULL, *seccomp = NULL, *mounts, *spec, *linux_section;
        int r;

        r = capability_list(o, &caps, reterr_what);
        if (r < 0)
                return r;
        r = seccomp_section(o, &seccomp, reterr_what);
        if (r < 0)
                return json_decref(caps), r;
        mounts = default_mounts(o->network == SPEC_NETWORK_HOST);
        r = add_user_mounts(mounts, o, reterr_what);
        if (r < 0) {
                json_decref(caps);
                json_decref(seccomp);
                json_decref(mounts);
                return r;
        }

        linux_section = json_pack("{s:o, s:o, s:o}",
                                  "namespaces",
                                  namespaces_section(o),
                                  "maskedPaths",
                                  strings(masked_paths, ELEMENTSOF(masked_paths)),
                                  "readonlyPaths",
                                  strings(readonly_paths, ELEMENTSOF(readonly_paths)));
        if (linux_section && seccomp)
                json_object_set_new(linux_section, "seccomp", seccomp);
        if (linux_section)
                cgroup_section(linux_section, o);
        spec = json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}",
                         "ociVersion",
                         "1.0.2",
                         "process",
                         process_section(o, caps),
                         "root",
                         "path",
                         o->rootfs ?: "rootfs",
                         "readonly",
                         o->readonly,
                         "hostname",
                         o->hostname ?: "tether",
                         "mounts",
                         mounts,
                         "linux",
                         linux_section);
        json_decref(caps);
        if (!spec)
                return -ENOMEM;
        if (o->rootless) {
                r = to_rootless(spec, o);
                if (r < 0)
                        return json_decref(spec), r;
        }
        *ret = spec;
        return 0;
}
