/* config.json parsing, the runtime's widest input. Beyond not crashing or leaking, the parser must keep
 * its contract: a config exactly on success, a message on -EINVAL. */

#include <stdlib.h>

#include "fuzz.h"
#include "oci-config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        OciConfig *c = NULL;
        OciError err = {};
        int r;

        r = oci_config_parse((const char *) data, size, "config.json", &c, &err);
        if (r == 0 && !c)
                abort();
        if (r < 0 && (c || (r == -EINVAL && err.message[0] == '\0')))
                abort();
        if (r < 0 && r != -EINVAL && r != -ENOMEM)
                abort();
        oci_config_free(c);
        return 0;
}
