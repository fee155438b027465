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
