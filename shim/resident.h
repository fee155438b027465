#pragma once

/* What stays resident of a shim once its container runs (issue 11: "what stays resident per container").
 * Library code: no logging; -errno returns. */

#include <stddef.h>

/* Drops this process's page table entries for the read-only mappings of its own executable that hold no
 * page of their own (smaps' Anonymous and Swap both 0 kB, so each page is the file's): the start's code
 * and data, which the container's life does not run again. The pages stay in the page cache, for the next
 * shim's start and for whatever this one runs later, which faults them back in. A mapping with a private
 * page, resident or swapped out (the relocated .data.rel.ro, a debugger's or a uprobe's breakpoint), is
 * left alone; one that host root puts there between the read of smaps and the madvise() would be lost.
 * Returns the bytes unmapped. Single-threaded callers only: no other thread may be writing a mapping. */
int resident_drop_clean_image(size_t *ret_bytes);
