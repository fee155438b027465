#pragma once

/* An sd-bus connection driven by a libev loop (../shared/STYLE.md section 4, after
 * flux-framework/flux-core:src/modules/sdbus/watcher.c): one ev_io on the bus fd, one ev_timer for sd-bus'
 * deadline, and an ev_prepare that re-arms both before every poll, so the loop never blocks on the bus
 * and sd-bus never waits for the loop. */

#include <ev.h>
#include <systemd/sd-bus.h>

typedef struct BusEv BusEv;

/* Called once when the connection fails or closes (sd_bus_process() < 0); the callback usually frees the
 * BusEv (bus_ev_free() from inside it is allowed). */
typedef void (*BusEvClosedFn)(BusEv *b, int error, void *userdata);

/* Attaches bus (a ref is taken) to loop. */
int bus_ev_new(struct ev_loop *loop, sd_bus *bus, BusEvClosedFn closed, void *userdata, BusEv **ret);
/* Stops the watchers and drops the ref (the bus is flushed and closed if ours was the last). */
BusEv *bus_ev_free(BusEv *b);
sd_bus *bus_ev_get_bus(BusEv *b);
