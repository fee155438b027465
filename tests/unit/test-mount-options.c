/* OCI mount options -> mount(2) flags, propagation, mount_setattr(2) attributes and data. */

#include <sys/mount.h>

#include "mount-options.h"
#include "tap.h"

static void parse(char **options, MountOptions *o) {
        TAP_EQ_INT(mount_options_parse(options, o), 0);
}

#define OPTS(...) ((char *[]){__VA_ARGS__, NULL})

int main(void) {
        MountOptions o;
        MountPropagation p;
        bool rec;

        parse(NULL, &o);
        TAP_OK(o.flags == 0 && o.propagation == MOUNT_PROPAGATION_UNCHANGED && !o.data && o.extra == 0);

        /* Later options override earlier ones, as in mount(8). */
        parse(OPTS("ro", "nosuid", "rw", "defaults"), &o);
        TAP_EQ_INT(o.flags, MS_NOSUID);
        parse(OPTS("rbind", "rshared", "private"), &o);
        TAP_EQ_INT(o.flags, MS_BIND | MS_REC);
        TAP_EQ_INT(o.propagation, MOUNT_PROPAGATION_PRIVATE);
        TAP_OK(!o.propagation_recursive);
        TAP_EQ_INT(mount_propagation_to_flags(o.propagation, o.propagation_recursive), MS_PRIVATE);

        /* Recursive attributes, and the atime modes that are an enum in mount_setattr(2). */
        parse(OPTS("rro", "rnosuid", "rsuid", "rstrictatime", "rnoatime"), &o);
        TAP_EQ_INT(o.attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME);
        TAP_EQ_INT(o.attr_clr, MOUNT_ATTR_NOSUID | MOUNT_ATTR__ATIME);
        TAP_EQ_INT(o.flags, 0);

        /* Filesystem options go to data, in order; extras are flagged, not passed on. */
        parse(OPTS("mode=755", "nodev", "size=64k", "", "tmpcopyup", "idmap"), &o);
        TAP_EQ_STR(o.data, "mode=755,size=64k");
        TAP_EQ_INT(o.flags, MS_NODEV);
        TAP_EQ_INT(o.extra, MOUNT_EXTRA_TMPCOPYUP | MOUNT_EXTRA_IDMAP);
        mount_options_done(&o);
        TAP_OK(!o.data);
        mount_options_done(NULL);

        TAP_EQ_INT(mount_propagation_from_string("rslave", &p, &rec), 0);
        TAP_OK(p == MOUNT_PROPAGATION_SLAVE && rec);
        TAP_EQ_INT(mount_propagation_to_flags(p, rec), MS_SLAVE | MS_REC);
        TAP_EQ_STR(mount_propagation_to_string(MOUNT_PROPAGATION_UNBINDABLE), "unbindable");
        TAP_EQ_STR(mount_propagation_to_string(MOUNT_PROPAGATION_UNCHANGED), NULL);
        TAP_EQ_INT(mount_propagation_to_flags(MOUNT_PROPAGATION_UNCHANGED, true), 0);

        /* Bad input. */
        TAP_EQ_INT(mount_propagation_from_string("ro", &p, &rec), -EINVAL);
        TAP_EQ_INT(mount_propagation_from_string("", &p, &rec), -EINVAL);
        TAP_EQ_INT(mount_propagation_from_string(NULL, &p, &rec), -EINVAL);
        TAP_EQ_INT(mount_propagation_from_string("Shared", &p, &rec), -EINVAL);
        return tap_done();
}
