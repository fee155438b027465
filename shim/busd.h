#pragma once

/* tether-busd: every container under STATE published on the system bus as io.tether.Shim1, the way
 * systemd-nspawn registers with machined (systemd/systemd:src/machine/). It holds no state of its own: a
 * container's properties come from its shim's socket (or its record once the shim is gone), calls go on
 * to the shim, and a restart publishes the same objects. One connection per container, to its shim;
 * one to the system bus for all (../shared/STYLE.md section 6). */

#include <ev.h>
#include <systemd/sd-bus.h>

#include "bus-ev.h"
#include "ctl.h"

typedef struct Proxy Proxy;

typedef struct Busd {
        struct ev_loop *loop;
        Ctl ctl; /* the state directory, as shimctl reads it */
        sd_bus *bus; /* the system bus (or --bus ADDRESS) */
        BusEv *bus_ev;
        int inotify_fd;
        int state_wd; /* watch on STATE */
        ev_io inotify_io;
        Proxy *proxies;
} Busd;

/* busd-proxy.c: one container's object. */
/* Publishes id (again: a no-op if published) and reaches for its shim. */
int proxy_add(Busd *d, const char *id);
/* id's directory went: its object goes. */
void proxy_remove(Busd *d, const char *id);
/* Something in STATE/id changed (its socket appeared, its shim closed its lock): reconnect or refresh. */
void proxy_poke(Busd *d, const char *id);
Proxy *proxy_find(Busd *d, const char *id);
void proxy_free_all(Busd *d);
/* The container whose directory's inotify watch is wd; NULL if none. */
Proxy *proxy_find_wd(Busd *d, int wd);
const char *proxy_id(const Proxy *p);
