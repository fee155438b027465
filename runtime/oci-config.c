/* config.json: the top level (config.md), reading the file, and freeing. */

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "oci-config-internal.h"

#define UTS_NAME_MAX 64 /* sethostname(2) and setdomainname(2) refuse longer names */

/* One or more dot-separated identifiers of [0-9A-Za-z-]; numeric ones without leading zeros. */
static bool semver_identifiers(const char **p, bool numeric) {
        const char *s = *p;

        for (;;) {
                const char *start = s;

                while ((*s >= '0' && *s <= '9') ||
                       (!numeric && ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '-')))
                        s++;
                if (s == start || (numeric && *start == '0' && s - start > 1))
                        return false;
                if (numeric || *s != '.')
                        break;
                s++;
        }
        *p = s;
        return true;
}

/* MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], semver.org 2.0.0. */
static bool semver_is_valid(const char *s) {
        for (int i = 0; i < 3; i++) {
                if (i > 0 && *s++ != '.')
                        return false;
                if (!semver_identifiers(&s, true))
                        return false;
        }
        if (*s == '-' && (s++, !semver_identifiers(&s, false)))
                return false;
        if (*s == '+' && (s++, !semver_identifiers(&s, false)))
                return false;
        return *s == '\0';
}

static int parse_root(JsonCtx *c, json_t *v, void *item) {
        OciConfig *config = item;
        int r;

        /* Absolute, or relative to the bundle. */
        r = json_ctx_string(c, v, "path", JSON_F_REQUIRED | JSON_F_NONEMPTY, &config->root_path);
        if (r < 0)
                return r;
        r = json_ctx_bool(c, v, "readonly", 0, &config->root_readonly);
        return r < 0 ? r : 0;
}

static int parse_uts_name(JsonCtx *c, json_t *v, const char *key, char **ret) {
        int r;

        r = json_ctx_string(c, v, key, 0, ret);
        if (r <= 0)
                return r;
        if (strlen(*ret) > UTS_NAME_MAX) {
                json_ctx_push_key(c, key);
                return json_ctx_error(c, "longer than %d bytes", UTS_NAME_MAX);
        }
        return 0;
}

static int parse_version(JsonCtx *c, json_t *v, OciConfig *config) {
        int r;

        r = json_ctx_string(c, v, "ociVersion", JSON_F_REQUIRED, &config->oci_version);
        if (r < 0)
                return r;
        if (!semver_is_valid(config->oci_version)) {
                json_ctx_push_key(c, "ociVersion");
                return json_ctx_error(
                        c, "expected a SemVer version such as 1.2.0, got '%.200s'", config->oci_version);
        }
        return 0;
}

/* An idmapped mount without mappings of its own takes those of the container's user namespace (runc's
 * specconv, crun): without one there is nothing to map with. */
static int check_idmapped_mounts(JsonCtx *c, const OciConfig *config) {
        if (oci_config_get_namespace(config, OCI_NAMESPACE_USER))
                return 0;
        for (size_t i = 0; i < config->n_mounts; i++) {
                const OciMount *m = &config->mounts[i];

                if (!oci_mount_is_idmapped(m) || m->n_uid_mappings > 0)
                        continue;
                json_ctx_push_key(c, "mounts");
                json_ctx_push_index(c, i);
                json_ctx_push_key(c, "options");
                return json_ctx_error(
                        c,
                        "idmap without uidMappings and gidMappings of the mount takes the user "
                        "namespace's, but linux.namespaces has none");
        }
        return 0;
}

static int parse_config(JsonCtx *c, json_t *v, OciConfig *config) {
        int r;

        r = json_ctx_expect(c, v, JSON_OBJECT);
        if (r < 0)
                return r;
        r = parse_version(c, v, config);
        if (r < 0)
                return r;
        /* config.md: root is optional on Windows only. */
        r = json_ctx_object(c, v, "root", JSON_F_REQUIRED, parse_root, config);
        if (r < 0)
                return r;
        r = json_ctx_array(c,
                           v,
                           "mounts",
                           0,
                           sizeof(OciMount),
                           oci_parse_mount,
                           oci_mount_done,
                           (void **) &config->mounts,
                           &config->n_mounts);
        if (r < 0)
                return r;
        r = json_ctx_object(c, v, "process", 0, oci_parse_process, &config->process);
        if (r < 0)
                return r;
        r = parse_uts_name(c, v, "hostname", &config->hostname);
        if (r < 0)
                return r;
        r = parse_uts_name(c, v, "domainname", &config->domainname);
        if (r < 0)
                return r;
        r = json_ctx_object(c, v, "hooks", 0, oci_parse_hooks, config->hooks);
        if (r < 0)
                return r;
        r = json_ctx_map(c, v, "annotations", 0, &config->annotations, &config->n_annotations);
        if (r < 0)
                return r;
        r = json_ctx_object(c, v, "linux", 0, oci_parse_linux, config);
        if (r < 0)
                return r;
        return check_idmapped_mounts(c, config);
}

static int load_json(const char *buf, size_t len, const char *filename, json_t **ret, OciError *reterr) {
        json_error_t e;
        json_t *v;

        /* Integers as doubles, so that uint64 values past INT64_MAX load; json-util.h reads them exactly. */
        v = json_loadb(buf, len, JSON_DECODE_INT_AS_REAL, &e);
        if (!v) {
                if (json_error_code(&e) == json_error_out_of_memory)
                        return -ENOMEM;
                *reterr = (OciError){.line = e.line > 0 ? e.line : 0, .column = e.column > 0 ? e.column : 0};
                (void) snprintf(reterr->message,
                                sizeof(reterr->message),
                                "%s:%u:%u: malformed JSON: %s",
                                filename,
                                reterr->line,
                                reterr->column,
                                e.text);
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

int oci_config_parse(const char *buf, size_t len, const char *filename, OciConfig **ret, OciError *reterr) {
        _cleanup_(oci_config_freep) OciConfig *config = NULL;
        _cleanup_(json_decrefp) json_t *root = NULL;
        OciError error = {};
        JsonCtx c = {
                .filename = filename ?: "config.json",
                .buf = buf,
                .len = len,
                .error = &error,
        };
        int r;

        r = load_json(buf, len, c.filename, &root, &error);
        if (r >= 0) {
                config = calloc(1, sizeof(OciConfig));
                r = config ? parse_config(&c, root, config) : -ENOMEM;
        }
        if (r < 0) {
                if (reterr)
                        *reterr = r == -EINVAL ? error : (OciError){};
                return r;
        }
        *ret = TAKE_PTR(config);
        return 0;
}

int oci_resources_parse(
        const char *buf, size_t len, const char *filename, OciResources **ret, OciError *reterr) {
        _cleanup_(oci_resources_freep) OciResources *res = NULL;
        _cleanup_(json_decrefp) json_t *root = NULL;
        OciError error = {};
        JsonCtx c = {
                .filename = filename ?: "resources.json",
                .buf = buf,
                .len = len,
                .error = &error,
        };
        int r;

        r = load_json(buf, len, c.filename, &root, &error);
        if (r >= 0)
                r = json_ctx_expect(&c, root, JSON_OBJECT);
        if (r >= 0)
                r = oci_parse_resources(&c, root, &res);
        if (r < 0) {
                if (reterr)
                        *reterr = r == -EINVAL ? error : (OciError){};
                return r;
        }
        *ret = TAKE_PTR(res);
        return 0;
}

_printf_(3, 4) static int file_error(OciError *reterr, int r, const char *format, ...) {
        va_list ap;

        if (reterr) {
                *reterr = (OciError){};
                va_start(ap, format);
                (void) vsnprintf(reterr->message, sizeof(reterr->message), format, ap);
                va_end(ap);
        }
        return r;
}

/* Reads a regular file of at most max bytes. */
static int read_file(int fd, size_t max, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, size = 0;

        for (;;) {
                ssize_t n;

                if (len == size) {
                        char *p;

                        if (size > max)
                                return -EFBIG;
                        size = size == 0 ? 64 * 1024 : size * 2;
                        if (size > max)
                                size = max + 1; /* room to see that the file is too large */
                        p = realloc(buf, size + 1);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                }
                n = RETRY_ON_EINTR(read(fd, buf + len, size - len));
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        if (len > max)
                return -EFBIG;
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int oci_config_parse_file(int dir_fd, const char *path, OciConfig **ret, OciError *reterr) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t len = 0;
        int r;

        fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return file_error(reterr, -errno, "%s", "");
        if (fstat(fd, &st) < 0)
                return file_error(reterr, -errno, "%s", "");
        if (!S_ISREG(st.st_mode))
                return file_error(reterr, -EINVAL, "%s: not a regular file", path);
        r = read_file(fd, OCI_CONFIG_SIZE_MAX, &buf, &len);
        if (r == -EFBIG)
                return file_error(
                        reterr, r, "%s: larger than %u MiB", path, OCI_CONFIG_SIZE_MAX / 1024 / 1024);
        if (r < 0)
                return file_error(reterr, r, "%s", "");
        return oci_config_parse(buf, len, path, ret, reterr);
}

OciConfig *oci_config_free(OciConfig *c) {
        if (!c)
                return NULL;
        free(c->oci_version);
        free(c->root_path);
        for (size_t i = 0; i < c->n_mounts; i++)
                oci_mount_done(&c->mounts[i]);
        free(c->mounts);
        oci_process_free(c->process);
        free(c->hostname);
        free(c->domainname);
        oci_hooks_done(c->hooks);
        oci_key_values_free(c->annotations, c->n_annotations);
        oci_linux_done(c);
        free(c);
        return NULL;
}

const OciNamespace *oci_config_get_namespace(const OciConfig *c, OciNamespaceType type) {
        for (size_t i = 0; c && i < c->n_namespaces; i++)
                if (c->namespaces[i].type == type)
                        return &c->namespaces[i];
        return NULL;
}
