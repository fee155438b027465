#pragma once

/* The sections of config.json, each parsed by its own file. Every parser is a JsonItemFunc: it parses the
 * JSON value v, found at the current path of c, into item. The *_done() functions free what a parser put
 * into a struct and accept a zeroed or partly filled one. */

#include "json-util.h"
#include "oci-config.h"

/* item: OciProcess **, set to a new OciProcess */
int oci_parse_process(JsonCtx *c, json_t *v, void *item);
OciProcess *oci_process_free(OciProcess *p);

/* item: OciMount * */
int oci_parse_mount(JsonCtx *c, json_t *v, void *item);
void oci_mount_done(void *item);

/* item: OciHookList[_OCI_HOOK_KIND_MAX] */
int oci_parse_hooks(JsonCtx *c, json_t *v, void *item);
void oci_hooks_done(OciHookList *hooks);

/* item: OciIdMapping * (linux.uidMappings and a mount's uidMappings have the same form) */
int oci_parse_id_mapping(JsonCtx *c, json_t *v, void *item);
/* uidMappings and gidMappings of the object v: the config's, or a mount's. */
int oci_parse_id_mappings(JsonCtx *c,
                          json_t *v,
                          OciIdMapping **ret_uid,
                          size_t *ret_n_uid,
                          OciIdMapping **ret_gid,
                          size_t *ret_n_gid);

/* item: OciConfig *, whose linux.* fields it fills */
int oci_parse_linux(JsonCtx *c, json_t *v, void *item);
void oci_linux_done(OciConfig *config);

/* item: OciSeccomp **, set to a new OciSeccomp */
int oci_parse_seccomp(JsonCtx *c, json_t *v, void *item);
OciSeccomp *oci_seccomp_free(OciSeccomp *s);

/* item: OciResources **, set to a new OciResources */
int oci_parse_resources(JsonCtx *c, json_t *v, void *item);

DEFINE_TRIVIAL_CLEANUP_FUNC(OciProcess *, oci_process_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(OciSeccomp *, oci_seccomp_free);
