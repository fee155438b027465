/* sd-bus inside libev (bus-ev.h). The io and timer callbacks run sd_bus_process() until it has nothing
 * left (flux-framework/flux-core:src/modules/sdbus/sdbus.c); the prepare callback computes what to wait
 * for from sd_bus_get_events() and sd_bus_get_timeout(), which is an absolute CLOCK_MONOTONIC deadline in
 * µs (UINT64_MAX: none). */

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "bus-ev.h"

struct BusEv {
        struct ev_loop *loop;
        sd_bus *bus;
        ev_io io;
        ev_timer timer;
        ev_prepare prepare;
        int fd;
        int mask; /* what io waits for now */
        bool closed; /* reported */
        BusEvClosedFn closed_fn;
        void *userdata;
};

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static void stop_watchers(BusEv *b) {
        ev_io_stop(b->loop, &b->io);
        ev_timer_stop(b->loop, &b->timer);
        ev_prepare_stop(b->loop, &b->prepare);
}

static void dispatch(BusEv *b) {
        int r;

        do
                r = sd_bus_process(b->bus, NULL);
        while (r > 0);
        if (r < 0 && !b->closed) {
                b->closed = true;
                stop_watchers(b);
                if (b->closed_fn)
                        b->closed_fn(b, r, b->userdata); /* may free b: touch nothing after */
        }
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents) {
        dispatch(w->data);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents) {
        dispatch(w->data);
}

static void on_prepare(struct ev_loop *loop, ev_prepare *w, int revents) {
        BusEv *b = w->data;
        int e = sd_bus_get_events(b->bus);
        int mask = e < 0 ? 0 : (e & POLLIN ? EV_READ : 0) | (e & POLLOUT ? EV_WRITE : 0);
        uint64_t until;

        if (mask != b->mask) { /* ev_io_set() only on a stopped watcher */
                ev_io_stop(loop, &b->io);
                ev_io_set(&b->io, b->fd, mask);
                if (mask != 0)
                        ev_io_start(loop, &b->io);
                b->mask = mask;
        }
        ev_timer_stop(loop, &b->timer);
        if (sd_bus_get_timeout(b->bus, &until) >= 0 && until != UINT64_MAX) {
                uint64_t now = now_usec();

                ev_timer_set(&b->timer, until > now ? (double) (until - now) / 1e6 : 0., 0.);
                ev_timer_start(loop, &b->timer);
        }
}

int bus_ev_new(struct ev_loop *loop, sd_bus *bus, BusEvClosedFn closed, void *userdata, BusEv **ret) {
        BusEv *b;
        int fd;

        fd = sd_bus_get_fd(bus);
        if (fd < 0)
                return fd;
        b = calloc(1, sizeof(BusEv));
        if (!b)
                return -ENOMEM;
        *b = (BusEv){
                .loop = loop,
                .bus = sd_bus_ref(bus),
                .fd = fd,
                .closed_fn = closed,
                .userdata = userdata,
        };
        ev_io_init(&b->io, on_io, fd, 0);
        ev_timer_init(&b->timer, on_timer, 0., 0.);
        ev_prepare_init(&b->prepare, on_prepare);
        b->io.data = b->timer.data = b->prepare.data = b;
        ev_prepare_start(loop, &b->prepare);
        *ret = b;
        return 0;
}

BusEv *bus_ev_free(BusEv *b) {
        if (!b)
                return NULL;
        stop_watchers(b);
        sd_bus_flush_close_unref(b->bus);
        free(b);
        return NULL;
}

sd_bus *bus_ev_get_bus(BusEv *b) {
        return b->bus;
}
