#pragma once

#include "oci-config.h"

/* Brings the loopback interface up when the container has a network namespace of its own (not one joined
 * by path, which is someone else's to configure), as runc and crun do. Called in the container's first
 * process after it has joined its namespaces: async-signal-safe, no allocation. Returns 0 or -errno. */
int network_setup_loopback(const OciConfig *c);
