#pragma once

/* ROOT/ID/exec.fifo: how `start` lets a created container's first process exec. As crun does it
 * (containers/crun:src/libcrun/status.c, container.c): `create` makes the fifo and opens its read end
 * before the process is cloned, the process inherits that fd and waits for a byte on it, `start` opens the
 * write end and writes the byte. The process thus never opens anything by path after pivot_root: no /proc
 * is needed (runc reopens an O_PATH fd through /proc/self/fd), and it holds no host directory. */

/* Makes the fifo (0600, root's) in dir_fd and returns its read end, non-blocking and close-on-exec. */
int exec_fifo_create(int dir_fd, int *ret_read_fd);

/* In the container's first process: waits until `start` writes, then closes fd. Async-signal-safe.
 * Returns 0, or -errno (-EPIPE when the fifo was closed without a byte). */
int exec_fifo_wait(int fd);

/* For `start`: writes the byte and waits until the process has taken it (it then closes its end), or has
 * died (pidfd readable; pidfd < 0: not watched). Returns 0, -ESRCH if the process was gone before it took
 * the byte, or -errno. Removes the fifo either way. */
int exec_fifo_release(int dir_fd, int pidfd);
