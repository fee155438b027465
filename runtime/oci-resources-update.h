#pragma once

/* `tether update` builds on what was set before, as runc merges an update into the container's saved
 * config and sets the whole (opencontainers/runc:update.go, libcontainer/container_linux.go Set): the
 * container's linux.resources as last set (the config's, then every update merged in) is kept in its
 * state, and each update is written together with the values it depends on. Pure: JSON in, JSON out. */

#include <stddef.h>

#include <jansson.h>

/* linux.resources of a config.json's text as a new JSON object; an empty one if the config has none.
 * -EINVAL if the text is not JSON or linux.resources no object, -ERANGE for a number jansson cannot
 * hold (beyond int64). */
int oci_resources_of_config(const char *buf, size_t len, json_t **ret);

/* stored (the resources as last set; NULL for none) with update (a linux.resources object: update's
 * flags, or its -r file) merged in: objects member by member, anything else replaced. ret_merged is
 * what to keep; ret_apply what to write to the group: update, plus for a CPU quota or period given
 * alone the other one, and for a memory limit or swap given alone the other one, as stored (v2 keeps
 * both in one file, or derives memory.swap.max from both; the systemd driver needs both), plus runc's
 * fix-up: a limit of -1 without a swap makes the swap -1 too, where one was set ("unable to set swap
 * limit without memory limit", opencontainers/runc:update.go). Both are new references. */
int oci_resources_update_merge(json_t *stored, json_t *update, json_t **ret_merged, json_t **ret_apply);
