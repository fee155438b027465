"""tether-busd on a private system bus (a dbus-daemon started from tests/dbus/system.conf, which has the
stock system policy and includes the shipped contrib/dbus policy): the shims' containers published as
io.tether.Shim1, read and driven with busctl, an independent client, as root and as nobody."""

import json
import os
import signal
import socket
import subprocess
import threading
import time

import pytest

import runtime_helpers
from helpers import TIMEOUT
from runtime_helpers import base, rootfs, rt  # noqa: F401 (fixtures)
from test_shim import Shims, sh

runtime_helpers.skip_unless_selected()

BUSD = os.environ.get("TETHER_BUSD")
SHIM = os.environ.get("TETHER_SHIM")
HERE = os.path.dirname(os.path.abspath(__file__))
BUS_CONFIG = os.path.join(HERE, "..", "dbus", "system.conf")
IFACE = "io.tether.Shim1.Container"

pytestmark = pytest.mark.skipif(not BUSD or not SHIM, reason="TETHER_BUSD or TETHER_SHIM is not set")


@pytest.fixture
def bus(rt):
    """A private dbus-daemon; its address."""
    r, w = os.pipe()
    p = subprocess.Popen(["dbus-daemon", f"--config-file={BUS_CONFIG}", "--nofork", f"--print-address={w}"],
                         pass_fds=[w], stdin=subprocess.DEVNULL)
    os.close(w)
    with os.fdopen(r) as f:
        address = f.readline().strip()
    assert address.startswith("unix:"), "dbus-daemon printed no address"
    yield address
    p.terminate()
    p.wait(TIMEOUT)


class Busd:
    def __init__(self, rt, address, state):
        self.rt, self.address, self.state, self.proc = rt, address, state, None
        self.notify = os.path.join(rt.work, "busd.notify")

    def start(self):
        """Starts tether-busd and returns once it says READY=1 (sd_notify), its name owned."""
        if os.path.exists(self.notify):
            os.unlink(self.notify)
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.bind(self.notify)
            s.settimeout(TIMEOUT)
            self.proc = subprocess.Popen([BUSD, "--bus", self.address, "--state-dir", self.state],
                                         env=dict(os.environ, NOTIFY_SOCKET=self.notify), stdin=subprocess.DEVNULL)
            while b"READY=1" not in s.recv(4096):
                pass

    def kill(self, sig=signal.SIGKILL):
        self.proc.send_signal(sig)
        self.proc.wait(TIMEOUT)

    def busctl(self, *args, user=None, timeout=TIMEOUT):
        argv = ["busctl", f"--address={self.address}", f"--timeout={timeout}", *args]
        if user:
            argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + argv
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 5)

    def prop(self, cid, name, user=None):
        r = self.busctl("get-property", "io.tether.Shim1", path(cid), IFACE, name, user=user)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    def call(self, cid, method, *args, user=None):
        return self.busctl("call", "io.tether.Shim1", path(cid), IFACE, method, *args, user=user)

    def objects(self):
        r = self.busctl("tree", "--list", "io.tether.Shim1")
        assert r.returncode == 0, r.stderr
        return sorted(line for line in r.stdout.split() if line.startswith("/io/tether/Shim1/"))

    def until(self, cond, what, show=lambda: ""):
        """Polls cond: the bus gives no signal a test could wait for without a client of its own."""
        deadline = time.monotonic() + TIMEOUT
        while not cond():
            assert time.monotonic() < deadline, f"timed out waiting for {what}: {show()}"
            time.sleep(0.02)

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.kill(signal.SIGTERM)


def path(cid):
    return "/io/tether/Shim1/" + "".join(c if c.isalnum() else f"_{ord(c):02x}" for c in cid)


@pytest.fixture
def shims(rt):
    s = Shims(rt)
    yield s
    s.close()


@pytest.fixture
def busd(rt, bus, shims):
    d = Busd(rt, bus, shims.state)
    os.makedirs(shims.state, exist_ok=True)
    d.start()
    yield d
    d.close()


def test_containers_are_published_with_their_properties(busd, shims, rt):
    shims.start("web-1", sh(rt, "sleep 600"))
    busd.until(lambda: path("web-1") in busd.objects(), "the object")
    busd.until(lambda: busd.prop("web-1", "State") == 's "running"', "State running")
    assert busd.prop("web-1", "Id") == 's "web-1"'
    with open(shims.path("web-1", "pid")) as f:
        assert busd.prop("web-1", "Pid") == f"u {int(f.read())}"


def test_properties_changed_reaches_an_independent_client(busd, shims, rt):
    shims.start("pc", sh(rt, "sleep 600"))
    busd.until(lambda: busd.busctl("get-property", "io.tether.Shim1", path("pc"), IFACE, "State").stdout.strip()
               == 's "running"', "State running")
    monitor = subprocess.Popen(["busctl", f"--address={busd.address}", "monitor", "io.tether.Shim1"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    seen = threading.Event()
    lines = []

    def read():
        for line in monitor.stdout:
            lines.append(line)
            if "paused" in line:
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        # the monitor is ready once it sees something of ours: a call it can watch
        busd.until(lambda: busd.busctl("get-property", "io.tether.Shim1", path("pc"), IFACE, "Id") and
                   any("Id" in line for line in lines), "the monitor")
        r = busd.call("pc", "Pause")
        assert r.returncode == 0, r.stderr
        assert seen.wait(TIMEOUT), "no PropertiesChanged with State paused:\n" + "".join(lines[-40:])
        assert any("PropertiesChanged" in line for line in lines)
    finally:
        monitor.terminate()
        monitor.wait(TIMEOUT)
    assert busd.call("pc", "Resume").returncode == 0


def test_unprivileged_callers_read_but_cannot_change(busd, shims, rt):
    shims.start("priv", sh(rt, "sleep 600"))
    busd.until(lambda: busd.prop("priv", "State") == 's "running"', "State running")
    assert busd.prop("priv", "State", user=65534) == 's "running"'
    for method, args in (("Kill", ("sb", "KILL", "false")), ("Stop", ("t", "0")), ("Pause", ())):
        r = busd.call("priv", method, *args, user=65534)
        # busctl prints org.freedesktop.DBus.Error.AccessDenied as "Access denied", whatever its text
        assert r.returncode != 0 and "Access denied" in r.stderr, (method, r.stderr)
    assert busd.prop("priv", "State") == 's "running"'
    r = busd.call("priv", "Stats", user=65534)
    assert r.returncode == 0 and "MemoryUsage" in r.stdout, r.stderr


def test_a_call_to_an_unknown_container_gets_a_named_error(busd, shims, rt):
    shims.start("known", sh(rt, "sleep 600"))
    busd.until(lambda: busd.prop("known", "State") == 's "running"', "State running")
    # dbus-send prints the error's name, which busctl does not
    for member, args in ((f"{IFACE}.Kill", ["string:TERM", "boolean:false"]),
                         ("org.freedesktop.DBus.Properties.Get", [f"string:{IFACE}", "string:State"])):
        r = subprocess.run(["dbus-send", f"--bus={busd.address}", "--print-reply",
                            "--dest=io.tether.Shim1", path("no-such"), member, *args],
                           capture_output=True, text=True, timeout=TIMEOUT)
        assert r.returncode != 0, r.stdout
        assert "Error io.tether.Shim1.Error.NoSuchContainer: no such container 'no-such'" in r.stderr, r.stderr
    # the known one, and the root's object manager, answer as before
    assert busd.prop("known", "State") == 's "running"'
    assert busd.objects() == [path("known")]


def test_wait_through_the_bus_and_the_record_after_the_shim(busd, shims, rt):
    shims.start("wt", sh(rt, "sleep 600"))
    busd.until(lambda: busd.prop("wt", "State") == 's "running"', "State running")
    waiter = subprocess.Popen(["busctl", f"--address={busd.address}", f"--timeout={TIMEOUT}", "call",
                               "io.tether.Shim1", path("wt"), IFACE, "Wait"], stdout=subprocess.PIPE, text=True)
    assert busd.call("wt", "Kill", "sb", "KILL", "false").returncode == 0
    out, _ = waiter.communicate(timeout=TIMEOUT)
    assert out.strip() == 'isb 137 "SIGKILL" false'
    shims.wait_shim_gone("wt")
    # the shim is gone: its record answers
    busd.until(lambda: busd.prop("wt", "ExitCode") == "i 137", "the record's ExitCode")
    assert busd.prop("wt", "State") == 's "stopped"'
    assert busd.call("wt", "Wait").stdout.strip() == 'isb 137 "SIGKILL" false'
    r = busd.call("wt", "Kill", "sb", "TERM", "false")
    assert r.returncode != 0 and "container 'wt' is not running (stopped)" in r.stderr, r.stderr


def test_a_restarted_busd_publishes_the_same_and_touches_nothing(busd, shims, rt):
    shims.start("rs", sh(rt, "sleep 600"))
    busd.until(lambda: path("rs") in busd.objects(), "the object")
    with open(shims.path("rs", "pid")) as f:
        pid = int(f.read())
    busd.kill(signal.SIGKILL)
    assert os.path.exists(f"/proc/{pid}"), "the container went with tether-busd"
    busd.start()
    busd.until(lambda: path("rs") in busd.objects(), "the object again")
    busd.until(lambda: busd.prop("rs", "State") == 's "running"', "State running")
    assert busd.prop("rs", "Pid") == f"u {pid}"


def test_a_killed_shim_is_gone_and_a_removed_container_leaves_the_bus(busd, shims, rt):
    shims.start("gone", sh(rt, "sleep 600"))
    busd.until(lambda: busd.prop("gone", "State") == 's "running"', "State running")
    os.kill(shims.shim_pid("gone"), signal.SIGKILL)
    shims.wait_shim_gone("gone")
    busd.until(lambda: busd.prop("gone", "State") == 's "gone"', "State gone",
               lambda: (busd.prop("gone", "State"), os.listdir(shims.path("gone", ""))))
    rt.tether("kill", "gone", "KILL")
    for name in os.listdir(shims.path("gone", "")):
        os.unlink(shims.path("gone", name))
    os.rmdir(shims.path("gone", ""))
    busd.until(lambda: path("gone") not in busd.objects(), "the object to go")


SHIMCTL = os.environ.get("TETHER_SHIMCTL")


@pytest.mark.skipif(not SHIMCTL, reason="TETHER_SHIMCTL names no shimctl")
def test_shimctl_through_the_bus_says_what_the_sockets_say(busd, shims, rt):
    shims.start("via", sh(rt, "sleep 600"))
    busd.until(lambda: busd.prop("via", "State") == 's "running"', "State running")

    def ctl(*args, bus):
        return subprocess.run([SHIMCTL, "--state-dir", shims.state, "--bus", bus, *args], capture_output=True,
                              text=True, timeout=TIMEOUT)

    for args in (("list",), ("status", "via"), ("--json", "status", "via")):
        through, direct = ctl(*args, bus=busd.address), ctl(*args, bus="none")
        assert through.returncode == direct.returncode == 0, (through.stderr, direct.stderr)
        assert through.stdout == direct.stdout, args
    r = ctl("kill", "via", "KILL", bus=busd.address)
    assert r.returncode == 0, r.stderr
    assert ctl("wait", "via", bus=busd.address).returncode == 137
    r = ctl("status", "nope", bus=busd.address)
    assert r.returncode == 1 and "no such container 'nope'" in r.stderr, r.stderr
    r = ctl("list", bus="unix:path=/nonexistent")
    assert r.returncode == 1 and "cannot connect to the bus 'unix:path=/nonexistent'" in r.stderr, r.stderr


@pytest.mark.skipif(not SHIMCTL, reason="TETHER_SHIMCTL names no shimctl")
def test_300_containers_on_a_bus_with_the_stock_connection_limit(busd, shims, rt):
    """dbus-daemon allows 256 connections per uid (root too): no shim connects to it, so 300 containers
    are published, listed and killed through the one connection of tether-busd."""
    from concurrent.futures import ThreadPoolExecutor

    ids = [f"many-{i:03d}" for i in range(300)]
    config = sh(rt, "exec sleep 600")
    bundle = rt.bundle(config)
    shims.ids.extend(ids)
    for cid in ids:
        rt._track(cid)

    def start(cid):
        return subprocess.run(shims.argv(cid, bundle), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=TIMEOUT * 6)

    with ThreadPoolExecutor(8) as pool:
        failed = [r.stderr for r in pool.map(start, ids) if r.returncode != 0]
    assert not failed, failed[:3]

    def listed():
        r = subprocess.run([SHIMCTL, "--bus", busd.address, "--json", "list"], capture_output=True, text=True,
                           timeout=TIMEOUT)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    busd.until(lambda: sum(c["state"] == "running" for c in listed()) == 300, "300 running containers")

    def kill(cid):
        return cid, busd.call(cid, "Kill", "sb", "KILL", "false")

    with ThreadPoolExecutor(8) as pool:
        failed = [(cid, r.stderr) for cid, r in pool.map(kill, ids) if r.returncode != 0]
    for cid, _ in failed[:2]:
        with open(shims.path(cid, "shim.log")) as f:
            print(cid, "shim.log:", f.read())
    assert not failed, failed[:3]
    for cid in ids:
        shims.wait_shim_gone(cid)
    states = {(c["state"], c["exit_code"]) for c in listed() if c["id"].startswith("many-")}
    assert states == {("stopped", 137)}
