/* `tether update`'s merging (runtime/oci-resources-update.c): what is kept, and what is written. Pure. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci-resources-update.h"
#include "tap.h"

static json_t *load(const char *text) {
        json_error_t error;
        json_t *j = json_loads(text, 0, &error);

        if (!j)
                tap_ok(0, "test JSON '%s': %s", text, error.text);
        return j;
}

/* Whether a equals the JSON text b (jansson compares objects member by member). */
static int same(json_t *a, const char *b) {
        json_auto_t *want = load(b);
        char *text = a ? json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        int ok = a && want && json_equal(a, want);

        if (!ok)
                printf("#   got %s, want %s\n", text ? text : "NULL", b);
        free(text);
        return ok;
}

static void merge(const char *stored, const char *update, const char *want_merged, const char *want_apply) {
        json_auto_t *s = stored ? load(stored) : NULL, *u = load(update), *m = NULL, *a = NULL;

        if (!tap_ok(oci_resources_update_merge(s, u, &m, &a) == 0,
                    "merge %s into %s",
                    update,
                    stored ?: "nothing"))
                return;
        tap_ok(same(m, want_merged), "  kept %s", want_merged);
        tap_ok(same(a, want_apply), "  written %s", want_apply);
}

static void test_cpu(void) {
        /* a quota alone keeps the period set before, and is written with it (cpu.max is one file) */
        merge("{\"cpu\":{\"quota\":20000,\"period\":50000,\"shares\":512}}",
              "{\"cpu\":{\"quota\":30000}}",
              "{\"cpu\":{\"quota\":30000,\"period\":50000,\"shares\":512}}",
              "{\"cpu\":{\"quota\":30000,\"period\":50000}}");
        /* and a period alone keeps the quota */
        merge("{\"cpu\":{\"quota\":20000,\"period\":50000}}",
              "{\"cpu\":{\"period\":250000}}",
              "{\"cpu\":{\"quota\":20000,\"period\":250000}}",
              "{\"cpu\":{\"quota\":20000,\"period\":250000}}");
        /* nothing set before: the update alone */
        merge(NULL,
              "{\"cpu\":{\"quota\":30000}}",
              "{\"cpu\":{\"quota\":30000}}",
              "{\"cpu\":{\"quota\":30000}}");
        merge("{}",
              "{\"cpu\":{\"period\":1000}}",
              "{\"cpu\":{\"period\":1000}}",
              "{\"cpu\":{\"period\":1000}}");
        /* a quota of 0 is none, as in runc: the stored one is not dragged along */
        merge("{\"cpu\":{\"quota\":0,\"period\":50000}}",
              "{\"cpu\":{\"period\":60000}}",
              "{\"cpu\":{\"quota\":0,\"period\":60000}}",
              "{\"cpu\":{\"period\":60000}}");
        /* both given: as given */
        merge("{\"cpu\":{\"quota\":1,\"period\":2}}",
              "{\"cpu\":{\"quota\":3,\"period\":4}}",
              "{\"cpu\":{\"quota\":3,\"period\":4}}",
              "{\"cpu\":{\"quota\":3,\"period\":4}}");
}

static void test_memory(void) {
        /* a limit alone is written with the memory+swap limit set before: v2 derives memory.swap.max */
        merge("{\"memory\":{\"limit\":67108864,\"swap\":134217728},\"pids\":{\"limit\":10}}",
              "{\"memory\":{\"limit\":100663296}}",
              "{\"memory\":{\"limit\":100663296,\"swap\":134217728},\"pids\":{\"limit\":10}}",
              "{\"memory\":{\"limit\":100663296,\"swap\":134217728}}");
        merge("{\"memory\":{\"limit\":67108864}}",
              "{\"memory\":{\"swap\":134217728}}",
              "{\"memory\":{\"limit\":67108864,\"swap\":134217728}}",
              "{\"memory\":{\"limit\":67108864,\"swap\":134217728}}");
        /* runc's fix-up: unlimited memory makes a set swap unlimited too */
        merge("{\"memory\":{\"limit\":67108864,\"swap\":134217728}}",
              "{\"memory\":{\"limit\":-1}}",
              "{\"memory\":{\"limit\":-1,\"swap\":-1}}",
              "{\"memory\":{\"limit\":-1,\"swap\":-1}}");
        /* ... and leaves alone a swap never set */
        merge("{\"memory\":{\"limit\":67108864}}",
              "{\"memory\":{\"limit\":-1}}",
              "{\"memory\":{\"limit\":-1}}",
              "{\"memory\":{\"limit\":-1}}");
        /* the reservation has no partner */
        merge("{\"memory\":{\"limit\":67108864,\"swap\":134217728}}",
              "{\"memory\":{\"reservation\":1048576}}",
              "{\"memory\":{\"limit\":67108864,\"swap\":134217728,\"reservation\":1048576}}",
              "{\"memory\":{\"reservation\":1048576}}");
}

static void test_second_update_builds_on_the_first(void) {
        json_auto_t *config = load("{\"cpu\":{\"period\":50000}}"),
                    *first = load("{\"cpu\":{\"quota\":10000}}"),
                    *second = load("{\"pids\":{\"limit\":5},\"cpu\":{\"period\":80000}}");
        json_auto_t *m1 = NULL, *a1 = NULL, *m2 = NULL, *a2 = NULL;

        TAP_EQ_INT(oci_resources_update_merge(config, first, &m1, &a1), 0);
        TAP_EQ_INT(oci_resources_update_merge(m1, second, &m2, &a2), 0);
        tap_ok(same(m2, "{\"cpu\":{\"quota\":10000,\"period\":80000},\"pids\":{\"limit\":5}}"), "both kept");
        tap_ok(same(a2, "{\"cpu\":{\"quota\":10000,\"period\":80000},\"pids\":{\"limit\":5}}"),
               "the first update's quota goes with the second's period");
        tap_ok(same(config, "{\"cpu\":{\"period\":50000}}"), "the stored object is left alone");
}

static void test_arrays_replaced(void) {
        merge("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],\"unified\":{\"a.b\":\"1\"}}",
              "{\"devices\":[],\"unified\":{\"c.d\":\"2\"}}",
              "{\"devices\":[],\"unified\":{\"a.b\":\"1\",\"c.d\":\"2\"}}",
              "{\"devices\":[],\"unified\":{\"c.d\":\"2\"}}");
}

static void test_bad(void) {
        json_auto_t *array = load("[]"), *m = NULL, *a = NULL;

        TAP_EQ_INT(oci_resources_update_merge(NULL, array, &m, &a), -EINVAL);
}

static void config(const char *text, int want_r, const char *want) {
        json_auto_t *j = NULL;
        int r = oci_resources_of_config(text, strlen(text), &j);

        if (!tap_ok(r == want_r, "linux.resources of %s: %d", text, r) || r < 0)
                return;
        tap_ok(same(j, want), "  is %s", want);
}

static void test_of_config(void) {
        /* RLIM_INFINITY elsewhere in the config is no matter: only the subtree is loaded */
        config("{\"process\":{\"rlimits\":[{\"type\":\"RLIMIT_MEMLOCK\",\"hard\":18446744073709551615}]},"
               "\"linux\":{\"resources\":{\"memory\":{\"limit\":1048576}}}}",
               0,
               "{\"memory\":{\"limit\":1048576}}");
        config("{\"linux\":{}}", 0, "{}");
        config("{}", 0, "{}");
        config("{\"linux\":{\"resources\":null}}", 0, "{}");
        config("{\"linux\":{\"resources\":[]}}", -EINVAL, NULL);
        config("{\"linux\":{\"resources\":{\"cpu\":{\"shares\":18446744073709551615}}}}", -ERANGE, NULL);
        config("{\"linux\":", -EINVAL, NULL);
}

int main(void) {
        test_cpu();
        test_memory();
        test_second_update_builds_on_the_first();
        test_arrays_replaced();
        test_bad();
        test_of_config();
        return tap_done();
}
