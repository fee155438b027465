#pragma once

/* The libFuzzer entry point (https://llvm.org/docs/LibFuzzer.html), declared for -Wmissing-prototypes.
 * Each fuzz-*.c defines it; replay.c calls it on saved inputs so that the unit suite replays every seed
 * and every crasher in builds without libFuzzer. */

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
