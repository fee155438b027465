#pragma once

#include <jansson.h>

/* The default seccomp profile, as config.json's linux.seccomp object: docker's default profile
 * (moby/moby:profiles/seccomp/default.json, vendored as
 * vendor/github.com/moby/profiles/seccomp/default.json) resolved for a container with docker's default
 * capabilities on the architecture tether was built for. Everything not listed fails with EPERM. For `tether
 * spec` and `--seccomp default`. Returns a new reference, or NULL on OOM. */
json_t *seccomp_default_profile(void);
