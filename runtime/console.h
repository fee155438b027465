#pragma once

#include "oci-config.h"

/* process.terminal: the container's first process makes a pty in the container's devpts, makes its
 * slave its controlling terminal, stdio and /dev/console, and hands the master to whoever listens on the
 * --console-socket (SCM_RIGHTS, as runc's utils.SendFile and conmon expect); /dev/console only if
 * bind_dev_console (the first process, not an exec). Returns 0 or -errno with the
 * failing step in *reterr_what. */
int console_setup(const OciProcess *p, int socket_fd, bool bind_dev_console, const char **reterr_what);

/* Connects to the --console-socket at path. Returns the fd or -errno. */
int console_socket_connect(const char *path);
