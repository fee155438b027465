#pragma once

#include "oci-config.h"

/* Gives the process's stdio to process.user's uid before it changes to it, as
 * opencontainers/runc:libcontainer/init_linux.go fixStdioPermissions does, so that the program can reopen
 * /dev/stdout or /proc/self/fd/N: regular files, pipes and sockets, and with process.terminal the
 * container's own pty. Never /dev/null (char 1:3, the host's as often as not) nor any other device, in
 * particular not a terminal of the caller's. Only the owner changes, not the group. EPERM (an owner not
 * mapped in our user namespace) and EROFS are not errors, as in runc. Async-signal-safe. Returns 0 or
 * -errno. */
int stdio_give_to_user(const OciProcess *p);
