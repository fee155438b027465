/* Container ids: ^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$. */

#include <string.h>

#include "id.h"
#include "tap.h"

int main(void) {
        char id[ID_LENGTH_MAX + 2];

        TAP_EQ_INT(id_validate("a"), 0);
        TAP_EQ_INT(id_validate("web-1"), 0);
        TAP_EQ_INT(id_validate("A.b_c-D9"), 0);
        TAP_EQ_INT(id_validate("0"), 0);
        TAP_EQ_INT(id_validate("a.."), 0);

        memset(id, 'x', ID_LENGTH_MAX);
        id[ID_LENGTH_MAX] = '\0';
        TAP_EQ_INT(id_validate(id), 0); /* 128 characters */

        /* Bad input: each is refused. */
        TAP_EQ_INT(id_validate(NULL), -EINVAL);
        TAP_EQ_INT(id_validate(""), -EINVAL);
        TAP_EQ_INT(id_validate("/"), -EINVAL);
        TAP_EQ_INT(id_validate("../x"), -EINVAL);
        TAP_EQ_INT(id_validate(".."), -EINVAL);
        TAP_EQ_INT(id_validate(".hidden"), -EINVAL);
        TAP_EQ_INT(id_validate("-rf"), -EINVAL);
        TAP_EQ_INT(id_validate("_x"), -EINVAL);
        TAP_EQ_INT(id_validate("a/b"), -EINVAL);
        TAP_EQ_INT(id_validate("a b"), -EINVAL);
        TAP_EQ_INT(id_validate("a\n"), -EINVAL);
        TAP_EQ_INT(id_validate("caf\xc3\xa9"), -EINVAL);
        TAP_EQ_INT(id_validate("a:b"), -EINVAL);

        memset(id, 'x', ID_LENGTH_MAX + 1);
        id[ID_LENGTH_MAX + 1] = '\0';
        TAP_EQ_INT(id_validate(id), -EINVAL); /* 129 characters */
        return tap_done();
}
