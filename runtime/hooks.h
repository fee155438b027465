#pragma once

#include "oci-config.h"

/* Runs the hooks of one kind, in order, each with the container's OCI state on its stdin, as the runtime
 * spec asks (config.md "POSIX-platform Hooks"), and its env or else default_env (NULL: the runtime's
 * environment). A hook that exits non-zero, dies, or outlives its timeout (then it is killed) fails the
 * whole call. Returns 0, or -errno with the hook's path in *reterr_what and, for a non-zero exit, its
 * status in *reterr_status (-1 for a timeout or a signal). */
int hooks_run(const OciHookList *hooks,
              const char *state_json,
              char *const *default_env,
              const char **reterr_what,
              int *reterr_status);

static inline bool hooks_any(const OciHookList *hooks) {
        return hooks->n_hooks > 0;
}
