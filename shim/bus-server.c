/* The peer-to-peer server (bus-server.h). A connection is sd_bus_new() + sd_bus_set_fd(accepted fd) +
 * sd_bus_set_server(1, id) + sd_bus_start(), served by bus-ev.c; its peer's credentials come from the
 * socket. busctl --address= (systemd 252) still says org.freedesktop.DBus.Hello first and gives up
 * unless it is answered: a Hello that hands out a unique name is served too (measured, STYLE section 6). */

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "bus-api.h"
#include "bus-ev.h"
#include "bus-server.h"
#include "macro.h"

typedef struct Peer Peer;

struct Peer {
        Peer *next;
        BusServer *server;
        BusEv *ev;
        sd_bus *bus;
        unsigned number; /* for the unique name Hello hands out */
        bool ready; /* may get signals: see on_first_message() */
};

struct BusServer {
        Shim *shim;
        int fd;
        ev_io io;
        char *path; /* the container's object path */
        sd_id128_t id;
        Peer *peers;
        unsigned next_number;
        sd_bus_message **waiters;
        size_t n_waiters;
};

static void peer_free(Peer *p) {
        BusServer *b = p->server;

        for (Peer **q = &b->peers; *q; q = &(*q)->next)
                if (*q == p) {
                        *q = p->next;
                        break;
                }
        bus_ev_free(p->ev);
        sd_bus_flush_close_unref(p->bus);
        free(p);
}

static void on_peer_closed(BusEv *ev, int error, void *userdata) {
        Peer *p = userdata;
        BusServer *b = p->server;

        /* a peer that hangs up is no news; anything else is worth a line */
        if (error != -ECONNRESET && error != -ENOTCONN)
                shim_log(p->server->shim,
                         "container '%s': a bus peer failed: %s",
                         p->server->shim->o->id,
                         strerror(-error));
        peer_free(p);
        /* With the last peer gone, what its connection and messages took goes back to the kernel: malloc
         * keeps freed memory below its 128 kB trim threshold, and a shim would otherwise keep the peak of
         * its queries (about 40 kB) as private memory for the container's life. */
        if (!b->peers)
                (void) malloc_trim(0);
}

static int method_hello(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Peer *p = userdata;
        char name[32];
        int r;

        snprintf(name, sizeof(name), ":1.%u", p->number);
        r = sd_bus_reply_method_return(m, "s", name);
        p->ready = true;
        return r;
}

/* A bus client (busctl) says Hello first and takes anything before its answer for a broken bus (sd-bus'
 * process_hello(): -EIO, seen as "Input/output error" when a container ended just as busctl came). So a
 * peer gets no signal before its Hello is answered or, if it is no bus client (shimctl, tether-busd),
 * before its first call. */
static int on_first_message(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Peer *p = userdata;

        if (!p->ready && !sd_bus_message_is_method_call(m, "org.freedesktop.DBus", "Hello"))
                p->ready = true;
        return 0;
}

static const sd_bus_vtable hello_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Hello",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("s", unique_name),
                                method_hello,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

static int peer_new(BusServer *b, int fd) {
        _cleanup_close_ int cfd = fd;
        Peer *p;
        int r;

        p = calloc(1, sizeof(Peer));
        if (!p)
                return -ENOMEM;
        p->server = b;
        p->number = ++b->next_number;
        if ((r = sd_bus_new(&p->bus)) < 0 || (r = sd_bus_set_fd(p->bus, cfd, cfd)) < 0)
                goto fail;
        TAKE_FD(cfd); /* the bus has it */
        if ((r = sd_bus_set_server(p->bus, 1, b->id)) < 0 ||
            (r = sd_bus_add_object_vtable(
                     p->bus, NULL, b->path, SHIM_BUS_INTERFACE, bus_api_container_vtable, b->shim)) < 0 ||
            (r = sd_bus_add_object_vtable(
                     p->bus, NULL, "/org/freedesktop/DBus", "org.freedesktop.DBus", hello_vtable, p)) < 0 ||
            (r = sd_bus_add_object_manager(p->bus, NULL, SHIM_BUS_ROOT)) < 0 ||
            (r = sd_bus_add_filter(p->bus, NULL, on_first_message, p)) < 0 ||
            (r = sd_bus_start(p->bus)) < 0 ||
            (r = bus_ev_new(b->shim->loop, p->bus, on_peer_closed, p, &p->ev)) < 0)
                goto fail;
        p->next = b->peers;
        b->peers = p;
        return 0;
fail:
        sd_bus_flush_close_unref(p->bus);
        free(p);
        return r;
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents) {
        BusServer *b = w->data;

        for (;;) {
                int fd = accept4(b->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

                if (fd < 0)
                        return; /* EAGAIN, or a peer gone before we took it */
                if (peer_new(b, fd) < 0)
                        shim_log(b->shim,
                                 "container '%s': failed to serve a bus peer, dropping it",
                                 b->shim->o->id);
        }
}

#define SOCKET_NEW SHIM_BUS_SOCKET ".new"

/* STATE/ID/bus, 0600: root's (and the container's owner goes through tether-busd). Bound and listening
 * under another name first, then renamed into place: whoever sees "bus" appear (tether-busd, by
 * inotify) can connect at once. */
static int listen_socket(Shim *s) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        _cleanup_close_ int fd = -EBADF;
        mode_t old;
        int r;

        if ((size_t) snprintf(
                    sa.sun_path, sizeof(sa.sun_path), "%s/%s/%s", s->o->state_dir, s->o->id, SOCKET_NEW) >=
            sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        (void) unlinkat(s->dir_fd, SOCKET_NEW, 0);
        old = umask(0177);
        r = bind(fd, (struct sockaddr *) &sa, sizeof(sa));
        umask(old);
        if (r < 0 || listen(fd, SOMAXCONN) < 0 ||
            renameat(s->dir_fd, SOCKET_NEW, s->dir_fd, SHIM_BUS_SOCKET) < 0) {
                r = -errno;
                (void) unlinkat(s->dir_fd, SOCKET_NEW, 0);
                return r;
        }
        return TAKE_FD(fd);
}

int shim_bus_open(Shim *s) {
        BusServer *b;
        int r;

        b = calloc(1, sizeof(BusServer));
        if (!b)
                return -ENOMEM;
        b->shim = s;
        b->fd = -EBADF;
        r = sd_bus_path_encode(SHIM_BUS_ROOT, s->o->id, &b->path);
        if (r >= 0)
                r = sd_id128_randomize(&b->id);
        if (r >= 0)
                r = b->fd = listen_socket(s);
        if (r < 0) {
                free(b->path);
                free(b);
                return r;
        }
        ev_io_init(&b->io, on_accept, b->fd, EV_READ);
        b->io.data = b;
        ev_io_start(s->loop, &b->io);
        s->bus = b;
        return 0;
}

void shim_bus_close(Shim *s) {
        BusServer *b = s->bus;

        if (!b)
                return;
        while (b->peers)
                peer_free(b->peers);
        for (size_t i = 0; i < b->n_waiters; i++)
                sd_bus_message_unref(b->waiters[i]);
        free(b->waiters);
        ev_io_stop(s->loop, &b->io);
        safe_close(b->fd);
        (void) unlinkat(s->dir_fd, SHIM_BUS_SOCKET, 0);
        free(b->path);
        free(b);
        s->bus = NULL;
}

void shim_bus_changed(Shim *s) {
        if (!s->bus)
                return;
        for (Peer *p = s->bus->peers; p; p = p->next)
                if (p->ready)
                        (void) sd_bus_emit_properties_changed_strv(
                                p->bus, s->bus->path, SHIM_BUS_INTERFACE, NULL);
}

int bus_server_add_waiter(BusServer *b, sd_bus_message *m) {
        sd_bus_message **w;

        if (!b)
                return -ENOTCONN;
        w = reallocarray(b->waiters, b->n_waiters + 1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        b->waiters = w;
        b->waiters[b->n_waiters++] = sd_bus_message_ref(m);
        return 0;
}

void shim_bus_exited(Shim *s) {
        BusServer *b = s->bus;

        if (!b)
                return;
        for (size_t i = 0; i < b->n_waiters; i++) {
                sd_bus_message *m = b->waiters[i];

                if (strcmp(sd_bus_message_get_member(m), "Wait") == 0)
                        (void) bus_api_reply_wait(s, m);
                else
                        (void) sd_bus_reply_method_return(m, NULL);
                sd_bus_message_unref(m);
        }
        b->n_waiters = 0;
}
