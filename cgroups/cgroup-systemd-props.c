/* The systemd driver's pure parts: linux.cgroupsPath "slice:prefix:name" to a slice and a scope's name,
 * a slice's place in the hierarchy, and the conversions of limits to the units systemd's properties
 * take. No D-Bus here, so that the unit tests and the core library need no libsystemd. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "macro.h"

/* systemd's UNIT_NAME_MAX (src/basic/unit-name.h), the NUL included. */
#define UNIT_NAME_MAX 256

/* The characters systemd allows in a unit name's prefix (src/basic/unit-name.c VALID_CHARS) but '@',
 * which makes a template's instance, and ':', which separates our three parts. */
static bool valid_name_part(const char *s, size_t n) {
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.-\\", s[i]))
                        return false;
        return true;
}

/* As opencontainers/runc:vendor/github.com/opencontainers/cgroups/systemd/common.go ExpandSlice:
 * "a-b-c.slice" is /a.slice/a-b.slice/a-b-c.slice; "-.slice" is the root; no '/', and no empty part
 * between dashes ("a--b.slice", "-a.slice", "a-.slice"). */
int cgroup_systemd_expand_slice(const char *slice, char **ret) {
        size_t n = strlen(slice), len;
        _cleanup_free_ char *out = NULL;
        char *p;

        if (n <= strlen(".slice") || strcmp(slice + n - strlen(".slice"), ".slice") != 0)
                return -EINVAL;
        len = n - strlen(".slice");
        if (!valid_name_part(slice, len) || n >= UNIT_NAME_MAX)
                return -EINVAL;
        if (len == 1 && slice[0] == '-') {
                out = strdup("/");
                if (!out)
                        return -ENOMEM;
                *ret = TAKE_PTR(out);
                return 0;
        }
        if (slice[0] == '-' || slice[len - 1] == '-' || memmem(slice, len, "--", 2))
                return -EINVAL;
        /* each prefix up to a dash, then the whole: at most len/2+1 parts of at most n+1 bytes */
        out = malloc((len / 2 + 1) * (n + 2) + 1);
        if (!out)
                return -ENOMEM;
        p = out;
        for (size_t i = 0; i <= len; i++)
                if (i == len || slice[i] == '-') {
                        *p++ = '/';
                        memcpy(p, slice, i);
                        p += i;
                        p = stpcpy(p, ".slice");
                }
        *p = '\0';
        *ret = TAKE_PTR(out);
        return 0;
}

/* runc's format (opencontainers/runc:libcontainer/specconv/spec_linux.go, "slice:prefix:name"); an empty
 * or missing spec is system.slice:tether:<default_name>, as runc makes it system.slice:runc:<id> for
 * root. An empty slice is system.slice (runc's default for root; this driver speaks to the system bus
 * only). The scope is prefix-name.scope (runc's getUnitName); a name ending in .slice, which makes runc
 * create a slice for the container, is refused: a slice holds no processes. */
int cgroup_systemd_path_parse(const char *spec,
                              const char *default_name,
                              char **ret_slice,
                              char **ret_unit,
                              const char **reterr_what) {
        _cleanup_free_ char *slice = NULL, *unit = NULL, *dummy = NULL;
        const char *c1, *c2, *prefix = "tether", *name = default_name;
        size_t prefix_len = strlen(prefix), name_len = name ? strlen(name) : 0;
        int r;

        if (spec && spec[0]) {
                c1 = strchr(spec, ':');
                c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2 || strchr(c2 + 1, ':')) {
                        *reterr_what = "cgroupsPath: the systemd driver wants 'slice:prefix:name'";
                        return -EINVAL;
                }
                slice = c1 == spec ? strdup("system.slice") : strndup(spec, (size_t) (c1 - spec));
                prefix = c1 + 1;
                prefix_len = (size_t) (c2 - prefix);
                name = c2 + 1;
                name_len = strlen(name);
        } else
                slice = strdup("system.slice");
        if (!slice)
                return -ENOMEM;
        r = cgroup_systemd_expand_slice(slice, &dummy);
        if (r == -EINVAL)
                *reterr_what =
                        "cgroupsPath: the slice must be a systemd slice's name, 'NAME.slice', with no '/'";
        if (r < 0)
                return r;
        if (!valid_name_part(prefix, prefix_len)) {
                *reterr_what =
                        "cgroupsPath: the prefix must be a non-empty part of a unit name (letters, digits, '_', '.', '-')";
                return -EINVAL;
        }
        if (!name || !valid_name_part(name, name_len)) {
                *reterr_what =
                        "cgroupsPath: the name must be a non-empty part of a unit name (letters, digits, '_', '.', '-')";
                return -EINVAL;
        }
        if (name_len >= strlen(".slice") && strcmp(name + name_len - strlen(".slice"), ".slice") == 0) {
                *reterr_what =
                        "cgroupsPath: a name ending in '.slice' (a slice for the container) is not supported; tether makes a scope";
                return -EOPNOTSUPP;
        }
        if (asprintf(&unit, "%.*s-%s.scope", (int) prefix_len, prefix, name) < 0)
                return -ENOMEM;
        if (strlen(unit) >= UNIT_NAME_MAX) {
                *reterr_what =
                        "cgroupsPath: the unit name 'prefix-name.scope' is longer than systemd's 255 characters";
                return -ENAMETOOLONG;
        }
        *ret_slice = TAKE_PTR(slice);
        *ret_unit = TAKE_PTR(unit);
        return 0;
}

/* CPUQuotaPerSecUSec from OCI's quota and period, as runc's addCPUQuota (systemd/common.go): µs of CPU per
 * second of wall time, rounded up to whole 10 ms because systemd keeps CPUQuota= in percent;
 * UINT64_MAX ("infinity") for no quota. */
uint64_t cgroup_systemd_cpu_quota_per_sec(bool has_quota, int64_t quota, uint64_t period) {
        uint64_t per_sec;

        if (!has_quota || quota <= 0)
                return UINT64_MAX;
        if (period == 0)
                period = 100000;
        per_sec = (uint64_t) quota * 1000000 / period;
        if (per_sec % 10000 != 0)
                per_sec = (per_sec / 10000 + 1) * 10000;
        return per_sec;
}

/* "0-3,7" to the bit mask AllowedCPUs= and AllowedMemoryNodes= take over D-Bus: byte i, bit j is CPU
 * 8i+j (systemd's cpu_set_to_dbus; runc's RangeToBits in systemd/cpuset.go). At most 8192 CPUs. */
int cgroup_systemd_cpuset_to_bits(const char *list, uint8_t **ret, size_t *ret_n) {
        _cleanup_free_ uint8_t *bits = NULL;
        size_t n = 0;
        const char *p = list;

        for (;;) {
                unsigned long a, b;
                char *end;

                while (*p == ' ' || *p == '\n')
                        p++;
                if (*p == '\0')
                        break;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                a = b = strtoul(p, &end, 10);
                if (*end == '-') {
                        p = end + 1;
                        if (*p < '0' || *p > '9')
                                return -EINVAL;
                        b = strtoul(p, &end, 10);
                }
                if (a > b || b >= 8192)
                        return -EINVAL;
                if (b / 8 + 1 > n) {
                        uint8_t *nb = realloc(bits, b / 8 + 1);

                        if (!nb)
                                return -ENOMEM;
                        memset(nb + n, 0, b / 8 + 1 - n);
                        bits = nb;
                        n = b / 8 + 1;
                }
                for (unsigned long i = a; i <= b; i++)
                        bits[i / 8] |= (uint8_t) (1U << (i % 8));
                p = end;
                while (*p == ' ' || *p == '\n')
                        p++;
                if (*p == ',')
                        p++;
                else if (*p != '\0')
                        return -EINVAL;
        }
        if (n == 0)
                return -EINVAL;
        *ret = TAKE_PTR(bits);
        *ret_n = n;
        return 0;
}

/* One DeviceAllow= entry that covers what rule allows (or more: the eBPF filter the v2 driver attaches
 * next to systemd's is exact, and a device passes only if both programs let it). systemd's syntax, as
 * runc's devices/systemd.go writes it for systemd >= 240: "/dev/char/M:m" for one device, "char-M" for a
 * major, "char-*" for all; a wildcard major with a given minor has no syntax and becomes "char-*". Type
 * 'a' needs two entries: buf gets the char one, buf2 the block one (else ""). */
int cgroup_systemd_device_allow(const CgroupDeviceRule *rule, char *buf, char *buf2, size_t size) {
        const char *kinds[2] = {"char", "block"};
        char *out[2] = {buf, buf2};

        buf2[0] = '\0';
        if (!rule->allow)
                return -EINVAL;
        for (int i = 0; i < 2; i++) {
                const char *kind = rule->type == 'a' ? kinds[i] : rule->type == 'b' ? "block" : "char";
                int n;

                if (rule->type != 'a' && i == 1)
                        break;
                if (rule->major < 0)
                        n = snprintf(out[i], size, "%s-*", kind);
                else if (rule->minor < 0)
                        n = snprintf(out[i], size, "%s-%lld", kind, (long long) rule->major);
                else
                        n = snprintf(out[i],
                                     size,
                                     "/dev/%s/%lld:%lld",
                                     kind,
                                     (long long) rule->major,
                                     (long long) rule->minor);
                if (n < 0 || (size_t) n >= size)
                        return -ENOBUFS;
        }
        return 0;
}
