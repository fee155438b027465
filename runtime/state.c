#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "json-util.h"
#include "macro.h"
#include "state.h"

#define STATE_FILE "state.json"
#define STATE_TMP ".state.json.tmp"

static const char *const status_names[_CONTAINER_STATUS_MAX] = {
        [CONTAINER_CREATING] = "creating",
        [CONTAINER_CREATED] = "created",
        [CONTAINER_RUNNING] = "running",
        [CONTAINER_STOPPED] = "stopped",
        [CONTAINER_PAUSED] = "paused",
};

const char *container_status_to_string(ContainerStatus s) {
        return s >= 0 && s < _CONTAINER_STATUS_MAX ? status_names[s] : NULL;
}

ContainerStatus container_status_from_string(const char *s) {
        for (int i = 0; s && i < _CONTAINER_STATUS_MAX; i++)
                if (strcmp(s, status_names[i]) == 0)
                        return (ContainerStatus) i;
        return _CONTAINER_STATUS_INVALID;
}

ContainerState *container_state_free(ContainerState *s) {
        if (!s)
                return NULL;
        free(s->id);
        free(s->bundle);
        free(s->rootfs);
        free(s->created);
        free(s->owner);
        strv_free(s->annotations);
        strv_free(s->cgroup_paths);
        free(s->freeze_file);
        json_decref(s->resources);
        free(s);
        return NULL;
}

/* From the group itself, as runc's refreshState asks its freezer (opencontainers/runc:libcontainer/
 * container_linux.go isPaused): a manager above us may have frozen or thawed it. One small read, as state
 * and list do it for every container. A group that is gone is not frozen. */
static bool state_frozen(const ContainerState *s) {
        bool frozen = false;

        if (!s->freeze_file)
                return s->paused;
        return cgroup_freeze_file_read(s->freeze_file, &frozen) >= 0 && frozen;
}

ContainerStatus container_state_status(const ContainerState *s) {
        _cleanup_close_ int pidfd = -EBADF;

        if (s->init.pid <= 0)
                return CONTAINER_CREATING;
        if (pidref_open(&s->init, &pidfd) < 0)
                return CONTAINER_STOPPED;
        if (state_frozen(s))
                return CONTAINER_PAUSED;
        return s->started ? CONTAINER_RUNNING : CONTAINER_CREATED;
}

int rfc3339_now(char **ret) {
        char date[64], nanos[16];
        struct timespec ts;
        struct tm tm;
        size_t n;

        if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || !gmtime_r(&ts.tv_sec, &tm))
                return -errno;
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(nanos, sizeof(nanos), ".%09ld", ts.tv_nsec);
        n = strlen(nanos);
        while (n > 1 && nanos[n - 1] == '0')
                nanos[--n] = '\0';
        if (asprintf(ret, "%s%sZ", date, n > 1 ? nanos : "") < 0)
                return -ENOMEM;
        return 0;
}

static json_t *annotations_to_json(char **annotations) {
        json_t *o = json_object();

        for (char **p = annotations; o && p && p[0] && p[1]; p += 2)
                json_object_set_new(o, p[0], json_string(p[1]));
        return o;
}

/* The fields runc's state/list output has, shared by the OCI state and our state.json. */
static json_t *state_to_json_common(const ContainerState *s, const char *status) {
        return json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:o}",
                         "ociVersion",
                         "1.0.2",
                         "id",
                         s->id,
                         "pid",
                         (int) s->init.pid,
                         "status",
                         status,
                         "bundle",
                         s->bundle,
                         "rootfs",
                         s->rootfs ? s->rootfs : "",
                         "created",
                         s->created ? s->created : "",
                         "owner",
                         s->owner ? s->owner : "",
                         "annotations",
                         annotations_to_json(s->annotations));
}

int container_state_to_oci_json(const ContainerState *s, ContainerStatus status, char **ret) {
        json_auto_t *j = NULL;
        char *text;

        j = state_to_json_common(s, container_status_to_string(status));
        if (!j)
                return -ENOMEM;
        if (status == CONTAINER_STOPPED) /* the spec: pid only while the process exists */
                json_object_set_new(j, "pid", json_integer(0));
        text = json_dumps(j, JSON_INDENT(2));
        if (!text)
                return -ENOMEM;
        *ret = text;
        return 0;
}

/* mkdir -p, as runc's os.MkdirAll(root, 0700): containerd's runc shim passes a --root whose parents need
 * not exist (dockerd's <exec-root>/runtime-runc/moby before its first container). */
static int mkdir_parents(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        return 0;
}

int state_root_open(const char *path, int *ret_fd) {
        int fd, r;

        r = mkdir_parents(path, 0700);
        if (r < 0)
                return r;
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

static int lock_dir(int root_fd, const char *id, int *ret_dir_fd) {
        _cleanup_close_ int fd = -EBADF;

        fd = openat(root_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX) < 0)
                return -errno;
        *ret_dir_fd = TAKE_FD(fd);
        return 0;
}

int state_dir_create(int root_fd, const char *id, int *ret_dir_fd) {
        if (mkdirat(root_fd, id, 0700) < 0)
                return -errno;
        return lock_dir(root_fd, id, ret_dir_fd);
}

int state_dir_open(int root_fd, const char *id, int *ret_dir_fd) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        r = lock_dir(root_fd, id, &fd);
        if (r < 0)
                return r;
        /* A delete may have removed the directory while we waited for its lock: a removed directory
         * has no links left. */
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_nlink == 0)
                return -ENOENT;
        *ret_dir_fd = TAKE_FD(fd);
        return 0;
}

/* Removes the plain files in dir_fd (the state directory holds no subdirectories), then the directory. */
int state_dir_remove(int root_fd, const char *id, int dir_fd) {
        _cleanup_close_ int fd = -EBADF;
        struct dirent *de;
        DIR *d;

        fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        (void) TAKE_FD(fd);
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        (void) unlinkat(dir_fd, de->d_name, 0);
        closedir(d);
        if (unlinkat(root_fd, id, AT_REMOVEDIR) < 0)
                return -errno;
        return fsync(root_fd) < 0 ? -errno : 0;
}

int state_write(int dir_fd, const ContainerState *s) {
        json_auto_t *j = NULL;
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len;

        /* The status in the file is informational: readers ask container_state_status(). */
        j = state_to_json_common(s, s->started ? "running" : "created");
        if (!j)
                return -ENOMEM;
        json_object_set_new(j, "initStartTime", json_integer((json_int_t) s->init.start_time));
        json_object_set_new(j, "started", json_boolean(s->started));
        if (s->cgroup_paths)
                json_object_set_new(j, "cgroupPaths", annotations_to_json(s->cgroup_paths));
        if (s->freeze_file)
                json_object_set_new(j, "cgroupFreezeFile", json_string(s->freeze_file));
        else if (s->paused)
                json_object_set_new(j, "paused", json_true());
        if (s->resources)
                json_object_set(j, "resources", s->resources);
        text = json_dumps(j, JSON_COMPACT);
        if (!text)
                return -ENOMEM;
        len = strlen(text);

        fd = openat(dir_fd, STATE_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        if (write(fd, text, len) != (ssize_t) len || fsync(fd) < 0)
                return errno ? -errno : -EIO;
        if (renameat(dir_fd, STATE_TMP, dir_fd, STATE_FILE) < 0)
                return -errno;
        return fsync(dir_fd) < 0 ? -errno : 0; /* the rename must survive a crash too */
}

static int strdup_field(json_t *j, const char *key, bool required, char **ret) {
        const char *v = json_string_value(json_object_get(j, key));

        if (!v) {
                if (required)
                        return -EBADMSG;
                v = "";
        }
        *ret = strdup(v);
        return *ret ? 0 : -ENOMEM;
}

static int annotations_from_json(json_t *o, char ***ret) {
        size_t n = json_is_object(o) ? json_object_size(o) : 0, i = 0;
        const char *key;
        json_t *value;
        char **l;

        l = calloc(2 * n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        if (n > 0)
                json_object_foreach(o, key, value) {
                        l[i] = strdup(key);
                        l[i + 1] = strdup(json_string_value(value) ?: "");
                        if (!l[i] || !l[i + 1]) {
                                strv_free(l);
                                return -ENOMEM;
                        }
                        i += 2;
                }
        *ret = l;
        return 0;
}

json_t *json_load_at(int dir_fd, const char *path, json_error_t *error) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, allocated = 0;
        ssize_t n;

        fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        /* Whole blocks: json_loadfd() reads one byte per read(2). */
        do {
                if (allocated - size < 4096) {
                        char *p = realloc(buf, allocated += 16384);

                        if (!p)
                                return NULL;
                        buf = p;
                }
                n = RETRY_ON_EINTR(read(fd, buf + size, allocated - size));
                if (n < 0)
                        return NULL;
                size += (size_t) n;
        } while (n > 0);
        return json_loadb(buf, size, 0, error);
}

int state_read(int dir_fd, ContainerState **ret) {
        json_auto_t *j = NULL;
        ContainerState *s;
        json_error_t error;
        int r;

        errno = 0;
        j = json_load_at(dir_fd, STATE_FILE, &error);
        if (!j && errno != 0)
                return -errno;
        if (!j || !json_is_object(j))
                return -EBADMSG;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        if ((r = strdup_field(j, "id", true, &s->id)) < 0 ||
            (r = strdup_field(j, "bundle", true, &s->bundle)) < 0 ||
            (r = strdup_field(j, "rootfs", false, &s->rootfs)) < 0 ||
            (r = strdup_field(j, "created", false, &s->created)) < 0 ||
            (r = strdup_field(j, "owner", false, &s->owner)) < 0 ||
            (r = annotations_from_json(json_object_get(j, "annotations"), &s->annotations)) < 0 ||
            (json_is_object(json_object_get(j, "cgroupPaths")) &&
             (r = annotations_from_json(json_object_get(j, "cgroupPaths"), &s->cgroup_paths)) < 0) ||
            (json_is_string(json_object_get(j, "cgroupFreezeFile")) &&
             (r = strdup_field(j, "cgroupFreezeFile", false, &s->freeze_file)) < 0)) {
                container_state_free(s);
                return r;
        }
        s->init.pid = (pid_t) json_integer_value(json_object_get(j, "pid"));
        s->init.start_time = (uint64_t) json_integer_value(json_object_get(j, "initStartTime"));
        s->started = json_is_true(json_object_get(j, "started"));
        s->paused = json_is_true(json_object_get(j, "paused"));
        if (json_is_object(json_object_get(j, "resources")))
                s->resources = json_incref(json_object_get(j, "resources"));
        *ret = s;
        return 0;
}
