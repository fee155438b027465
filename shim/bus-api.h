#pragma once

/* The shim's D-Bus API, shared by tether-shim (which serves it on STATE/ID/bus), tether-busd (which
 * publishes it on the system bus) and shimctl: names, paths and signatures (../shared/STYLE.md section 6).
 * A new digit in the names for an incompatible change. */

#define SHIM_BUS_SERVICE "io.tether.Shim1"
#define SHIM_BUS_ROOT "/io/tether/Shim1" /* object paths are ROOT/<id escaped by sd_bus_path_encode()> */
#define SHIM_BUS_INTERFACE "io.tether.Shim1.Container"
#define SHIM_BUS_SOCKET "bus" /* in STATE/ID */

#define SHIM_BUS_ERROR_NOT_RUNNING "io.tether.Shim1.Error.NotRunning"
#define SHIM_BUS_ERROR_NOT_PAUSED "io.tether.Shim1.Error.NotPaused"
#define SHIM_BUS_ERROR_NO_SUCH_CONTAINER "io.tether.Shim1.Error.NoSuchContainer"
#define SHIM_BUS_ERROR_INVALID_SIGNAL "io.tether.Shim1.Error.InvalidSignal"
#define SHIM_BUS_ERROR_RUNTIME_FAILED "io.tether.Shim1.Error.RuntimeFailed"
#define SHIM_BUS_ERROR_ACCESS_DENIED "org.freedesktop.DBus.Error.AccessDenied"

#include <systemd/sd-bus.h>

/* io.tether.Shim1.Container as both the shim and tether-busd serve it: its properties, all read through
 * get (which looks at the property's name), and its methods through their handlers. One table, so that
 * the two can never disagree on a name or a signature. Every property but Id may change, and is sent
 * with its value on each change: tether-busd takes the values from those signals (busd-proxy.c). */
#define SHIM_BUS_P(name, type, get) SD_BUS_PROPERTY(name, type, get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE)
#define SHIM_BUS_CONTAINER_VTABLE(get, on_kill, on_stop, on_pause, on_resume, on_wait, on_stats)            \
        SD_BUS_VTABLE_START(0), SD_BUS_PROPERTY("Id", "s", get, 0, SD_BUS_VTABLE_PROPERTY_CONST),           \
                SHIM_BUS_P("State", "s", get), SHIM_BUS_P("Pid", "u", get),                                 \
                SHIM_BUS_P("ExitCode", "i", get), SHIM_BUS_P("ExitSignal", "s", get),                       \
                SHIM_BUS_P("CoreDumped", "b", get), SHIM_BUS_P("OOMKilled", "b", get),                      \
                SHIM_BUS_P("Bundle", "s", get), SHIM_BUS_P("Runtime", "s", get),                            \
                SHIM_BUS_P("LogPath", "s", get), SHIM_BUS_P("LogDropped", "t", get),                        \
                SHIM_BUS_P("Unit", "s", get), SHIM_BUS_P("Owner", "u", get),                                \
                SHIM_BUS_P("StartedAtUSec", "t", get), SHIM_BUS_P("ExitedAtUSec", "t", get),                \
                SHIM_BUS_P("Generation", "t", get),                                                         \
                SD_BUS_METHOD_WITH_ARGS("Kill",                                                             \
                                        SD_BUS_ARGS("s", signal, "b", all),                                 \
                                        SD_BUS_NO_RESULT,                                                   \
                                        on_kill,                                                            \
                                        SD_BUS_VTABLE_UNPRIVILEGED),                                        \
                SD_BUS_METHOD_WITH_ARGS("Stop",                                                             \
                                        SD_BUS_ARGS("t", timeout_usec),                                     \
                                        SD_BUS_NO_RESULT,                                                   \
                                        on_stop,                                                            \
                                        SD_BUS_VTABLE_UNPRIVILEGED),                                        \
                SD_BUS_METHOD_WITH_ARGS(                                                                    \
                        "Pause", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, on_pause, SD_BUS_VTABLE_UNPRIVILEGED),   \
                SD_BUS_METHOD_WITH_ARGS(                                                                    \
                        "Resume", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, on_resume, SD_BUS_VTABLE_UNPRIVILEGED), \
                SD_BUS_METHOD_WITH_ARGS("Wait",                                                             \
                                        SD_BUS_NO_ARGS,                                                     \
                                        SD_BUS_RESULT("i", exit_code, "s", signal, "b", oom_killed),        \
                                        on_wait,                                                            \
                                        SD_BUS_VTABLE_UNPRIVILEGED),                                        \
                SD_BUS_METHOD_WITH_ARGS("Stats",                                                            \
                                        SD_BUS_NO_ARGS,                                                     \
                                        SD_BUS_RESULT("a{sv}", stats),                                      \
                                        on_stats,                                                           \
                                        SD_BUS_VTABLE_UNPRIVILEGED),                                        \
                SD_BUS_VTABLE_END
