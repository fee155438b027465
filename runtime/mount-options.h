#pragma once

/* OCI mount options (config.md "Linux mount options") turned into what mount(2) and mount_setattr(2)
 * take, after containers/crun:src/libcrun/mount_flags.perf. Pure: no system calls. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum MountPropagation {
        MOUNT_PROPAGATION_UNCHANGED, /* no propagation option given */
        MOUNT_PROPAGATION_SHARED,
        MOUNT_PROPAGATION_SLAVE,
        MOUNT_PROPAGATION_PRIVATE,
        MOUNT_PROPAGATION_UNBINDABLE,
        _MOUNT_PROPAGATION_MAX,
        _MOUNT_PROPAGATION_INVALID = -EINVAL,
} MountPropagation;

typedef enum MountExtra {
        MOUNT_EXTRA_TMPCOPYUP = 1 << 0, /* copy the old contents up into the new tmpfs */
        MOUNT_EXTRA_IDMAP = 1 << 1, /* idmapped mount */
        MOUNT_EXTRA_RIDMAP = 1 << 2, /* idmapped mount, recursively */
} MountExtra;

typedef struct MountOptions {
        unsigned long flags; /* MS_* for mount(2), propagation excluded; rbind is MS_BIND|MS_REC */
        MountPropagation propagation; /* the last propagation option wins */
        bool propagation_recursive; /* rshared, rslave, rprivate, runbindable */
        uint64_t attr_set; /* MOUNT_ATTR_* from the r* options, for */
        uint64_t attr_clr; /*   mount_setattr(AT_RECURSIVE) */
        unsigned extra; /* MountExtra */
        char *data; /* the other options, comma-separated, for mount(2); NULL if none */
} MountOptions;

/* Parses a NULL-terminated list of options (NULL means none). Options not in the table are filesystem
 * options and go to data, in order, as the spec says. Returns 0 or -ENOMEM. */
int mount_options_parse(char *const *options, MountOptions *ret);
void mount_options_done(MountOptions *o);

/* The i-th option name of the table, NULL past its end; for `tether features`. */
const char *mount_option_name(size_t i);

/* For linux.rootfsPropagation: one of private, shared, slave, unbindable, or the same with an 'r'. */
int mount_propagation_from_string(const char *s, MountPropagation *ret, bool *ret_recursive);
/* NULL for MOUNT_PROPAGATION_UNCHANGED. */
const char *mount_propagation_to_string(MountPropagation p);
/* MS_SHARED etc., with MS_REC if recursive; 0 for MOUNT_PROPAGATION_UNCHANGED. */
unsigned long mount_propagation_to_flags(MountPropagation p, bool recursive);
