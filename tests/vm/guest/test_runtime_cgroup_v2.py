"""The runtime's cgroups on the v2 driver, on the guest's pure cgroup v2 under systemd: the ideas of
tests/integration/test_runtime_cgroups.py (which sees the v1 driver on the hybrid build host) with the v2
files as the truth: the first process in its group with the limits, a memory limit that OOM-kills and the
`oom` event of `tether events`, a pids limit that makes fork fail, a cpu quota that caps a busy loop,
pause/resume seen from inside, kill --all, update read back, events --stats, the group gone after delete,
and the eBPF device filter against a container with CAP_MKNOD.

The containers run through the host tests' own harness (tests/integration/runtime_helpers.py, which the
runner brings into the share): every test has its own state root, its containers' own pipes, and a
teardown that deletes them and fails if anything is left.

Every container's group lies below a dedicated parent of the test, /tether-vm-<random> at the root of the
guest's hierarchy (an absolute linux.cgroupsPath), not below the test's own group: pytest runs in
tether-vm.service, which holds processes, so cgroup v2's "no internal processes" rule keeps controllers out
of its cgroup.subtree_control, and tether enables controllers only below such a base; the root's has them
(systemd's Default*Accounting in the image). The fixture removes the parent and fails the test if any
group is left below it.
"""

import json
import os
import select
import time
import uuid

import pytest

import runtime_helpers
from runtime_helpers import CAP, DOCKER_CAPS, TIMEOUT, base, rootfs, rt  # noqa: F401 (fixtures)

CGROUP = "/sys/fs/cgroup"
DOCKER_CAP_NAMES = ["CAP_" + n for n, bit in CAP.items() if DOCKER_CAPS & (1 << bit)]


class Parent:
    """/tether-vm-<random>: the cgroup parent of one test's containers (cgroupsPath /NAME/ID)."""

    def __init__(self):
        self.name = "tether-vm-" + uuid.uuid4().hex[:12]
        self.dir = os.path.join(CGROUP, self.name)
        assert not os.path.exists(self.dir)

    def path(self, cid):
        return f"/{self.name}/{cid}"

    def group(self, cid):
        return os.path.join(self.dir, cid)

    def close(self):
        if not os.path.isdir(self.dir):
            return
        left = [e for e in os.listdir(self.dir) if os.path.isdir(os.path.join(self.dir, e))]
        try:
            os.rmdir(self.dir)
        except OSError:
            pass
        assert not left, f"cgroups left behind in {self.dir}: {left}"


@pytest.fixture
def cg():
    """Requested before rt, so torn down after it: the containers are deleted by then."""
    p = Parent()
    yield p
    p.close()


def config(rt, cg, cid, args, resources=None, **linux):
    c = rt.config(args)
    c["process"]["capabilities"] = {k: DOCKER_CAP_NAMES for k in ("bounding", "effective", "permitted")}
    c["linux"]["cgroupsPath"] = cg.path(cid)
    if resources is not None:
        c["linux"]["resources"] = resources
    c["linux"].update(linux)
    return c


def read(path):
    with open(path) as f:
        return f.read()


def cgfile(cg, cid, name):
    return read(os.path.join(cg.group(cid), name)).strip()


def flat_keyed(cg, cid, name):
    """A flat keyed file (cpu.stat, memory.events, cgroup.events) as {key: int}."""
    return {k: int(v) for k, v in (line.split() for line in cgfile(cg, cid, name).splitlines())}


def state_json(rt, cid):
    with open(os.path.join(rt.root, cid, "state.json")) as f:
        return json.load(f)


def test_tether_is_the_fresh_build(tether):
    assert runtime_helpers.TETHER == tether


# -- the group and the limits --------------------------------------------------------------------------


def test_first_process_is_in_its_group_with_the_limits_before_it_runs(cg, rt):
    """Created (waiting for start): the process is in the group, the v2 files hold the limits, the state
    records the group; the container's cgroup namespace shows it as /. After delete only the (empty)
    parent is left."""
    cid = "grp"
    c = rt.create(cid, rt.bundle(config(rt, cg, cid, ["cat", "/proc/self/cgroup"],
                                        {"memory": {"limit": 64 << 20, "reservation": 16 << 20},
                                         "pids": {"limit": 50}, "cpu": {"quota": 20000, "period": 100000}},
                                        namespaces=[{"type": t} for t in ("pid", "mount", "ipc", "uts",
                                                                          "network", "cgroup")])))
    assert state_json(rt, cid)["cgroupPaths"] == {"unified": cg.path(cid)}
    assert str(c.pid) in cgfile(cg, cid, "cgroup.procs").split()
    assert read(f"/proc/{c.pid}/cgroup") == f"0::{cg.path(cid)}\n"
    assert cgfile(cg, cid, "memory.max") == str(64 << 20)
    assert cgfile(cg, cid, "memory.low") == str(16 << 20)
    assert cgfile(cg, cid, "pids.max") == "50"
    assert cgfile(cg, cid, "cpu.max") == "20000 100000"
    assert {"memory", "pids", "cpu"} <= set(read(os.path.join(cg.dir, "cgroup.subtree_control")).split())
    c.start()
    out, _ = c.stdio.finish()
    assert out == "0::/\n", out
    c.wait_exit()
    c.delete()
    assert not os.path.exists(cg.group(cid)), "delete removes the group"
    assert not [e for e in os.listdir(cg.dir) if os.path.isdir(os.path.join(cg.dir, e))], "only the parent is left"


def wait_fd_kind(pid, kinds, timeout=TIMEOUT):
    """Waits until process pid has an fd of one of kinds open (events' OOM watch): nothing reports that
    state, so this polls /proc every few ms, bounded (as runtime_helpers.wait_signalfd)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            links = []
        if any(k in links for k in kinds):
            return
        select.select([], [], [], 0.005)
    raise AssertionError(f"process {pid} never opened {kinds}")


def test_memory_limit_oom_kills_and_events_reports_it(cg, rt):
    """32 MiB and no swap: tail of /dev/zero (one endless line) is OOM-killed; memory.events counts it and
    `tether events`, watching memory.events through inotify, prints runc's oom event."""
    cid = "oom"
    c = rt.create(cid, rt.bundle(config(rt, cg, cid, ["sh", "-c", "read x; tail /dev/zero; echo status $?; read y"],
                                        {"memory": {"limit": 32 << 20, "swap": 32 << 20}})))
    assert cgfile(cg, cid, "memory.max") == str(32 << 20)
    assert cgfile(cg, cid, "memory.swap.max") == "0"
    c.start()
    p, ev = rt.spawn("events", "--interval", "60s", cid)
    wait_fd_kind(p.pid, ("anon_inode:inotify",))
    c.stdio.write("go\n")
    c.stdio.wait_line("status 137")       # tail was SIGKILLed
    assert flat_keyed(cg, cid, "memory.events")["oom_kill"] >= 1
    assert p.poll() is None, ev.dump()
    ev.wait_line(json.dumps({"type": "oom", "id": cid}, separators=(",", ":")))
    c.delete("--force")
    assert p.wait(TIMEOUT) == 0, ev.dump()     # events ends with the container
    assert not os.path.exists(cg.group(cid))


def test_pids_limit_makes_fork_fail(cg, rt):
    cid = "pids"
    r = rt.run_bundle(config(rt, cg, cid, ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1000 & done"],
                             {"pids": {"limit": 5}}), cid=cid)
    assert r.returncode != 0
    assert b"can't fork" in r.stderr, r.stderr
    assert not os.path.exists(cg.group(cid))


def test_cpu_quota_caps_a_busy_loop(cg, rt):
    """20 ms per 100 ms: over a second of the guest's time a busy loop gets about 0.2 s of CPU, and the group
    is throttled. Unlimited it would take a whole CPU (1.0). Bounds are generous: TCG's vCPUs share the
    host with other work."""
    cid = "cpu"
    c = rt.create(cid, rt.bundle(config(rt, cg, cid, ["sh", "-c", "while :; do :; done"],
                                        {"cpu": {"quota": 20000, "period": 100000}})))
    assert cgfile(cg, cid, "cpu.max") == "20000 100000"
    c.start()
    s0, t0 = flat_keyed(cg, cid, "cpu.stat"), time.monotonic()
    select.select([], [], [], 1.0)     # a measurement interval, not a synchronisation
    s1, t1 = flat_keyed(cg, cid, "cpu.stat"), time.monotonic()
    share = (s1["usage_usec"] - s0["usage_usec"]) / 1e6 / (t1 - t0)
    assert 0.02 < share < 0.45, (share, s0, s1)
    assert s1["nr_throttled"] > s0["nr_throttled"], (s0, s1)
    c.delete("--force")
    assert not os.path.exists(cg.group(cid))


# -- the eBPF device filter: a security boundary ---------------------------------------------------------


def guest_disk():
    """major:minor of a block device of the guest (its root disk): what a container must not open."""
    for name in sorted(os.listdir("/sys/class/block")):
        if not os.path.exists(f"/sys/class/block/{name}/partition"):
            return name, read(f"/sys/class/block/{name}/dev").strip()
    raise AssertionError("the guest has no block device")


def attack(major_minor):
    major, minor = major_minor.split(":")
    return (f"mknod /dev/n2 c 1 3 && echo x >/dev/n2 && echo NULL OK; "
            f"mknod /dev/disk b {major} {minor} && echo MADE; "
            f"head -c 1 /dev/disk >/dev/null && echo OPENED; echo done")


def test_device_filter_stops_a_block_device_and_allows_null(cg, rt):
    """A container with CAP_MKNOD (docker's default set) under tether's default rules (runc's, over a
    deny-all) makes a node of the guest's root disk (mknod of any node is allowed, as runc allows it) and
    must not open it: the kernel's BPF_CGROUP_DEVICE program refuses with EPERM. /dev/null, allowed,
    works. With an allow rule for the disk the same script opens it: the refusal is the filter's."""
    name, dev = guest_disk()
    r = rt.run_bundle(config(rt, cg, "dev", ["sh", "-c", attack(dev)]), cid="dev")
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode().splitlines()
    assert out == ["NULL OK", "MADE", "done"], (name, dev, r.stdout, r.stderr)
    assert b"/dev/disk: Operation not permitted" in r.stderr, r.stderr
    major, minor = (int(n) for n in dev.split(":"))
    rules = {"devices": [{"allow": True, "type": "b", "major": major, "minor": minor, "access": "r"}]}
    r = rt.run_bundle(config(rt, cg, "dev2", ["sh", "-c", attack(dev)], rules), cid="dev2")
    assert r.stdout.decode().splitlines() == ["NULL OK", "MADE", "OPENED", "done"], (r.stdout, r.stderr)


# -- kill --all, pause/resume ------------------------------------------------------------------------------


def test_kill_all_reaches_exec_processes_through_the_group(cg, rt):
    """Without a PID namespace of its own an exec'd process is no descendant of the container's: only the
    group finds it. ps lists it, kill --all kills it, delete removes the group."""
    cid = "all"
    conf = config(rt, cg, cid, ["sh", "-c", "sleep 1000 & echo ready; wait"])
    conf["linux"]["namespaces"] = [{"type": t} for t in ("mount", "ipc", "uts", "network")]
    c = rt.create(cid, rt.bundle(conf))
    c.start()
    c.stdio.wait_line("ready")
    p, _ = rt.spawn("exec", "--detach", cid, "sleep", "1002")     # its own pipes: the sleep keeps them
    assert p.wait(TIMEOUT) == 0
    r = rt.tether("ps", "--format", "json", cid)
    assert r.returncode == 0, r.stderr
    pids = json.loads(r.stdout)
    assert sorted(pids) == sorted(int(x) for x in cgfile(cg, cid, "cgroup.procs").split())
    assert len(pids) == 3 and c.pid in pids, pids
    pidfds = [os.pidfd_open(p) for p in pids]
    r = rt.tether("kill", "--all", cid, "KILL")
    assert r.returncode == 0, r.stderr
    for fd in pidfds:
        assert runtime_helpers.pidfd_exited(fd, TIMEOUT)
        os.close(fd)
    assert cgfile(cg, cid, "cgroup.procs") == ""
    assert flat_keyed(cg, cid, "cgroup.events")["populated"] == 0
    c.delete()
    assert not os.path.exists(cg.group(cid))


COUNTER = "i=0; while :; do i=$((i+1)); [ $((i % 100)) -eq 0 ] && echo $i; done"


def counter(stdio):
    lines = bytes(stdio.out).split(b"\n")[:-1]
    return int(lines[-1]) if lines else 0


def drain(stdio):
    while select.select([stdio.out_r], [], [], 0)[0] and stdio.pump(0):
        pass


def test_pause_stops_a_counter_and_resume_restarts_it(cg, rt):
    """A container counting to its stdout, which the test keeps reading: paused, the state says so, the
    group is frozen and the count stands still for a second; resumed, it goes on from where it stood."""
    cid = "pause"
    c = rt.create(cid, rt.bundle(config(rt, cg, cid, ["sh", "-c", COUNTER])))
    c.start()
    c.stdio.until(lambda: counter(c.stdio) >= 200, "the counter to run")
    r = rt.tether("pause", cid)
    assert r.returncode == 0, r.stderr
    assert c.status() == "paused"
    assert cgfile(cg, cid, "cgroup.freeze") == "1"
    assert flat_keyed(cg, cid, "cgroup.events")["frozen"] == 1
    drain(c.stdio)      # what it wrote before it froze
    frozen_at = counter(c.stdio)
    deadline = time.monotonic() + 1.0      # bounds the check that nothing happens while frozen
    while time.monotonic() < deadline:
        c.stdio.pump(deadline - time.monotonic())
    assert counter(c.stdio) == frozen_at, c.stdio.dump()[-200:]
    r = rt.tether("resume", cid)
    assert r.returncode == 0, r.stderr
    assert c.status() == "running"
    assert flat_keyed(cg, cid, "cgroup.events")["frozen"] == 0
    c.stdio.until(lambda: counter(c.stdio) >= frozen_at + 200, "the counter to go on")
    c.delete("--force")
    assert not os.path.exists(cg.group(cid))


# -- update, events --stats ------------------------------------------------------------------------------


def test_update_is_read_back_from_the_v2_files(cg, rt):
    cid = "upd"
    c = rt.create(cid, rt.bundle(config(rt, cg, cid, ["sleep", "1000"], {"memory": {"limit": 64 << 20}})))
    c.start()
    r = rt.tether("update", "--memory", "128m", "--memory-reservation", "32M", "--pids-limit", "20",
                  "--cpu-quota", "30000", "--cpu-period", "100000", "--cpu-share", "512", "--cpuset-cpus", "0",
                  cid)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b""
    assert cgfile(cg, cid, "memory.max") == str(128 << 20)
    assert cgfile(cg, cid, "memory.low") == str(32 << 20)
    assert cgfile(cg, cid, "pids.max") == "20"
    assert cgfile(cg, cid, "cpu.max") == "30000 100000"
    # shares 512: runc's and crun's conversion, 10^((l*l + 125*l)/612 - 7/34) with l = log2(512), rounded up
    assert cgfile(cg, cid, "cpu.weight") == "59"
    assert cgfile(cg, cid, "cpuset.cpus") == "0"
    # -r -: a resources object on stdin.
    p = runtime_helpers.subprocess.run(rt.argv("update", "-r", "-", cid), capture_output=True, timeout=TIMEOUT,
                                       input=json.dumps({"memory": {"limit": 96 << 20}, "pids": {"limit": 9},
                                                         "cpu": {"quota": -1}}).encode())
    assert p.returncode == 0, p.stderr
    assert cgfile(cg, cid, "memory.max") == str(96 << 20)
    assert cgfile(cg, cid, "pids.max") == "9"
    assert cgfile(cg, cid, "cpu.max") == "max 100000"
    # Below what the container holds (sleep's pages, its kernel memory): refused, nothing changed.
    r = rt.tether("update", "--memory", "4k", cid)
    assert r.returncode == 1 and b"is below the current usage" in r.stderr, r.stderr
    assert cgfile(cg, cid, "memory.max") == str(96 << 20)
    c.delete("--force")
    assert not os.path.exists(cg.group(cid))


def test_events_stats_match_what_the_container_did(cg, rt):
    """A container that holds 10 MB in a shell variable and runs two sleeps: events --stats says 3 pids of
    30, at least 10 MB used of 256 MiB, a peak no lower, some CPU time, and agrees with the v2 files."""
    cid = "stats"
    script = "a=$(head -c 10000000 /dev/zero | tr '\\0' a); sleep 1000 & sleep 1001 & echo ready; read x"
    c = rt.create(cid, rt.bundle(config(rt, cg, cid, ["sh", "-c", script],
                                        {"memory": {"limit": 256 << 20}, "pids": {"limit": 30}})))
    c.start()
    c.stdio.wait_line("ready")
    r = rt.tether("events", "--stats", cid)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert len(lines) == 1, lines
    e = json.loads(lines[0])
    assert (e["type"], e["id"]) == ("stats", cid)
    d = e["data"]
    assert d["pids"] == {"current": 3, "limit": 30}, d["pids"]
    assert int(cgfile(cg, cid, "pids.current")) == 3
    mem = d["memory"]["usage"]
    assert mem["limit"] == 256 << 20
    assert mem["usage"] >= 10000000, d["memory"]
    assert mem["max"] >= mem["usage"]
    current = int(cgfile(cg, cid, "memory.current"))
    assert abs(mem["usage"] - current) < 4 << 20, (mem, current)
    assert 0 < d["cpu"]["usage"]["total"] <= flat_keyed(cg, cid, "cpu.stat")["usage_usec"] * 1000
    c.delete("--force")
    assert not os.path.exists(cg.group(cid))
