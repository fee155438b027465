#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "macro.h"
#include "rlimit-names.h"

static const char *const rlimit_names[] = {
        [RLIMIT_AS] = "RLIMIT_AS",
        [RLIMIT_CORE] = "RLIMIT_CORE",
        [RLIMIT_CPU] = "RLIMIT_CPU",
        [RLIMIT_DATA] = "RLIMIT_DATA",
        [RLIMIT_FSIZE] = "RLIMIT_FSIZE",
        [RLIMIT_LOCKS] = "RLIMIT_LOCKS",
        [RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK",
        [RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE",
        [RLIMIT_NICE] = "RLIMIT_NICE",
        [RLIMIT_NOFILE] = "RLIMIT_NOFILE",
        [RLIMIT_NPROC] = "RLIMIT_NPROC",
        [RLIMIT_RSS] = "RLIMIT_RSS",
        [RLIMIT_RTPRIO] = "RLIMIT_RTPRIO",
        [RLIMIT_RTTIME] = "RLIMIT_RTTIME",
        [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
        [RLIMIT_STACK] = "RLIMIT_STACK",
};

int rlimit_from_name(const char *name) {
        if (!name)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(rlimit_names); i++)
                if (rlimit_names[i] && strcmp(rlimit_names[i], name) == 0)
                        return (int) i;
        return -EINVAL;
}

const char *rlimit_to_name(int resource) {
        if (resource < 0 || (size_t) resource >= ELEMENTSOF(rlimit_names))
                return NULL;
        return rlimit_names[resource];
}
