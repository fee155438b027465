#pragma once

/* Checks a parsed config against what the host and its namespaces allow, before anything is created:
 * settings that would land in the namespaces the runtime runs in rather than in the container's: a
 * hostname or domainname without a UTS namespace of the container's own, a linux.sysctl key outside its
 * namespace or in none (fs.lease-break-time is the host's whatever the container's namespaces). After
 * opencontainers/runc:libcontainer/configs/validate/validator.go. Unlike the parser it looks at the
 * system: a namespace joined by path counts as none when it is the one the runtime runs in. */

#include "oci-config.h"

/* Returns 0 if c may be created here. Otherwise -EINVAL for a setting that is not allowed, or -errno when a
 * namespace path cannot be looked at, with reterr->path naming the field ("hostname", "linux.sysctl") and
 * reterr->message the setting and the reason; strerror() of the result completes a -errno message. */
int oci_config_validate(const OciConfig *c, OciError *reterr);
