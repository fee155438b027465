/* resident_drop_clean_image(): the start's clean pages of the executable are unmapped and come back
 * intact when used; a page the process changed (as relocations change .data.rel.ro, or a debugger its
 * breakpoints) is never dropped, which would silently bring back the file's bytes. */

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "macro.h"
#include "resident.h"
#include "tap.h"

#define PAGE 4096
#define REGION_PAGES 64

/* Read-only data of our own executable, in 64 kB windows of its own (the kernel maps cached file pages
 * 64 kB at a time around a fault), so that nothing else the test reads brings its pages back. */
static const uint8_t region[REGION_PAGES * PAGE] __attribute__((aligned(65536))) = {1};

static bool mapped(const volatile void *p) {
        _cleanup_close_ int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
        uint64_t e = 0;

        if (fd < 0 || pread(fd, &e, sizeof(e), (off_t) ((uintptr_t) p / PAGE * sizeof(e))) != sizeof(e))
                return false;
        return e >> 63; /* present */
}

static void test_drop(void) {
        const volatile uint8_t *r = region;
        /* volatile: region is const, and the compiler would read the file's byte at build time */
        volatile uint8_t *changed = (volatile uint8_t *) region + 40 * PAGE;
        size_t dropped = 0;

        /* a page of the file made this process's own, as a relocation or a breakpoint would */
        TAP_EQ_INT(mprotect((void *) changed, PAGE, PROT_READ | PROT_WRITE), 0);
        changed[7] = 0x5a;
        TAP_EQ_INT(mprotect((void *) changed, PAGE, PROT_READ), 0);

        TAP_EQ_INT(r[0], 1);
        TAP_EQ_INT(r[20 * PAGE + 7], 0);
        TAP_OK(mapped(r + 20 * PAGE));

        TAP_EQ_INT(resident_drop_clean_image(&dropped), 0);
        TAP_OK(dropped >= (REGION_PAGES - 1) * PAGE);
        TAP_OK(!mapped(r + 20 * PAGE));
        /* the changed page is still this process's, with its byte */
        TAP_OK(mapped(changed));
        TAP_EQ_INT(changed[7], 0x5a);
        /* the dropped ones come back from the file, intact */
        TAP_EQ_INT(r[0], 1);
        TAP_EQ_INT(r[20 * PAGE + 7], 0);
        TAP_OK(mapped(r + 20 * PAGE));
        /* and the code it dropped runs again */
        TAP_EQ_INT(resident_drop_clean_image(NULL), 0);
        TAP_EQ_INT(changed[7], 0x5a);
}

int main(void) {
        test_drop();
        return tap_done();
}
