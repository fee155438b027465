#pragma once

#include "oci-config.h"

/* Builds the container's filesystem view inside its (new) mount namespace, from config, in two steps
 * with the createRuntime and createContainer hooks between them, as the runtime spec orders it.
 * Both run in the container's first process before it execs. On failure they return -errno and name
 * the failing mount, device or path in *reterr_what (a static string or one from config).
 *
 * rootfs_prepare(): the mounts under rootfs (an absolute path), /dev and the masked paths. sources: NULL,
 * or the mount sources the runtime opened (mount-source.h), indexed like config->mounts; each one used is
 * closed and set to -EBADF, the others are the caller's to close. */
int rootfs_prepare(const OciConfig *config, const char *rootfs, int *sources, const char **reterr_what);

/* rootfs_enter(): pivot_root into rootfs (chroot with no_pivot). */
int rootfs_enter(const char *rootfs, bool no_pivot, const char **reterr_what);

/* Whether "/" is a mount point: it is not in a directory entered by a plain chroot(2). 1, 0, or -errno
 * (-EOPNOTSUPP before Linux 5.8, which does not say). */
int rootfs_root_is_mount_point(void);

/* rootfs_finish(): a missing process.cwd, read-only paths, a read-only root. Called after the sysctls are
 * written: readonlyPaths usually holds /proc/sys (opencontainers/runc:libcontainer/standard_init_linux.go
 * writes them first too). maskedPaths are rootfs_prepare()'s last step, before the pivot. */
int rootfs_finish(const OciConfig *config, const char **reterr_what);

/* Opens path inside the directory root_fd, resolving every symlink as if root_fd were "/" (openat2
 * RESOLVE_IN_ROOT), so that a mount destination in an untrusted image never leads out of it. Missing
 * components are created as directories, and the last one as a directory or, if !want_dir, an empty
 * file. Returns an O_PATH fd, or -errno. */
int rootfs_open_in_root(int root_fd, const char *path, bool create, bool want_dir);

/* Opens path inside root_fd as rootfs_open_in_root() resolves it (no symlink leads out, no magic link is
 * followed), with open flags (O_CLOEXEC is added), creating nothing. Returns an fd or -errno. */
int rootfs_open_file_in_root(int root_fd, const char *path, int flags);

/* Checks that path, relative to root_fd, leads to fd's file through no symlink at all: -ELOOP if not. */
int rootfs_check_no_symlink(int root_fd, const char *path, int fd);
