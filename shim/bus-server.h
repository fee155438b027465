#pragma once

/* The shim's peer-to-peer D-Bus server on STATE/ID/bus (../shared/STYLE.md section 6): each accepted
 * connection is an sd-bus server of its own on the loop, serving the container's object; peers come and
 * go, the shim never depends on any. */

#include <systemd/sd-bus.h>

#include "shim.h"

extern const sd_bus_vtable bus_api_container_vtable[];

/* Answers a Wait call with the recorded exit (bus-api.c). */
int bus_api_reply_wait(Shim *s, sd_bus_message *m);

/* Keeps m (a ref) to answer once the exit is recorded: Wait with the status, Stop with nothing. */
int bus_server_add_waiter(BusServer *b, sd_bus_message *m);
