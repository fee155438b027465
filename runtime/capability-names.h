#pragma once

/* Capability names as config.json spells them ("CAP_CHOWN") <-> numbers, without libcap: the parser stays
 * pure and the table is the kernel's, not the one libcap was built with. */

#define CAPABILITY_LAST 40 /* CAP_CHECKPOINT_RESTORE, Linux 5.9 */

/* Returns 0..CAPABILITY_LAST, or -EINVAL for a name not in the table. Case matters, as in runc. */
int capability_from_name(const char *name);
/* NULL for a number not in the table. */
const char *capability_to_name(int cap);
