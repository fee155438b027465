#pragma once

#include <signal.h>
#include <stddef.h>
#include <sys/signalfd.h>

/* Blocks every signal but the synchronous ones the kernel raises for faults (SEGV, BUS, ILL, FPE, ABRT,
 * TRAP, SYS) and returns a signalfd that receives them (openSUSE/catatonit:catatonit.c). SIGTTIN and
 * SIGTTOU are ignored instead, so that neither tcsetpgrp() nor a write to the terminal from a background
 * group stops us. The mask we started with is stored in *ret_child_mask for the payload. Returns the
 * signalfd or -errno. */
int signals_block_all(sigset_t *ret_child_mask);

/* Reads up to max signals, blocking until there is one. Returns how many, or -errno. */
int signals_read(int fd, struct signalfd_siginfo *buf, size_t max);
