/* shimctl's client side (ctl.h). A live shim is one that holds its lock; its answers come over its
 * socket. A shim that is gone leaves its record, read from disk; with neither, the container is gone. */

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "bus-api.h"
#include "ctl.h"
#include "macro.h"

bool ctl_shim_alive(const Ctl *c, const char *id) {
        _cleanup_close_ int fd = -EBADF;
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s/lock", c->state_dir, id);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return false;
        return flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

static bool container_exists(const Ctl *c, const char *id) {
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s", c->state_dir, id);
        return access(path, F_OK) == 0;
}

int ctl_connect(const Ctl *c, const char *id, sd_bus **ret_bus, char **ret_path) {
        _cleanup_free_ char *address = NULL, *path = NULL;
        sd_bus *bus = NULL;
        int r;

        if (!container_exists(c, id))
                return -ENOENT;
        if (!ctl_shim_alive(c, id))
                return -ESRCH;
        if (asprintf(&address, "unix:path=%s/%s/%s", c->state_dir, id, SHIM_BUS_SOCKET) < 0)
                return -ENOMEM;
        r = sd_bus_path_encode(SHIM_BUS_ROOT, id, &path);
        if (r < 0)
                return r;
        if ((r = sd_bus_new(&bus)) < 0 || (r = sd_bus_set_address(bus, address)) < 0 ||
            (r = sd_bus_start(bus)) < 0) {
                sd_bus_unref(bus);
                /* the shim went meanwhile, or serves no socket yet (its create still runs) */
                return r == -ENOENT || r == -ECONNREFUSED ? -ESRCH : r;
        }
        *ret_bus = bus;
        *ret_path = TAKE_PTR(path);
        return 0;
}

static void copy(char *dst, size_t size, const char *src) {
        snprintf(dst, size, "%s", src ? src : "");
}

int ctl_read_property(sd_bus_message *m, ContainerInfo *info) {
        const char *name, *contents, *s;
        uint64_t t;
        uint32_t u;
        int32_t i;
        int b, r;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'v', contents);
        if (r < 0)
                return r;
        switch (contents[0]) {
        case 's':
                r = sd_bus_message_read(m, "s", &s);
                if (r >= 0) {
                        if (strcmp(name, "Id") == 0)
                                copy(info->id, sizeof(info->id), s);
                        else if (strcmp(name, "State") == 0)
                                copy(info->state, sizeof(info->state), s);
                        else if (strcmp(name, "ExitSignal") == 0)
                                copy(info->exit_signal, sizeof(info->exit_signal), s);
                        else if (strcmp(name, "Bundle") == 0)
                                copy(info->bundle, sizeof(info->bundle), s);
                        else if (strcmp(name, "Runtime") == 0)
                                copy(info->runtime, sizeof(info->runtime), s);
                        else if (strcmp(name, "LogPath") == 0)
                                copy(info->log_path, sizeof(info->log_path), s);
                        else if (strcmp(name, "Unit") == 0)
                                copy(info->unit, sizeof(info->unit), s);
                }
                break;
        case 'u':
                r = sd_bus_message_read(m, "u", &u);
                if (r >= 0 && strcmp(name, "Pid") == 0)
                        info->pid = u;
                else if (r >= 0 && strcmp(name, "Owner") == 0)
                        info->owner = u;
                break;
        case 'i':
                r = sd_bus_message_read(m, "i", &i);
                if (r >= 0 && strcmp(name, "ExitCode") == 0)
                        info->exit_code = i;
                break;
        case 'b':
                r = sd_bus_message_read(m, "b", &b);
                if (r >= 0 && strcmp(name, "CoreDumped") == 0)
                        info->core_dumped = b;
                else if (r >= 0 && strcmp(name, "OOMKilled") == 0)
                        info->oom_killed = b;
                break;
        case 't':
                r = sd_bus_message_read(m, "t", &t);
                if (r >= 0 && strcmp(name, "LogDropped") == 0)
                        info->log_dropped = t;
                else if (r >= 0 && strcmp(name, "StartedAtUSec") == 0)
                        info->started_usec = t;
                else if (r >= 0 && strcmp(name, "ExitedAtUSec") == 0)
                        info->exited_usec = t;
                else if (r >= 0 && strcmp(name, "Generation") == 0)
                        info->generation = t;
                break;
        default:
                r = sd_bus_message_skip(m, contents);
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

void ctl_target_done(CtlTarget *t) {
        t->bus = sd_bus_flush_close_unref(t->bus);
        free(t->path);
        t->path = NULL;
}

int ctl_reach(const Ctl *c, const char *id, CtlTarget *ret) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (!c->bus) {
                *ret = (CtlTarget){};
                return ctl_connect(c, id, &ret->bus, &ret->path);
        }
        r = sd_bus_path_encode(SHIM_BUS_ROOT, id, &path);
        if (r < 0)
                return r;
        *ret = (CtlTarget){.bus = sd_bus_ref(c->bus), .path = TAKE_PTR(path), .dest = SHIM_BUS_SERVICE};
        return 0;
}

/* GetAll's answer, a{sv}, into info. */
static int read_properties(sd_bus_message *m, ContainerInfo *info) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = ctl_read_property(m, info);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

bool ctl_error_is_no_such_container(const sd_bus_error *error) {
        return sd_bus_error_has_names(error,
                                      SHIM_BUS_ERROR_NO_SUCH_CONTAINER,
                                      SD_BUS_ERROR_UNKNOWN_OBJECT,
                                      SD_BUS_ERROR_UNKNOWN_INTERFACE);
}

static int info_from_shim(const Ctl *c, const char *id, ContainerInfo *info) {
        _cleanup_(ctl_target_done) CtlTarget t = {};
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = ctl_reach(c, id, &t);
        if (r < 0)
                return r;
        r = sd_bus_call_method(t.bus,
                               t.dest,
                               t.path,
                               "org.freedesktop.DBus.Properties",
                               "GetAll",
                               &error,
                               &reply,
                               "s",
                               SHIM_BUS_INTERFACE);
        if (r < 0 && t.dest && ctl_error_is_no_such_container(&error))
                r = -ENOENT; /* tether-busd publishes no such container */
        sd_bus_error_free(&error);
        if (r < 0)
                return !t.dest && (r == -ECONNRESET || r == -ENOTCONN) ? -ESRCH : r;
        r = read_properties(reply, info);
        if (r < 0)
                return r;
        /* through tether-busd, a container whose shim is gone says so in its State */
        info->live = !t.dest || (strcmp(info->state, "gone") != 0 && strcmp(info->state, "stopped") != 0);
        return 0;
}

/* Whether tether-busd answers on bus: it owns its name, or the bus starts it on a first call (D-Bus
 * activation, contrib/dbus) within a few seconds. A tether-busd that cannot start must not cost 25 s (the
 * bus's activation timeout) before the sockets are used. */
#define ACTIVATION_TIMEOUT_USEC (5ULL * 1000000ULL)

static bool busd_answers(sd_bus *bus) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL, *ping = NULL;
        int has = 0;

        if (sd_bus_call_method(bus,
                               "org.freedesktop.DBus",
                               "/org/freedesktop/DBus",
                               "org.freedesktop.DBus",
                               "NameHasOwner",
                               NULL,
                               &reply,
                               "s",
                               SHIM_BUS_SERVICE) >= 0 &&
            sd_bus_message_read(reply, "b", &has) >= 0 && has)
                return true;
        /* not running: a Ping activates it where it is installed, and fails at once where it is not */
        return sd_bus_message_new_method_call(
                       bus, &ping, SHIM_BUS_SERVICE, SHIM_BUS_ROOT, "org.freedesktop.DBus.Peer", "Ping") >=
                       0 &&
               sd_bus_call(bus, ping, ACTIVATION_TIMEOUT_USEC, NULL, NULL) >= 0;
}

int ctl_bus_open(Ctl *c, const char *address) {
        sd_bus *bus = NULL;
        int r;

        if (address) {
                if ((r = sd_bus_new(&bus)) < 0 || (r = sd_bus_set_address(bus, address)) < 0 ||
                    (r = sd_bus_set_bus_client(bus, 1)) < 0 || (r = sd_bus_start(bus)) < 0) {
                        sd_bus_unref(bus);
                        return r;
                }
        } else if ((r = sd_bus_open_system(&bus)) < 0)
                return r;
        if (!busd_answers(bus)) {
                sd_bus_flush_close_unref(bus);
                return 0;
        }
        c->bus = bus;
        return 1;
}

/* "2026-12-05T22:48:13.000000005Z" to µs since the epoch; 0 if it does not parse. */
static uint64_t parse_time(const char *s) {
        struct tm tm = {};
        const char *rest;
        uint64_t usec = 0, scale = 100000;
        time_t t;

        if (!s)
                return 0;
        rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!rest)
                return 0;
        if (*rest == '.')
                for (rest++; *rest >= '0' && *rest <= '9'; rest++, scale /= 10)
                        usec += (uint64_t) (*rest - '0') * scale;
        if (strcmp(rest, "Z") != 0)
                return 0;
        t = timegm(&tm);
        return t < 0 ? 0 : (uint64_t) t * 1000000 + usec;
}

int ctl_info_from_record(const Ctl *c, const char *id, ContainerInfo *info) {
        char path[PATH_MAX];
        json_t *j, *v;

        snprintf(path, sizeof(path), "%s/%s/exit.json", c->state_dir, id);
        j = json_load_file(path, 0, NULL);
        if (!j)
                return access(path, F_OK) < 0 ? -errno : -EBADMSG;
        copy(info->state, sizeof(info->state), "stopped");
        v = json_object_get(j, "exit_code");
        info->exit_code = json_is_integer(v) ? (int32_t) json_integer_value(v) : -1;
        copy(info->exit_signal, sizeof(info->exit_signal), json_string_value(json_object_get(j, "signal")));
        copy(info->oom_victim,
             sizeof(info->oom_victim),
             json_string_value(json_object_get(j, "oom_victim")));
        info->core_dumped = json_is_true(json_object_get(j, "core_dumped"));
        info->oom_killed = json_is_true(json_object_get(j, "oom_killed"));
        info->started_usec = parse_time(json_string_value(json_object_get(j, "started_at")));
        info->exited_usec = parse_time(json_string_value(json_object_get(j, "exited_at")));
        json_decref(j);
        return 0;
}

int ctl_info(const Ctl *c, const char *id, ContainerInfo *ret) {
        ContainerInfo info = {.exit_code = -1};
        int r;

        if (id_validate(id) < 0)
                return -EINVAL;
        copy(info.id, sizeof(info.id), id);
        r = info_from_shim(c, id, &info);
        if (r == -ESRCH) {
                /* no shim: what it recorded, or nothing if it died before the exit */
                info = (ContainerInfo){.exit_code = -1};
                copy(info.id, sizeof(info.id), id);
                r = ctl_info_from_record(c, id, &info);
                if (r == -ENOENT) {
                        copy(info.state, sizeof(info.state), "gone");
                        r = 0;
                }
        }
        if (r < 0)
                return r;
        *ret = info;
        return 0;
}

/* GetManagedObjects: a{oa{sa{sv}}}, one container per object. */
int ctl_bus_list(const Ctl *c, ContainerInfo **ret, size_t *ret_n) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ ContainerInfo *list = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_call_method(c->bus,
                               SHIM_BUS_SERVICE,
                               SHIM_BUS_ROOT,
                               "org.freedesktop.DBus.ObjectManager",
                               "GetManagedObjects",
                               NULL,
                               &reply,
                               NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                const char *path, *iface;
                ContainerInfo *l = reallocarray(list, n + 1, sizeof(ContainerInfo));

                if (!l)
                        return -ENOMEM;
                list = l;
                list[n] = (ContainerInfo){.exit_code = -1};
                if ((r = sd_bus_message_read(reply, "o", &path)) < 0 ||
                    (r = sd_bus_message_enter_container(reply, 'a', "{sa{sv}}")) < 0)
                        return r;
                while ((r = sd_bus_message_enter_container(reply, 'e', "sa{sv}")) > 0) {
                        if ((r = sd_bus_message_read(reply, "s", &iface)) < 0)
                                return r;
                        r = strcmp(iface, SHIM_BUS_INTERFACE) == 0 ? read_properties(reply, &list[n])
                                                                   : sd_bus_message_skip(reply, "a{sv}");
                        if (r < 0 || (r = sd_bus_message_exit_container(reply)) < 0)
                                return r;
                }
                if (r < 0 || (r = sd_bus_message_exit_container(reply)) < 0 ||
                    (r = sd_bus_message_exit_container(reply)) < 0)
                        return r;
                list[n].live = strcmp(list[n].state, "gone") != 0 && strcmp(list[n].state, "stopped") != 0;
                if (list[n].id[0])
                        n++;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(list);
        *ret_n = n;
        return 0;
}
