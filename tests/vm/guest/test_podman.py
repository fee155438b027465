"""podman 4.3 (Debian 12's, in the guest image) with the freshly built tether as its runtime on the guest's
pure cgroup v2: `podman --runtime /usr/local/bin/tether run --memory 32m --rootfs ROOTFS` gives the
container a group whose memory.max is 32 MiB, seen from inside (the container's cgroup namespace) and from
the guest, with both of podman's cgroup managers: cgroupfs (tether's v2 driver) and systemd (tether's
--systemd-cgroup, a scope in machine.slice, through tether-systemd).

No image is pulled (no registry is reachable): --rootfs runs the busybox rootfs of conftest.py. podman
gets its own --root, --runroot and --tmpdir in the guest's /tmp, vfs storage, the file events backend and
no network. With cgroupfs its groups lie below a parent of the test's own, /tether-vm-podman-RANDOM
(--cgroup-parent), which is removed afterwards; podman puts conmon into PARENT/conmon and leaves it there,
tether's group of the container must be gone.
"""

import json
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

from guest_helpers import TIMEOUT, run
from runtime_helpers import Stdio

CGROUP = "/sys/fs/cgroup"
PODMAN = "/usr/bin/podman"
LIMIT = 32 << 20


class Podman:
    def __init__(self, tether, manager):
        self.dir = tempfile.mkdtemp(prefix="tether-vm-podman-", dir="/tmp")
        d = {k: os.path.join(self.dir, k) for k in ("root", "run", "tmp", "net")}
        os.mkdir(d["tmp"])
        self.argv = [PODMAN, "--root", d["root"], "--runroot", d["run"], "--tmpdir", d["tmp"],
                     "--network-config-dir", d["net"], "--storage-driver", "vfs", "--events-backend", "file",
                     "--cgroup-manager", manager, "--runtime", tether]
        self.env = dict(os.environ, TMPDIR=d["tmp"])

    def cmd(self, *args):
        return run(self.argv + list(args), env=self.env)

    def close(self):
        r = self.cmd("rm", "--all", "--force", "--time", "0")
        with open("/proc/self/mountinfo") as f:
            mounts = [line for line in f if self.dir in line]
        if not mounts:
            shutil.rmtree(self.dir, ignore_errors=True)
        assert r.returncode == 0, r.stderr
        assert not mounts, f"mounts left behind: {mounts}"


@pytest.fixture
def cgroup_parent():
    """/tether-vm-podman-RANDOM: podman's --cgroup-parent under its cgroupfs manager."""
    name = "tether-vm-podman-" + uuid.uuid4().hex[:12]
    path = os.path.join(CGROUP, name)
    yield "/" + name
    if not os.path.isdir(path):
        return
    # podman's conmon group, which podman leaves behind; anything else is a container's.
    conmon = os.path.join(path, "conmon")
    if os.path.isdir(conmon):
        os.rmdir(conmon)
    left = [e for e in os.listdir(path) if os.path.isdir(os.path.join(path, e))]
    assert not left, f"cgroups left behind in {path}: {left}"
    os.rmdir(path)


def podman_fixture(tether, manager):
    p = Podman(tether, manager)
    yield p
    p.close()


@pytest.fixture
def podman_cgroupfs(tether):
    yield from podman_fixture(tether, "cgroupfs")


@pytest.fixture
def podman_systemd(tether):
    yield from podman_fixture(tether, "systemd")


def run_memory_container(podman, rootfs, *opts, check=None):
    """`podman run --rm -i --memory 32m --rootfs ROOTFS OPTS` of a container that prints its memory.max
    and waits for a line on stdin; returns what the guest saw meanwhile (the container's id and group, its
    memory.max) and what the container printed. check(cid, group), if given, runs meanwhile too."""
    cidfile = os.path.join(podman.dir, "cid")
    stdio = Stdio()
    p = subprocess.Popen(podman.argv + ["run", "--rm", "-i", "--cidfile", cidfile, "--network", "none",
                                        "--memory", "32m", *opts, "--rootfs", rootfs,
                                        "sh", "-c", "cat /sys/fs/cgroup/memory.max; read x"],
                         env=podman.env, **stdio.popen_kwargs())
    stdio.close_child_ends()
    try:
        try:
            stdio.until(lambda: b"\n" in stdio.out, "the container's memory.max", TIMEOUT)
        except AssertionError:
            stdio.finish()
            raise AssertionError(f"podman exited {p.wait(TIMEOUT)} before the container printed\n{stdio.dump()}")
        with open(cidfile) as f:
            cid = f.read().strip()
        # podman hands the runtime no --root: the container is in tether's default state root.
        r = run([podman.argv[-1], "state", cid])
        assert r.returncode == 0, r.stderr
        pid = json.loads(r.stdout)["pid"]
        with open(f"/proc/{pid}/cgroup") as f:
            group = f.read().strip().split("::", 1)[1]
        with open(os.path.join(CGROUP + group, "memory.max")) as f:
            memory_max = f.read().strip()
        if check:
            check(cid, group)
        stdio.write("done\n")
        out, _ = stdio.finish()
        assert p.wait(TIMEOUT) == 0, f"podman exited {p.returncode}\n{stdio.dump()}"
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(TIMEOUT)
        stdio.close()
    assert not os.path.exists(CGROUP + group), "the container's group outlived `podman run --rm`"
    return cid, group, memory_max, out


def test_podman_cgroupfs_memory_limit(cgroup_parent, podman_cgroupfs, rootfs):
    """podman --runtime tether --cgroup-manager cgroupfs run --memory 32m: tether's v2 driver makes
    PARENT/libpod-ID with memory.max 32 MiB."""
    cid, group, memory_max, out = run_memory_container(podman_cgroupfs, rootfs, "--cgroup-parent", cgroup_parent)
    assert out == f"{LIMIT}\n", out
    assert group == f"{cgroup_parent}/libpod-{cid}", group
    assert memory_max == str(LIMIT)


def test_podman_systemd_memory_limit(tether, podman_systemd, rootfs):
    """podman's default cgroup manager, systemd: podman passes --systemd-cgroup and cgroupsPath
    machine.slice:libpod:ID; tether's systemd driver makes the scope libpod-ID.scope in machine.slice with
    the limit as its MemoryMax property (issue 10; crun 1.8.1 only writes memory.max and leaves the
    property infinity), the container in it; gone after `podman run --rm`. tether hands these commands
    to tether-systemd, installed beside it in the guest (start.sh): `features` must say so."""
    r = run([tether, "features"])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["linux"]["cgroup"]["systemd"] is True
    seen = {}

    def check(cid, group):
        unit = f"libpod-{cid}.scope"
        for prop in ("ActiveState", "MemoryMax", "Slice"):
            seen[prop] = run(["systemctl", "show", "-P", prop, unit]).stdout.strip()
        with open(os.path.join(CGROUP, "machine.slice", unit, "memory.max")) as f:
            seen["scope memory.max"] = f.read().strip()

    cid, group, memory_max, out = run_memory_container(podman_systemd, rootfs, check=check)
    unit = f"libpod-{cid}.scope"
    assert {k: seen[k] for k in ("ActiveState", "MemoryMax", "Slice")} == \
        {"ActiveState": "active", "MemoryMax": str(LIMIT), "Slice": "machine.slice"}, seen
    scope = f"/machine.slice/{unit}"
    # The container in the scope, or in a leaf of it (crun's "container": Delegate=yes lets the runtime
    # make groups below the scope).
    assert group == scope or group.startswith(scope + "/"), group
    assert seen["scope memory.max"] == str(LIMIT), seen
    assert out == f"{LIMIT}\n", out
    r = run(["systemctl", "show", "-P", "LoadState", unit])
    assert r.stdout.strip() == "not-found", f"{unit} outlived the container: {r.stdout}"
