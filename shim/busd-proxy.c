/* One container on the system bus (busd.h): its object, with the properties its shim last reported
 * (GetAll on connect and after each PropertiesChanged) or, once the shim is gone, its record; its
 * methods go on to the shim, whose answer comes back as is. The shim trusts tether-busd (root on its
 * socket), so the callers' rights are checked here, from the bus's credentials of the sender. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>

#include "bus-api.h"
#include "busd.h"
#include "macro.h"
#include "signal-name.h"

struct Proxy {
        Proxy *next;
        Busd *d;
        char id[ID_LENGTH_MAX + 1];
        char *path;
        int wd;
        ContainerInfo info;
        sd_bus *shim; /* NULL while no shim answers */
        BusEv *shim_ev;
        sd_bus_slot *changed_match;
        sd_bus_slot *object;
        bool published;
};

static void shim_drop(Proxy *p);
static int refresh(Proxy *p);

Proxy *proxy_find_wd(Busd *d, int wd) {
        for (Proxy *p = d->proxies; p; p = p->next)
                if (p->wd == wd)
                        return p;
        return NULL;
}

const char *proxy_id(const Proxy *p) {
        return p->id;
}

Proxy *proxy_find(Busd *d, const char *id) {
        for (Proxy *p = d->proxies; p; p = p->next)
                if (strcmp(p->id, id) == 0)
                        return p;
        return NULL;
}

/* -- properties: from the cache ----------------------------------------------------------------------- */

static int get_prop(sd_bus *bus,
                    const char *path,
                    const char *iface,
                    const char *property,
                    sd_bus_message *reply,
                    void *userdata,
                    sd_bus_error *error) {
        const ContainerInfo *i = &((Proxy *) userdata)->info;

        if (strcmp(property, "Id") == 0)
                return sd_bus_message_append(reply, "s", i->id);
        if (strcmp(property, "State") == 0)
                return sd_bus_message_append(reply, "s", i->state);
        if (strcmp(property, "Pid") == 0)
                return sd_bus_message_append(reply, "u", i->pid);
        if (strcmp(property, "ExitCode") == 0)
                return sd_bus_message_append(reply, "i", i->exit_code);
        if (strcmp(property, "ExitSignal") == 0)
                return sd_bus_message_append(reply, "s", i->exit_signal);
        if (strcmp(property, "CoreDumped") == 0)
                return sd_bus_message_append(reply, "b", (int) i->core_dumped);
        if (strcmp(property, "OOMKilled") == 0)
                return sd_bus_message_append(reply, "b", (int) i->oom_killed);
        if (strcmp(property, "Bundle") == 0)
                return sd_bus_message_append(reply, "s", i->bundle);
        if (strcmp(property, "Runtime") == 0)
                return sd_bus_message_append(reply, "s", i->runtime);
        if (strcmp(property, "LogPath") == 0)
                return sd_bus_message_append(reply, "s", i->log_path);
        if (strcmp(property, "LogDropped") == 0)
                return sd_bus_message_append(reply, "t", i->log_dropped);
        if (strcmp(property, "Unit") == 0)
                return sd_bus_message_append(reply, "s", i->unit);
        if (strcmp(property, "Owner") == 0)
                return sd_bus_message_append(reply, "u", i->owner);
        if (strcmp(property, "StartedAtUSec") == 0)
                return sd_bus_message_append(reply, "t", i->started_usec);
        if (strcmp(property, "ExitedAtUSec") == 0)
                return sd_bus_message_append(reply, "t", i->exited_usec);
        return sd_bus_message_append(reply, "t", i->generation);
}

/* -- methods: on to the shim -------------------------------------------------------------------------- */

/* Kill, Stop, Pause and Resume: root or the container's owner, from the bus's word on the sender (never
 * an argument); credentials read racily from /proc are not trusted
 * (systemd/systemd:src/shared/bus-polkit.c). */
static int check_access(Proxy *p, sd_bus_message *m, sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        uid_t uid;
        int r;

        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID | SD_BUS_CREDS_AUGMENT, &creds);
        if (r < 0)
                return r;
        if (sd_bus_creds_get_euid(creds, &uid) < 0 ||
            (sd_bus_creds_get_augmented_mask(creds) & SD_BUS_CREDS_EUID))
                return sd_bus_error_setf(error,
                                         SHIM_BUS_ERROR_ACCESS_DENIED,
                                         "container '%s': the caller's uid cannot be established",
                                         p->id);
        if (uid != 0 && uid != p->info.owner)
                return sd_bus_error_setf(error,
                                         SHIM_BUS_ERROR_ACCESS_DENIED,
                                         "container '%s': only root and its owner (uid %u) may change it",
                                         p->id,
                                         (unsigned) p->info.owner);
        return 0;
}

static int on_forward_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = userdata, *answer = NULL;
        int r;

        if (sd_bus_message_is_method_error(reply, NULL))
                return sd_bus_reply_method_error(m, sd_bus_message_get_error(reply)), 0;
        r = sd_bus_message_new_method_return(m, &answer);
        if (r >= 0)
                r = sd_bus_message_copy(answer, reply, true);
        if (r >= 0)
                r = sd_bus_send(NULL, answer, NULL);
        if (r < 0)
                (void) sd_bus_reply_method_errno(m, r, NULL);
        return 0;
}

static int reply_from_record(Proxy *p, sd_bus_message *m, sd_bus_error *error) {
        const char *member = sd_bus_message_get_member(m);

        if (strcmp(p->info.state, "stopped") == 0 && strcmp(member, "Wait") == 0)
                return sd_bus_reply_method_return(
                        m, "isb", p->info.exit_code, p->info.exit_signal, (int) p->info.oom_killed);
        if (strcmp(p->info.state, "stopped") == 0 && strcmp(member, "Stop") == 0)
                return sd_bus_reply_method_return(m, NULL);
        return sd_bus_error_setf(error,
                                 SHIM_BUS_ERROR_NOT_RUNNING,
                                 "container '%s' is not running (%s): its shim has ended",
                                 p->id,
                                 p->info.state);
}

static int method_forward(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        Proxy *p = userdata;
        const char *member = sd_bus_message_get_member(m);
        bool waits = strcmp(member, "Wait") == 0 || strcmp(member, "Stop") == 0;
        int r;

        if (strcmp(member, "Wait") != 0 && strcmp(member, "Stats") != 0) {
                r = check_access(p, m, error);
                if (r < 0)
                        return r;
        }
        if (!p->shim)
                return reply_from_record(p, m, error);
        r = sd_bus_message_new_method_call(p->shim, &call, NULL, p->path, SHIM_BUS_INTERFACE, member);
        if (r >= 0)
                r = sd_bus_message_copy(call, m, true);
        if (r >= 0)
                /* Wait and Stop are answered at the container's end: no timeout of ours */
                r = sd_bus_call_async(p->shim,
                                      NULL,
                                      call,
                                      on_forward_reply,
                                      sd_bus_message_ref(m),
                                      waits ? UINT64_MAX : 0);
        if (r < 0) {
                sd_bus_message_unref(m);
                return r;
        }
        return 1;
}

static const sd_bus_vtable proxy_vtable[] = {SHIM_BUS_CONTAINER_VTABLE(get_prop,
                                                                       method_forward,
                                                                       method_forward,
                                                                       method_forward,
                                                                       method_forward,
                                                                       method_forward,
                                                                       method_forward)};

/* -- the object: published once its first properties are in ------------------------------------------ */

static void publish(Proxy *p) {
        int r;

        if (p->published) {
                (void) sd_bus_emit_properties_changed_strv(p->d->bus, p->path, SHIM_BUS_INTERFACE, NULL);
                return;
        }
        r = sd_bus_add_object_vtable(p->d->bus, &p->object, p->path, SHIM_BUS_INTERFACE, proxy_vtable, p);
        if (r < 0) {
                fprintf(stderr, "tether-busd: container '%s': cannot publish it: %s\n", p->id, strerror(-r));
                return;
        }
        p->published = true;
        (void) sd_bus_emit_object_added(p->d->bus, p->path);
}

/* No shim: what it recorded, else "gone". */
static void from_record(Proxy *p) {
        ContainerInfo info = {.exit_code = -1};

        snprintf(info.id, sizeof(info.id), "%s", p->id);
        /* a shim that holds its lock but serves no socket yet is still at the runtime's create */
        if (ctl_info_from_record(&p->d->ctl, p->id, &info) < 0)
                snprintf(info.state,
                         sizeof(info.state),
                         "%s",
                         ctl_shim_alive(&p->d->ctl, p->id) ? "created" : "gone");
        /* what the shim said last stays, but for how it ended */
        if (p->info.bundle[0]) {
                memcpy(info.bundle, p->info.bundle, sizeof(info.bundle));
                memcpy(info.runtime, p->info.runtime, sizeof(info.runtime));
                memcpy(info.log_path, p->info.log_path, sizeof(info.log_path));
                info.owner = p->info.owner;
                info.pid = p->info.pid;
                info.generation = p->info.generation;
                info.log_dropped = p->info.log_dropped;
        }
        p->info = info;
        publish(p);
}

static int on_getall(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Proxy *p = userdata;
        ContainerInfo info = {.exit_code = -1};
        int r;

        if (sd_bus_message_is_method_error(reply, NULL))
                return 0; /* the shim is going: its close comes next */
        snprintf(info.id, sizeof(info.id), "%s", p->id);
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                r = ctl_read_property(reply, &info);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0)
                return 0;
        info.live = true;
        p->info = info;
        publish(p);
        return 0;
}

static int refresh(Proxy *p) {
        return sd_bus_call_method_async(p->shim,
                                        NULL,
                                        NULL,
                                        p->path,
                                        "org.freedesktop.DBus.Properties",
                                        "GetAll",
                                        on_getall,
                                        p,
                                        "s",
                                        SHIM_BUS_INTERFACE);
}

/* The shim sends every property that changes with its new value: taken from the signal itself, not by
 * asking back. Asking back would also race the shim's exit: a call written to a shim that is gone makes
 * sd-bus drop the connection before it reads what the shim sent last (the answer to a forwarded Kill). */
static int on_shim_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Proxy *p = userdata;
        ContainerInfo info = p->info;
        const char *iface;
        int r;

        r = sd_bus_message_read(m, "s", &iface);
        if (r < 0 || strcmp(iface, SHIM_BUS_INTERFACE) != 0)
                return 0;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = ctl_read_property(m, &info);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r < 0)
                return 0;
        p->info = info;
        publish(p);
        return 0;
}

static void on_shim_closed(BusEv *ev, int error, void *userdata) {
        Proxy *p = userdata;

        if (error != -ECONNRESET && error != -ENOTCONN)
                fprintf(stderr,
                        "tether-busd: container '%s': its shim's connection failed: %s\n",
                        p->id,
                        strerror(-error));
        shim_drop(p);
        from_record(p);
}

static void shim_drop(Proxy *p) {
        p->changed_match = sd_bus_slot_unref(p->changed_match);
        p->shim_ev = bus_ev_free(p->shim_ev); /* closes the connection */
        p->shim = sd_bus_unref(p->shim);
}

/* The shim's socket, if a shim holds the lock; its properties follow by GetAll. */
static int shim_connect(Proxy *p) {
        _cleanup_free_ char *path = NULL;
        sd_bus *bus = NULL;
        int r;

        r = ctl_connect(&p->d->ctl, p->id, &bus, &path);
        if (r < 0)
                return r;
        r = bus_ev_new(p->d->loop, bus, on_shim_closed, p, &p->shim_ev);
        if (r < 0) {
                sd_bus_flush_close_unref(bus);
                return r;
        }
        p->shim = bus;
        r = sd_bus_match_signal(bus,
                                &p->changed_match,
                                NULL,
                                p->path,
                                "org.freedesktop.DBus.Properties",
                                "PropertiesChanged",
                                on_shim_changed,
                                p);
        if (r >= 0)
                r = refresh(p);
        if (r < 0)
                shim_drop(p);
        return r;
}

void proxy_poke(Busd *d, const char *id) {
        Proxy *p = proxy_find(d, id);

        if (!p)
                return;
        if (p->shim)
                return; /* its signals tell */
        if (shim_connect(p) < 0)
                from_record(p);
}

int proxy_add(Busd *d, const char *id) {
        char dir[PATH_MAX + 256];
        Proxy *p;
        int r;

        if (id_validate(id) < 0 || proxy_find(d, id))
                return 0;
        p = calloc(1, sizeof(Proxy));
        if (!p)
                return -ENOMEM;
        p->d = d;
        snprintf(p->id, sizeof(p->id), "%s", id);
        r = sd_bus_path_encode(SHIM_BUS_ROOT, id, &p->path);
        if (r < 0) {
                free(p);
                return r;
        }
        snprintf(dir, sizeof(dir), "%s/%s", d->ctl.state_dir, id);
        /* the socket appears, exit.json is renamed into place, the shim closes its lock as it ends */
        p->wd = inotify_add_watch(d->inotify_fd, dir, IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR);
        p->next = d->proxies;
        d->proxies = p;
        proxy_poke(d, id);
        return 0;
}

static void proxy_free(Proxy *p) {
        shim_drop(p);
        if (p->published)
                (void) sd_bus_emit_object_removed(p->d->bus, p->path);
        sd_bus_slot_unref(p->object);
        if (p->wd >= 0)
                (void) inotify_rm_watch(p->d->inotify_fd, p->wd);
        free(p->path);
        free(p);
}

void proxy_remove(Busd *d, const char *id) {
        for (Proxy **q = &d->proxies; *q; q = &(*q)->next)
                if (strcmp((*q)->id, id) == 0) {
                        Proxy *p = *q;

                        *q = p->next;
                        proxy_free(p);
                        return;
                }
}

void proxy_free_all(Busd *d) {
        while (d->proxies) {
                Proxy *p = d->proxies;

                d->proxies = p->next;
                proxy_free(p);
        }
}
