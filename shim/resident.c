/* resident.h. Why not after every request: a shim runs its start once and its loop for the container's
 * life; what a query brings back in is what its next query uses. */

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "macro.h"
#include "resident.h"

#define MAX_RANGES 16 /* a static-pie has 2 such mappings, a dynamic program 2 or 3 */

static void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}

/* "START-END PERMS OFFSET DEV INODE PATH": the range, whether it is read-only and private, and the path.
 * Not sscanf: resident.c runs in every shim, and glibc's scanf is 36 kB of text. */
static bool parse_header(
        const char *line, uintptr_t *ret_lo, uintptr_t *ret_hi, bool *ret_candidate, const char **ret_path) {
        const char *p = line;
        uintptr_t lo, hi;
        char *end;

        /* a field line ("Anonymous: ...") may start with a hex digit too: set nothing until all parses */
        lo = (uintptr_t) strtoul(p, &end, 16);
        if (end == p || *end != '-')
                return false;
        p = end + 1;
        hi = (uintptr_t) strtoul(p, &end, 16);
        if (end == p || *end != ' ' || strlen(end + 1) < 4)
                return false;
        p = end + 1;
        *ret_candidate = p[0] == 'r' && p[1] == '-' && p[3] == 'p';
        /* past the perms, offset, device and inode fields to the path (none for anonymous memory) */
        for (int field = 0; field < 4; field++) {
                p = strchr(p, ' ');
                if (!p)
                        return false;
                p += strspn(p, " ");
        }
        *ret_lo = lo;
        *ret_hi = hi;
        *ret_path = p;
        return true;
}

/* Whether LINE is the field NAME ("Anonymous:"), and then whether it says 0 kB. What does not parse is
 * not 0: the mapping stays. */
static bool field_is(const char *line, const char *name, bool *ret_zero) {
        size_t n = strlen(name);
        const char *p;
        char *end;
        unsigned long v;

        if (strncmp(line, name, n) != 0)
                return false;
        p = line + n;
        v = strtoul(p, &end, 10);
        *ret_zero = end != p && v == 0 && strncmp(end, " kB", 3) == 0;
        return true;
}

int resident_drop_clean_image(size_t *ret_bytes) {
        _cleanup_(fclosep) FILE *f = NULL;
        struct {
                uintptr_t lo, hi;
        } ranges[MAX_RANGES];
        size_t n = 0, dropped = 0;
        char exe[PATH_MAX], line[PATH_MAX + 128];
        /* the mapping being read: one of ours, and what its fields said so far */
        bool in_exe = false, anon_zero = false, swap_zero = false;
        uintptr_t lo = 0, hi = 0;
        ssize_t len;

        len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (len < 0)
                return -errno;
        exe[len] = '\0';
        f = fopen("/proc/self/smaps", "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                const char *path;
                size_t l = strcspn(line, "\n");
                bool candidate, zero;

                /* a line longer than a path can make: nothing is dropped rather than a part misread */
                if (line[l] != '\n' && !feof(f))
                        return -ENAMETOOLONG;
                line[l] = '\0';
                if (parse_header(line, &lo, &hi, &candidate, &path)) {
                        in_exe = candidate && strcmp(path, exe) == 0;
                        anon_zero = swap_zero = false;
                        continue;
                }
                if (!in_exe)
                        continue;
                /* A private page is counted under Anonymous while resident and under Swap once swapped
                 * out: both 0 kB, and every page of the mapping is the file's. VmFlags ends the entry. */
                if (field_is(line, "Anonymous:", &zero))
                        anon_zero = zero;
                else if (field_is(line, "Swap:", &zero))
                        swap_zero = zero;
                else if (strncmp(line, "VmFlags:", 8) == 0) {
                        if (anon_zero && swap_zero && n < MAX_RANGES)
                                ranges[n++] = (typeof(ranges[0])){lo, hi};
                        in_exe = false;
                }
        }
        if (ferror(f))
                return -EIO;
        /* after the read: smaps is not walked while its page tables change */
        for (size_t i = 0; i < n; i++) {
                if (madvise((void *) ranges[i].lo, ranges[i].hi - ranges[i].lo, MADV_DONTNEED) < 0)
                        return -errno;
                dropped += ranges[i].hi - ranges[i].lo;
        }
        if (ret_bytes)
                *ret_bytes = dropped;
        return 0;
}
