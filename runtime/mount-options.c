#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "macro.h"
#include "mount-options.h"

typedef enum OptionKind {
        OPTION_FLAG_SET, /* value: MS_* to set */
        OPTION_FLAG_CLEAR, /* value: MS_* to clear */
        OPTION_PROPAGATION, /* value: MountPropagation */
        OPTION_ATTR_SET, /* value: MOUNT_ATTR_* to set recursively */
        OPTION_ATTR_CLEAR, /* value: MOUNT_ATTR_* to clear recursively */
        OPTION_ATTR_ATIME, /* value: the MOUNT_ATTR__ATIME mode to set recursively */
        OPTION_EXTRA, /* value: MountExtra */
} OptionKind;

typedef struct MountOptionDef {
        const char *name;
        OptionKind kind;
        uint64_t value;
        bool recursive; /* propagation only */
} MountOptionDef;

/* Every option of config.md's table, plus the pairs mount(8) knows (lazytime, iversion, silent). The
 * atime modes are an enum in mount_setattr(2), not bits, so the recursive negative forms (ratime,
 * rnorelatime, rnostrictatime) set the kernel's default mode, relatime. */
static const MountOptionDef mount_option_table[] = {
        {"defaults", OPTION_FLAG_SET, 0},
        {"bind", OPTION_FLAG_SET, MS_BIND},
        {"rbind", OPTION_FLAG_SET, MS_BIND | MS_REC},
        {"ro", OPTION_FLAG_SET, MS_RDONLY},
        {"rw", OPTION_FLAG_CLEAR, MS_RDONLY},
        {"nosuid", OPTION_FLAG_SET, MS_NOSUID},
        {"suid", OPTION_FLAG_CLEAR, MS_NOSUID},
        {"nodev", OPTION_FLAG_SET, MS_NODEV},
        {"dev", OPTION_FLAG_CLEAR, MS_NODEV},
        {"noexec", OPTION_FLAG_SET, MS_NOEXEC},
        {"exec", OPTION_FLAG_CLEAR, MS_NOEXEC},
        {"sync", OPTION_FLAG_SET, MS_SYNCHRONOUS},
        {"async", OPTION_FLAG_CLEAR, MS_SYNCHRONOUS},
        {"dirsync", OPTION_FLAG_SET, MS_DIRSYNC},
        {"remount", OPTION_FLAG_SET, MS_REMOUNT},
        {"mand", OPTION_FLAG_SET, MS_MANDLOCK},
        {"nomand", OPTION_FLAG_CLEAR, MS_MANDLOCK},
        {"noatime", OPTION_FLAG_SET, MS_NOATIME},
        {"atime", OPTION_FLAG_CLEAR, MS_NOATIME},
        {"nodiratime", OPTION_FLAG_SET, MS_NODIRATIME},
        {"diratime", OPTION_FLAG_CLEAR, MS_NODIRATIME},
        {"relatime", OPTION_FLAG_SET, MS_RELATIME},
        {"norelatime", OPTION_FLAG_CLEAR, MS_RELATIME},
        {"strictatime", OPTION_FLAG_SET, MS_STRICTATIME},
        {"nostrictatime", OPTION_FLAG_CLEAR, MS_STRICTATIME},
        {"lazytime", OPTION_FLAG_SET, MS_LAZYTIME},
        {"nolazytime", OPTION_FLAG_CLEAR, MS_LAZYTIME},
        {"iversion", OPTION_FLAG_SET, MS_I_VERSION},
        {"noiversion", OPTION_FLAG_CLEAR, MS_I_VERSION},
        {"silent", OPTION_FLAG_SET, MS_SILENT},
        {"loud", OPTION_FLAG_CLEAR, MS_SILENT},
        {"nosymfollow", OPTION_FLAG_SET, MS_NOSYMFOLLOW},
        {"symfollow", OPTION_FLAG_CLEAR, MS_NOSYMFOLLOW},
        {"shared", OPTION_PROPAGATION, MOUNT_PROPAGATION_SHARED, false},
        {"rshared", OPTION_PROPAGATION, MOUNT_PROPAGATION_SHARED, true},
        {"slave", OPTION_PROPAGATION, MOUNT_PROPAGATION_SLAVE, false},
        {"rslave", OPTION_PROPAGATION, MOUNT_PROPAGATION_SLAVE, true},
        {"private", OPTION_PROPAGATION, MOUNT_PROPAGATION_PRIVATE, false},
        {"rprivate", OPTION_PROPAGATION, MOUNT_PROPAGATION_PRIVATE, true},
        {"unbindable", OPTION_PROPAGATION, MOUNT_PROPAGATION_UNBINDABLE, false},
        {"runbindable", OPTION_PROPAGATION, MOUNT_PROPAGATION_UNBINDABLE, true},
        {"rro", OPTION_ATTR_SET, MOUNT_ATTR_RDONLY},
        {"rrw", OPTION_ATTR_CLEAR, MOUNT_ATTR_RDONLY},
        {"rnosuid", OPTION_ATTR_SET, MOUNT_ATTR_NOSUID},
        {"rsuid", OPTION_ATTR_CLEAR, MOUNT_ATTR_NOSUID},
        {"rnodev", OPTION_ATTR_SET, MOUNT_ATTR_NODEV},
        {"rdev", OPTION_ATTR_CLEAR, MOUNT_ATTR_NODEV},
        {"rnoexec", OPTION_ATTR_SET, MOUNT_ATTR_NOEXEC},
        {"rexec", OPTION_ATTR_CLEAR, MOUNT_ATTR_NOEXEC},
        {"rnodiratime", OPTION_ATTR_SET, MOUNT_ATTR_NODIRATIME},
        {"rdiratime", OPTION_ATTR_CLEAR, MOUNT_ATTR_NODIRATIME},
        {"rnosymfollow", OPTION_ATTR_SET, MOUNT_ATTR_NOSYMFOLLOW},
        {"rsymfollow", OPTION_ATTR_CLEAR, MOUNT_ATTR_NOSYMFOLLOW},
        {"rnoatime", OPTION_ATTR_ATIME, MOUNT_ATTR_NOATIME},
        {"rstrictatime", OPTION_ATTR_ATIME, MOUNT_ATTR_STRICTATIME},
        {"rrelatime", OPTION_ATTR_ATIME, MOUNT_ATTR_RELATIME},
        {"ratime", OPTION_ATTR_ATIME, MOUNT_ATTR_RELATIME},
        {"rnorelatime", OPTION_ATTR_ATIME, MOUNT_ATTR_RELATIME},
        {"rnostrictatime", OPTION_ATTR_ATIME, MOUNT_ATTR_RELATIME},
        {"tmpcopyup", OPTION_EXTRA, MOUNT_EXTRA_TMPCOPYUP},
        {"idmap", OPTION_EXTRA, MOUNT_EXTRA_IDMAP},
        {"ridmap", OPTION_EXTRA, MOUNT_EXTRA_RIDMAP},
};

const char *mount_option_name(size_t i) {
        return i < ELEMENTSOF(mount_option_table) ? mount_option_table[i].name : NULL;
}

static const MountOptionDef *mount_option_lookup(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(mount_option_table); i++)
                if (strcmp(mount_option_table[i].name, name) == 0)
                        return &mount_option_table[i];
        return NULL;
}

static void mount_option_apply(const MountOptionDef *d, MountOptions *o) {
        switch (d->kind) {
        case OPTION_FLAG_SET:
                o->flags |= d->value;
                break;
        case OPTION_FLAG_CLEAR:
                o->flags &= ~d->value;
                break;
        case OPTION_PROPAGATION:
                o->propagation = (MountPropagation) d->value;
                o->propagation_recursive = d->recursive;
                break;
        case OPTION_ATTR_SET:
                o->attr_set |= d->value;
                o->attr_clr &= ~d->value;
                break;
        case OPTION_ATTR_CLEAR:
                o->attr_clr |= d->value;
                o->attr_set &= ~d->value;
                break;
        case OPTION_ATTR_ATIME:
                /* mount_setattr(2): a new atime mode needs all of MOUNT_ATTR__ATIME in attr_clr. */
                o->attr_clr |= MOUNT_ATTR__ATIME;
                o->attr_set = (o->attr_set & ~(uint64_t) MOUNT_ATTR__ATIME) | d->value;
                break;
        case OPTION_EXTRA:
                o->extra |= d->value;
                break;
        }
}

static int data_append(char **data, size_t *len, const char *option) {
        size_t n = strlen(option);
        char *p;

        p = realloc(*data, *len + n + 2);
        if (!p)
                return -ENOMEM;
        if (*len > 0)
                p[(*len)++] = ',';
        memcpy(p + *len, option, n + 1);
        *len += n;
        *data = p;
        return 0;
}

int mount_options_parse(char *const *options, MountOptions *ret) {
        MountOptions o = {};
        _cleanup_free_ char *data = NULL;
        size_t data_len = 0;
        int r;

        for (size_t i = 0; options && options[i]; i++) {
                const MountOptionDef *d;

                if (options[i][0] == '\0')
                        continue;
                d = mount_option_lookup(options[i]);
                if (d) {
                        mount_option_apply(d, &o);
                        continue;
                }
                r = data_append(&data, &data_len, options[i]);
                if (r < 0)
                        return r;
        }
        o.data = TAKE_PTR(data);
        *ret = o;
        return 0;
}

void mount_options_done(MountOptions *o) {
        if (!o)
                return;
        free(o->data);
        o->data = NULL;
}

static const char *const mount_propagation_names[_MOUNT_PROPAGATION_MAX] = {
        [MOUNT_PROPAGATION_SHARED] = "shared",
        [MOUNT_PROPAGATION_SLAVE] = "slave",
        [MOUNT_PROPAGATION_PRIVATE] = "private",
        [MOUNT_PROPAGATION_UNBINDABLE] = "unbindable",
};

const char *mount_propagation_to_string(MountPropagation p) {
        if (p < 0 || p >= _MOUNT_PROPAGATION_MAX)
                return NULL;
        return mount_propagation_names[p];
}

int mount_propagation_from_string(const char *s, MountPropagation *ret, bool *ret_recursive) {
        const MountOptionDef *d;

        if (!s)
                return -EINVAL;
        d = mount_option_lookup(s);
        if (!d || d->kind != OPTION_PROPAGATION)
                return -EINVAL;
        *ret = (MountPropagation) d->value;
        *ret_recursive = d->recursive;
        return 0;
}

unsigned long mount_propagation_to_flags(MountPropagation p, bool recursive) {
        static const unsigned long flags[_MOUNT_PROPAGATION_MAX] = {
                [MOUNT_PROPAGATION_SHARED] = MS_SHARED,
                [MOUNT_PROPAGATION_SLAVE] = MS_SLAVE,
                [MOUNT_PROPAGATION_PRIVATE] = MS_PRIVATE,
                [MOUNT_PROPAGATION_UNBINDABLE] = MS_UNBINDABLE,
        };

        if (p <= MOUNT_PROPAGATION_UNCHANGED || p >= _MOUNT_PROPAGATION_MAX)
                return 0;
        return flags[p] | (recursive ? MS_REC : 0);
}
