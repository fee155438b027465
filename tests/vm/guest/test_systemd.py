"""systemd's transient units work from the tests, as the cgroup and shim issues will use them: a scope
with a memory limit through systemd-run, and a service started over the system bus with
StartTransientUnit."""

import os
import select
import shutil
import tempfile
import time
import uuid

import pytest

from guest_helpers import TIMEOUT, run


@pytest.fixture
def unit_name():
    name = f"tether-vm-{uuid.uuid4().hex[:12]}"
    yield name
    for suffix in ("scope", "service"):
        run(["systemctl", "stop", f"{name}.{suffix}"])
        run(["systemctl", "reset-failed", f"{name}.{suffix}"])


@pytest.fixture
def fifo():
    # In the guest's /tmp: the runner's 9p share refuses fifos.
    top = tempfile.mkdtemp(prefix="tether-vm-fifo-", dir="/tmp")
    path = os.path.join(top, "fifo")
    os.mkfifo(path)
    yield path
    shutil.rmtree(top)


def test_systemd_run_scope_gets_its_cgroup_and_memory_max(unit_name):
    script = 'cg=$(cut -d: -f3 /proc/self/cgroup); echo "$cg"; cat "/sys/fs/cgroup$cg/memory.max"'
    r = run(["systemd-run", "--quiet", "--scope", "--unit", unit_name, "-p", "MemoryMax=32M", "--",
             "sh", "-c", script])
    assert r.returncode == 0, r.stderr
    cgroup, memory_max = r.stdout.split()
    assert cgroup.endswith(f"/{unit_name}.scope")
    assert memory_max == str(32 << 20)


def read_fifo(path, timeout):
    """What one writer writes into the fifo, up to its close; waits for it at most `timeout` seconds."""
    # O_NONBLOCK: the open does not wait for a writer; poll then waits for its data (Linux reports no
    # hang-up on a fifo that never had a writer).
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    data = b""
    deadline = time.monotonic() + timeout
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"nothing came through {path} in {timeout} s: {data!r}"
            if not poller.poll(left * 1000):
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                return data.decode()
            data += chunk
    finally:
        os.close(fd)


def wait_settled(unit, timeout):
    """The unit's ActiveState once its start job is over (active or failed), polled for at most `timeout`
    seconds: systemd 252's busctl cannot wait for the job's JobRemoved signal; the bound only ends a
    failure."""
    deadline = time.monotonic() + timeout
    while True:
        state = run(["systemctl", "show", "-P", "ActiveState", unit]).stdout.strip()
        if state in ("active", "failed") or time.monotonic() > deadline:
            return state
        time.sleep(0.2)


def test_start_transient_unit_over_the_bus_runs_it(unit_name, fifo):
    unit = f"{unit_name}.service"
    script = f"cut -d: -f3 /proc/self/cgroup >{fifo}"
    # "--": the arguments of the command line below look like options to busctl.
    r = run(["busctl", "--system", "--", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
             "org.freedesktop.systemd1.Manager", "StartTransientUnit", "ssa(sv)a(sa(sv))", unit, "fail",
             "4",
             "Description", "s", "tether vm test",
             "Type", "s", "oneshot",
             "RemainAfterExit", "b", "true",
             "ExecStart", "a(sasb)", "1", "/bin/sh", "3", "/bin/sh", "-c", script, "false",
             "0"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith('o "/org/freedesktop/systemd1/job/')
    assert read_fifo(fifo, TIMEOUT).strip() == f"/system.slice/{unit}"
    # RemainAfterExit: the unit stays loaded, active once its command succeeded, failed otherwise.
    assert wait_settled(unit, TIMEOUT) == "active"
    r = run(["systemctl", "show", "-P", "ExecMainStatus", unit])
    assert r.stdout.strip() == "0"
