"""contrib's units for the shim under a real systemd and system bus (issue 11): tether-busd started by D-Bus
activation through its unit, and tether@.service running the bundle /var/lib/tether/%i under tether-shim
--foreground with the unit's lifetime. start.sh installs the files where `meson install` puts them, the
build's binaries in /usr/local/bin, and reloads systemd and dbus-daemon."""

import json
import os
import select
import shutil
import subprocess
import time

import pytest

from guest_helpers import TIMEOUT, run

STATE = "/run/tether-shim"
SERVICE = "io.tether.Shim1"
ROOT = "/io/tether/Shim1"
IFACE = "io.tether.Shim1.Container"
STOP_TIMEOUT = 10  # tether@.service's --stop-timeout
# Sets its trap before it says it is ready, so that the stop always finds it: TERM to the first process
# exits 7. Its child reports a TERM of its own, which it must never get: `systemctl stop` signals the
# shim alone (KillMode=mixed), and the runtime only the first process; the child dies with the pid
# namespace.
PAYLOAD = ("trap 'exit 7' TERM; (trap 'echo child got TERM; exit 0' TERM; sleep 600 & wait) & "
           "echo ready; wait")


def show(unit, *props):
    r = run(["systemctl", "show", unit] + [f"--property={p}" for p in props])
    assert r.returncode == 0, r.stderr
    return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)


def busctl(*args):
    r = run(["busctl", "--system", *args])
    assert r.returncode == 0, f"busctl {' '.join(args)}: {r.stderr}"
    return r.stdout.strip()


def shimctl_status(cid):
    r = run(["shimctl", "--state-dir", STATE, "--json", "status", cid])
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def cleanup(unit, cid, bundle):
    run(["systemctl", "stop", unit])
    run(["systemctl", "reset-failed", unit])
    run(["shimctl", "--bus", "none", "--state-dir", STATE, "rm", "--force", cid])
    shutil.rmtree(bundle, ignore_errors=True)


@pytest.fixture
def web(rootfs, tether):
    """The bundle /var/lib/tether/web, where tether@web.service looks: a copy of the busybox rootfs and
    `tether spec`'s config running PAYLOAD. Unit, record and bundle are removed afterwards."""
    cid, unit, bundle = "web", "tether@web.service", "/var/lib/tether/web"
    cleanup(unit, cid, bundle)
    shutil.copytree(rootfs, os.path.join(bundle, "rootfs"), symlinks=True)
    r = run([tether, "spec", "--bundle", bundle, "--rootfs", os.path.join(bundle, "rootfs"), "--",
             "sh", "-c", PAYLOAD])
    assert r.returncode == 0, r.stderr
    try:
        yield cid, unit, bundle
    finally:
        cleanup(unit, cid, bundle)


def test_dbus_activation_starts_tether_busd_through_its_unit():
    run(["systemctl", "stop", "tether-busd.service"])
    assert show("tether-busd.service", "ActiveState")["ActiveState"] in ("inactive", "failed")
    # Nobody owns the name: the call is what starts it (dbus-daemon asks systemd for SystemdService=).
    out = busctl("call", SERVICE, ROOT, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")
    assert out.startswith("a{oa{sa{sv}}} "), out
    props = show("tether-busd.service", "ActiveState", "SubState", "MainPID")
    assert (props["ActiveState"], props["SubState"]) == ("active", "running"), props
    # The unit's process is the one that owns the name (BusName=, Type=notify).
    owner = busctl("call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                   "GetConnectionUnixProcessID", "s", SERVICE)
    assert owner == f"u {props['MainPID']}", (owner, props)


def wait_for_line(proc, text):
    """Reads proc's stdout until a line holds text; the pipe's end or TIMEOUT is a failure."""
    deadline = time.monotonic() + TIMEOUT
    seen = ""
    while text not in seen:
        left = deadline - time.monotonic()
        assert left > 0 and select.select([proc.stdout], [], [], left)[0], f"no '{text}' in {seen!r}"
        chunk = os.read(proc.stdout.fileno(), 4096).decode()
        assert chunk, f"the log ended without '{text}': {seen!r}"
        seen += chunk
    return seen


def test_tether_at_runs_the_bundle_for_the_units_lifetime_and_stop_is_graceful(web):
    cid, unit, bundle = web
    r = run(["systemctl", "start", unit])  # Type=notify: returns once the shim said READY=1
    assert r.returncode == 0, r.stderr + run(["journalctl", "-u", unit, "--no-pager"]).stdout
    props = show(unit, "ActiveState", "SubState", "MainPID", "ControlGroup", "KillMode")
    assert (props["ActiveState"], props["SubState"], props["KillMode"]) == ("active", "running", "mixed")
    with open(os.path.join(STATE, cid, "shim.pid")) as f:
        assert int(f.read()) == int(props["MainPID"]), "the shim is the unit's main process"

    # The payload runs, in a group below the unit's (Delegate=yes), seen by shimctl and on the bus.
    st = shimctl_status(cid)
    assert (st["state"], st["live"], st["bundle"]) == ("running", True, bundle), st
    pid = st["pid"]
    payload_fd = os.pidfd_open(pid)
    shim_fd = os.pidfd_open(int(props["MainPID"]))
    with open(f"/proc/{pid}/cgroup") as f:
        assert f.read().strip() == f"0::{props['ControlGroup']}/tether/{cid}"
    assert busctl("get-property", SERVICE, f"{ROOT}/{cid}", IFACE, "State") == 's "running"'
    assert busctl("get-property", SERVICE, f"{ROOT}/{cid}", IFACE, "Pid") == f"u {pid}"

    # Its trap is set once it says so in its log (shimctl logs -f ends with the container).
    logs = subprocess.Popen(["shimctl", "--state-dir", STATE, "logs", "-f", cid], stdout=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    try:
        wait_for_line(logs, "ready")
        start = time.monotonic()
        r = run(["systemctl", "stop", unit])
        took = time.monotonic() - start
        assert r.returncode == 0, r.stderr
        rest = logs.stdout.read().decode()
        assert logs.wait(timeout=TIMEOUT) == 0
    finally:
        if logs.poll() is None:
            logs.kill()
            logs.wait()
    assert "child got TERM" not in rest, "systemd signalled the container, not the shim alone"
    assert took < STOP_TIMEOUT, f"systemctl stop took {took:.1f} s: the container was KILLed, not stopped"

    # Ended by its TERM trap, recorded; the unit inactive, not failed; nothing of it left.
    props = show(unit, "ActiveState", "Result", "MainPID", "ControlGroup")
    assert (props["ActiveState"], props["Result"], props["MainPID"]) == ("inactive", "success", "0"), props
    with open(os.path.join(STATE, cid, "exit.json")) as f:
        record = json.load(f)
    assert (record["id"], record["exit_code"], record["signal"]) == (cid, 7, None), record
    st = shimctl_status(cid)
    assert (st["state"], st["live"], st["exit_code"], st["signal"]) == ("stopped", False, 7, None), st
    assert busctl("get-property", SERVICE, f"{ROOT}/{cid}", IFACE, "State") == 's "stopped"'
    assert busctl("get-property", SERVICE, f"{ROOT}/{cid}", IFACE, "ExitCode") == "i 7"
    for fd in (payload_fd, shim_fd):  # readable: the process has ended
        assert select.select([fd], [], [], 0)[0]
        os.close(fd)
    assert props["ControlGroup"] == ""
    assert not os.path.exists(f"/sys/fs/cgroup/machine.slice/{unit}")
    assert run(["tether", "state", cid]).returncode != 0, "the runtime's state was not deleted"

    # The next start takes the id again (ExecStartPre removes the record).
    r = run(["systemctl", "start", unit])
    assert r.returncode == 0, r.stderr
    assert shimctl_status(cid)["state"] == "running"
