/* The systemd driver's parsers of linux.cgroupsPath ("slice:prefix:name") and of cpuset lists
 * (cpu.cpus, cpu.mems), which take the config's strings as they come. The input is split at its first
 * NUL: the path before, the list after. Beyond not crashing or leaking, the contracts: on success a
 * slice ending in .slice and a scope "prefix-name.scope" without '/', on failure a message and nothing
 * returned; a bit mask never empty and never beyond 8192 CPUs. */

#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "fuzz.h"

static bool ends_with(const char *s, const char *suffix) {
        size_t n = strlen(s), k = strlen(suffix);

        return n >= k && strcmp(s + n - k, suffix) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *buf = malloc(size + 2), *slice = NULL, *unit = NULL, *list;
        const char *what = NULL;
        uint8_t *bits = NULL;
        size_t n = 0;
        int r;

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = buf[size + 1] = '\0';
        list = buf + strlen(buf) + 1;
        if (list > buf + size)
                list = buf + size + 1; /* "" */

        r = cgroup_systemd_path_parse(buf, "id", &slice, &unit, &what);
        if (r == 0 && (!slice || !unit || !ends_with(slice, ".slice") || !ends_with(unit, ".scope") ||
                       strchr(unit, '/') || strchr(slice, '/') || strlen(unit) > 255))
                abort();
        if (r < 0 && (slice || unit || ((r == -EINVAL || r == -EOPNOTSUPP) && !what)))
                abort();
        free(slice);
        free(unit);

        r = cgroup_systemd_cpuset_to_bits(list, &bits, &n);
        if (r == 0 && (!bits || n == 0 || n > 1024))
                abort();
        if (r < 0 && (bits || (r != -EINVAL && r != -ENOMEM)))
                abort();
        free(bits);
        free(buf);
        return 0;
}
