/* shim/bus-ev.c: two sd-bus peers over a socketpair, both driven by one libev loop: a call and its reply
 * go through the io watchers, a call nobody answers ends through the timer with sd-bus' own timeout, and
 * a peer that goes away is reported once. No bus daemon: the shim serves its container peer-to-peer. */

#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bus-ev.h"
#include "macro.h"
#include "tap.h"

#define PATH "/io/tether/Test"
#define IFACE "io.tether.Test"

typedef struct Test {
        struct ev_loop *loop;
        int replies;
        char echoed[64];
        int call_errno;
        int closed;
        int closed_error;
        sd_bus_message *held; /* the call that is never answered */
} Test;

static int method_echo(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *s;
        int r;

        r = sd_bus_message_read(m, "s", &s);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(m, "s", s);
}

static int method_never(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Test *t = userdata;

        t->held = sd_bus_message_ref(m); /* answered by nobody: the caller's timeout must fire */
        return 1;
}

static const sd_bus_vtable vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Echo", "s", "s", method_echo, 0),
        SD_BUS_METHOD("Never", "", "", method_never, 0),
        SD_BUS_VTABLE_END,
};

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Test *t = userdata;
        const char *s = NULL;

        t->replies++;
        t->call_errno = sd_bus_message_get_errno(m);
        if (!sd_bus_message_is_method_error(m, NULL) && sd_bus_message_read(m, "s", &s) >= 0)
                snprintf(t->echoed, sizeof(t->echoed), "%s", s);
        ev_break(t->loop, EVBREAK_ALL);
        return 0;
}

static void on_closed(BusEv *b, int error, void *userdata) {
        Test *t = userdata;

        t->closed++;
        t->closed_error = error;
        ev_break(t->loop, EVBREAK_ALL);
}

static void on_watchdog(struct ev_loop *loop, ev_timer *w, int revents) {
        *(bool *) w->data = true;
        ev_break(loop, EVBREAK_ALL);
}

/* Runs the loop until a callback breaks it, at most 10 s; false if the watchdog ended it. */
static bool run_loop(struct ev_loop *loop) {
        bool fired = false;
        ev_timer watchdog;

        ev_timer_init(&watchdog, on_watchdog, 10., 0.);
        watchdog.data = &fired;
        ev_timer_start(loop, &watchdog);
        ev_run(loop, 0);
        ev_timer_stop(loop, &watchdog);
        return !fired;
}

static int new_peer(int fd, bool server, sd_bus **ret) {
        sd_bus *bus = NULL;
        sd_id128_t id;
        int r;

        if ((r = sd_bus_new(&bus)) < 0 || (r = sd_bus_set_fd(bus, fd, fd)) < 0)
                return r;
        if (server && ((r = sd_id128_randomize(&id)) < 0 || (r = sd_bus_set_server(bus, 1, id)) < 0))
                return r;
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        *ret = bus;
        return 0;
}

int main(void) {
        sd_bus *server = NULL, *client = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        BusEv *server_ev = NULL, *client_ev = NULL;
        Test t = {.loop = ev_loop_new(EVFLAG_AUTO)};
        int fds[2];

        TAP_OK(t.loop);
        TAP_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds), 0);
        TAP_EQ_INT(new_peer(fds[0], true, &server), 0);
        TAP_EQ_INT(new_peer(fds[1], false, &client), 0);
        TAP_EQ_INT(sd_bus_add_object_vtable(server, NULL, PATH, IFACE, vtable, &t), 0);
        TAP_EQ_INT(bus_ev_new(t.loop, server, NULL, NULL, &server_ev), 0);
        TAP_EQ_INT(bus_ev_new(t.loop, client, on_closed, &t, &client_ev), 0);

        /* a call and its reply, through the io watchers (the authentication included) */
        TAP_OK(sd_bus_call_method_async(
                       client, NULL, NULL, PATH, IFACE, "Echo", on_reply, &t, "s", "hello") >= 0);
        TAP_OK(run_loop(t.loop));
        TAP_EQ_INT(t.replies, 1);
        TAP_EQ_INT(t.call_errno, 0);
        TAP_EQ_STR(t.echoed, "hello");

        /* a call nobody answers: sd-bus' timeout, through the timer watcher */
        TAP_OK(sd_bus_message_new_method_call(client, &m, NULL, PATH, IFACE, "Never") >= 0);
        TAP_OK(sd_bus_call_async(client, NULL, m, on_reply, &t, 200 * 1000) >= 0);
        TAP_OK(run_loop(t.loop));
        TAP_EQ_INT(t.replies, 2);
        TAP_EQ_INT(t.call_errno, ETIMEDOUT);
        TAP_OK(t.held);

        /* the server goes away: the client's closed callback, once */
        server_ev = bus_ev_free(server_ev);
        t.held = sd_bus_message_unref(t.held);
        sd_bus_flush_close_unref(server);
        TAP_OK(run_loop(t.loop));
        TAP_EQ_INT(t.closed, 1);
        TAP_OK(t.closed_error < 0);

        client_ev = bus_ev_free(client_ev);
        sd_bus_flush_close_unref(client);
        ev_loop_destroy(t.loop);
        return tap_done();
}
