/* tether-busd: the shims' face on the system bus (busd.h). Owns io.tether.Shim1, serves
 * /io/tether/Shim1 as an ObjectManager, and keeps one object per directory under STATE: found at start,
 * then followed by inotify. It reconnects to the bus with back-off and never exits for lack of one
 * (flux-framework/flux-core:src/modules/sdbus/connect.c); killing or restarting it touches no container. */

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "bus-api.h"
#include "busd.h"
#include "macro.h"

#define DEFAULT_STATE_DIR "/run/tether-shim"
#define BACKOFF_MAX 30.

static const char *arg_bus;
static double backoff = 0.5;
static ev_timer reconnect_timer;

static const char usage_text[] =
        "Usage: tether-busd [--bus ADDRESS] [--state-dir DIR]\n"
        "\n"
        "Publishes every tether-shim container under DIR on the system bus (or ADDRESS) as " SHIM_BUS_SERVICE
        ".\n";

/* A connection per container: as many fds as the hard limit allows (root has no CAP_SYS_RESOURCE
 * everywhere: the hard limit is as far as it goes). */
static void raise_nofile(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }
}

static void scan(Busd *d) {
        DIR *dir = opendir(d->ctl.state_dir);
        struct dirent *de;

        if (!dir)
                return;
        while ((de = readdir(dir)))
                if (id_validate(de->d_name) == 0)
                        (void) proxy_add(d, de->d_name);
        closedir(dir);
}

static void on_inotify(struct ev_loop *loop, ev_io *w, int revents) {
        Busd *d = w->data;
        char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t n;

        while ((n = read(d->inotify_fd, buf, sizeof(buf))) > 0)
                for (char *q = buf; q < buf + n;) {
                        struct inotify_event *e = (struct inotify_event *) q;

                        q += sizeof(*e) + e->len;
                        if (e->wd == d->state_wd && e->len > 0) {
                                if (e->mask & (IN_CREATE | IN_MOVED_TO))
                                        (void) proxy_add(d, e->name);
                                else if (e->mask & (IN_DELETE | IN_MOVED_FROM))
                                        proxy_remove(d, e->name);
                                continue;
                        }
                        Proxy *p = proxy_find_wd(d, e->wd);

                        if (p)
                                proxy_poke(d, proxy_id(p));
                }
}

static void bus_closed(BusEv *ev, int error, void *userdata);

/* A call to a container that is not here (never was, or went since the caller listed it): a named error
 * with its id rather than sd-bus's UnknownObject. sd-bus runs this fallback only for what no container's
 * object took (object callbacks and vtables of the exact path come first); the root's own calls
 * (GetManagedObjects, Introspect) are not below it and pass. */
static int on_unknown_container(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *id = NULL;
        const char *iface = sd_bus_message_get_interface(m);

        if (sd_bus_message_is_method_call(m, NULL, NULL) <= 0 || !iface ||
            (strcmp(iface, SHIM_BUS_INTERFACE) != 0 &&
             strcmp(iface, "org.freedesktop.DBus.Properties") != 0))
                return 0;
        if (sd_bus_path_decode(sd_bus_message_get_path(m), SHIM_BUS_ROOT, &id) <= 0 || !id)
                return 0;
        return sd_bus_error_setf(error, SHIM_BUS_ERROR_NO_SUCH_CONTAINER, "no such container '%s'", id);
}

static int bus_connect(Busd *d) {
        sd_bus *bus = NULL;
        int r;

        if (arg_bus) {
                if ((r = sd_bus_new(&bus)) < 0 || (r = sd_bus_set_address(bus, arg_bus)) < 0 ||
                    (r = sd_bus_set_bus_client(bus, 1)) < 0 || (r = sd_bus_start(bus)) < 0)
                        goto fail;
        } else if ((r = sd_bus_open_system(&bus)) < 0)
                goto fail;
        if ((r = sd_bus_add_object_manager(bus, NULL, SHIM_BUS_ROOT)) < 0 ||
            (r = sd_bus_add_fallback(bus, NULL, SHIM_BUS_ROOT, on_unknown_container, d)) < 0 ||
            (r = sd_bus_request_name(bus, SHIM_BUS_SERVICE, 0)) < 0 ||
            (r = bus_ev_new(d->loop, bus, bus_closed, d, &d->bus_ev)) < 0)
                goto fail;
        d->bus = bus;
        scan(d);
        (void) sd_notify(false, "READY=1\nSTATUS=publishing the containers of tether-shim");
        backoff = 0.5;
        return 0;
fail:
        sd_bus_flush_close_unref(bus);
        return r;
}

static void on_reconnect(struct ev_loop *loop, ev_timer *w, int revents) {
        Busd *d = w->data;
        int r = bus_connect(d);

        if (r >= 0)
                return;
        fprintf(stderr,
                "tether-busd: cannot connect to the bus: %s; again in %.1f s\n",
                strerror(-r),
                backoff);
        ev_timer_set(w, backoff, 0.);
        ev_timer_start(loop, w);
        backoff = backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : backoff * 2;
}

/* The bus went: every object with it; they come back with the next connection. */
static void bus_closed(BusEv *ev, int error, void *userdata) {
        Busd *d = userdata;

        fprintf(stderr, "tether-busd: lost the bus: %s\n", strerror(-error));
        proxy_free_all(d);
        d->bus_ev = bus_ev_free(d->bus_ev);
        d->bus = sd_bus_unref(d->bus);
        ev_timer_set(&reconnect_timer, backoff, 0.);
        ev_timer_start(d->loop, &reconnect_timer);
}

static void on_signal(struct ev_loop *loop, ev_io *w, int revents) {
        struct signalfd_siginfo si;

        while (read(w->fd, &si, sizeof(si)) == (ssize_t) sizeof(si))
                if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
                        ev_break(loop, EVBREAK_ALL);
}

static int parse_args(int argc, char **argv, Busd *d) {
        static const struct option options[] = {{"bus", required_argument, NULL, 'b'},
                                                {"state-dir", required_argument, NULL, 's'},
                                                {"help", no_argument, NULL, 'h'},
                                                {}};
        int o;

        opterr = 0;
        while ((o = getopt_long(argc, argv, ":h", options, NULL)) >= 0)
                switch (o) {
                case 'b':
                        arg_bus = optarg;
                        break;
                case 's':
                        d->ctl.state_dir = optarg;
                        break;
                case 'h':
                        fputs(usage_text, stdout);
                        return 1;
                case ':':
                        fprintf(stderr,
                                "tether-busd: option '%s' needs an argument\n%s",
                                argv[optind - 1],
                                usage_text);
                        return 2;
                default:
                        fprintf(stderr,
                                "tether-busd: unknown option '%s'\n%s",
                                argv[optind - 1],
                                usage_text);
                        return 2;
                }
        if (optind < argc) {
                fprintf(stderr, "tether-busd: unexpected argument '%s'\n%s", argv[optind], usage_text);
                return 2;
        }
        if (d->ctl.state_dir[0] != '/') {
                fprintf(stderr, "tether-busd: --state-dir must be an absolute path\n");
                return 2;
        }
        return 0;
}

int main(int argc, char **argv) {
        Busd d = {.ctl = {.state_dir = DEFAULT_STATE_DIR}, .inotify_fd = -EBADF, .state_wd = -1};
        _cleanup_close_ int sig_fd = -EBADF;
        ev_io sig_io;
        sigset_t mask;
        int r;

        r = parse_args(argc, argv, &d);
        if (r != 0)
                return r == 1 ? 0 : r;
        raise_nofile();
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGPIPE);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
            (sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
                return fprintf(stderr, "tether-busd: cannot set up signals: %m\n"), 1;
        if (mkdir(d.ctl.state_dir, 0711) < 0 && errno != EEXIST)
                return fprintf(stderr,
                               "tether-busd: cannot make state directory '%s': %m\n",
                               d.ctl.state_dir),
                       1;
        d.inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (d.inotify_fd < 0)
                return fprintf(stderr, "tether-busd: inotify: %m\n"), 1;
        d.state_wd = inotify_add_watch(d.inotify_fd,
                                       d.ctl.state_dir,
                                       IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_ONLYDIR);
        if (d.state_wd < 0)
                return fprintf(stderr, "tether-busd: cannot watch '%s': %m\n", d.ctl.state_dir), 1;
        d.loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
        if (!d.loop)
                return fprintf(stderr, "tether-busd: out of memory\n"), 1;
        ev_io_init(&sig_io, on_signal, sig_fd, EV_READ);
        ev_io_start(d.loop, &sig_io);
        ev_io_init(&d.inotify_io, on_inotify, d.inotify_fd, EV_READ);
        d.inotify_io.data = &d;
        ev_io_start(d.loop, &d.inotify_io);
        ev_timer_init(&reconnect_timer, on_reconnect, 0., 0.);
        reconnect_timer.data = &d;
        ev_timer_start(d.loop, &reconnect_timer); /* the first connection, and any after a loss */
        ev_run(d.loop, 0);
        proxy_free_all(&d);
        bus_ev_free(d.bus_ev);
        sd_bus_flush_close_unref(d.bus);
        ev_loop_destroy(d.loop);
        safe_close(d.inotify_fd);
        return 0;
}
