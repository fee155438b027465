#pragma once

/* User namespaces the runtime writes the maps of: the container's, and those made for idmapped mounts. */

#include <stddef.h>
#include <sys/types.h>

#include "oci-config.h"

/* Writes /proc/PID/FILE (uid_map or gid_map) from n mappings. With none it writes nothing, and the
 * namespace maps no id, as the kernel leaves it (an empty write would be EINVAL). Returns 0 or -errno. */
int userns_write_map(pid_t pid, const char *file, const OciIdMapping *m, size_t n);

/* A new user namespace with these maps, for mount_setattr(MOUNT_ATTR_IDMAP): a short-lived child makes it
 * (containers/crun:src/libcrun/linux.c maybe_create_userns_for_idmapped_mount), the caller writes its maps
 * and keeps an fd of it, then the child exits. Returns the fd or -errno. */
int userns_open_mapped(const OciIdMapping *uids, size_t n_uids, const OciIdMapping *gids, size_t n_gids);
