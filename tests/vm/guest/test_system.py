"""The guest is the host the next issues need: systemd as PID 1, pure cgroup v2 with the controllers a
container manager uses enabled from the root down, and a system bus that answers."""

import json

from guest_helpers import run

CONTROLLERS = {"memory", "cpu", "io", "pids"}


def mounts():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            yield fields[4], fields[sep + 1]  # mount point, file system type


def test_pid1_is_systemd():
    with open("/proc/1/comm") as f:
        assert f.read().strip() == "systemd"


def test_sys_fs_cgroup_is_cgroup2_alone():
    types = dict(mounts())
    assert types.get("/sys/fs/cgroup") == "cgroup2"
    assert [m for m, t in mounts() if t == "cgroup"] == [], "no cgroup v1 hierarchy: not hybrid"


def test_root_cgroup_offers_memory_cpu_io_pids():
    with open("/sys/fs/cgroup/cgroup.controllers") as f:
        assert CONTROLLERS <= set(f.read().split())


def test_root_cgroup_enables_memory_cpu_io_pids_below_it():
    with open("/sys/fs/cgroup/cgroup.subtree_control") as f:
        assert CONTROLLERS <= set(f.read().split())


def test_system_bus_answers_listnames():
    r = run(["busctl", "--system", "--json=short", "call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
             "org.freedesktop.DBus", "ListNames"])
    assert r.returncode == 0, r.stderr
    reply = json.loads(r.stdout)
    assert reply["type"] == "as"
    names = reply["data"][0]
    assert "org.freedesktop.DBus" in names
    assert "org.freedesktop.systemd1" in names
