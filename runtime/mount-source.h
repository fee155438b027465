#pragma once

/* Mount sources the runtime opens, for the container's first process to attach.
 *
 * In a user namespace the first process is the container's root, not the host's: a bind source below a
 * directory only the host's root may enter is out of its reach. So the runtime clones each bind source
 * as a detached mount (open_tree(OPEN_TREE_CLONE), with AT_RECURSIVE for rbind) and passes the fds over
 * the sync socket (SCM_RIGHTS); the process attaches them with move_mount() to a target it opened inside
 * the rootfs, and closes them all before anything of the container's runs (containers/crun:
 * src/libcrun/linux.c prepare_and_send_mount_mounts).
 *
 * The runtime does it with the host root's credentials but in the process's mount namespace, from a
 * short-lived helper, as opencontainers/runc:libcontainer/mount_linux.go mountFd is called: there every
 * mount is the copy the kernel made for a less privileged user namespace, its flags and submounts locked
 * (mount_namespaces(7)). A clone taken in the host's own namespace would carry no lock: the container's
 * root could make a bind of a host read-only mount writable, or unmount a submount of an rbind and see
 * what the host hid below it (crun 1.8.1 lets it, measured). Non-recursive binds of a tree with locked
 * submounts stay refused (EINVAL), as they were when the process bound the source itself.
 *
 * An idmapped mount is always such a source, user namespace or not: only a detached mount can be
 * idmapped. The runtime sets MOUNT_ATTR_IDMAP on the clone, with the user namespace the mount takes its
 * mappings from (userns.h).
 *
 * The fds are indexed like config->mounts; -EBADF where the process mounts by itself. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "oci-config.h"

/* How many fds the first process must be ready to receive: 0 when the config needs none (no user
 * namespace and no idmapped mount). */
size_t mount_sources_count(const OciConfig *c);

/* Runtime side: opens the sources in the mount namespace of the first process, pid (or the one its
 * config joins), which waits in mount_sources_receive(), sends them to it over sock, and then the message
 * that ends them, also when there are none. On failure names the failing source in *reterr_what. */
int mount_sources_send(const OciConfig *c, pid_t pid, int sock, const char **reterr_what);

/* First process: receives fds into fds[] (n of them, all -EBADF on entry) until the end message.
 * Async-signal-safe. */
int mount_sources_receive(int sock, int *fds, size_t n);

/* Closes every fd of fds[] and sets it to -EBADF. Async-signal-safe. */
void mount_sources_close(int *fds, size_t n);
