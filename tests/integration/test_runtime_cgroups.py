"""cgroups through the runtime, on this host's real hierarchies (on a hybrid host through the v1 driver):
the first process in its group with the limits applied before it runs anything, the limits enforced
(memory, pids, cpu, devices), kill --all and ps through the group, the group gone after delete, and bad
input refused with nothing made.

Every container's group lies below a parent of the test's own, tether-test-<random>, relative to this
process's own group in each hierarchy (linux.cgroupsPath "tether-test-<random>/ID"); the fixture removes the
parent once the test's containers are deleted and fails the test if anything is left below it. Only groups
this test made are ever written or removed.
"""

import json
import os
import select
import time
import uuid

import pytest

import runtime_helpers
from runtime_helpers import CAP, DOCKER_CAPS, TIMEOUT, base, rootfs, rt  # noqa: F401 (fixtures)

runtime_helpers.skip_unless_selected()

DOCKER_CAP_NAMES = ["CAP_" + n for n, bit in CAP.items() if DOCKER_CAPS & (1 << bit)]


def cgroup_mounts():
    """{hierarchy: (mount point, root of the mount)}: v1 by controller, "unified" for the cgroup2 mount."""
    found = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            if fields[sep + 1] == "cgroup2":
                found["unified"] = (fields[4], fields[3])
            elif fields[sep + 1] == "cgroup":
                for opt in fields[sep + 3].split(","):
                    if opt in ("cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids",
                               "hugetlb", "net_cls", "net_prio", "rdma", "misc"):
                        found[opt] = (fields[4], fields[3])
    return found


def host_dir(hierarchy, group):
    """The directory of a group (as /proc/PID/cgroup shows it) in a hierarchy."""
    mount, root = cgroup_mounts()[hierarchy]
    below = group[len(root):] if root != "/" else group
    return mount + below


def own_groups():
    own = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for c in controllers.split(",") if controllers else ["unified"]:
                own[c] = path
    return own


class Prefix:
    """tether-test-<random>: the relative cgroup parent of one test's containers."""

    def __init__(self):
        self.name = "tether-test-" + uuid.uuid4().hex[:12]
        own = own_groups()
        self.dirs = []
        for h in cgroup_mounts():
            if h in own:
                self.dirs.append(host_dir(h, os.path.join(own[h], self.name)))
        assert not [d for d in self.dirs if os.path.exists(d)]

    def path(self, cid):
        return f"{self.name}/{cid}"

    def exists(self):
        return [d for d in self.dirs if os.path.exists(d)]

    def close(self):
        left = []
        for d in self.dirs:
            if not os.path.isdir(d):
                continue
            left += [os.path.join(d, e) for e in os.listdir(d) if os.path.isdir(os.path.join(d, e))]
            try:
                os.rmdir(d)
            except OSError:
                pass
        assert not left, f"cgroups left behind: {left}"


@pytest.fixture
def cg():
    """Requested before rt, so torn down after it: the containers are deleted by then."""
    p = Prefix()
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


def state_json(rt, cid):
    with open(os.path.join(rt.root, cid, "state.json")) as f:
        return json.load(f)


def group_dir(rt, cid, hierarchy):
    return host_dir(hierarchy, state_json(rt, cid)["cgroupPaths"][hierarchy])


def read(path):
    with open(path) as f:
        return f.read()


def failed(r):
    assert r.returncode == 1, f"rc {r.returncode}\nstdout: {r.stdout!r}\nstderr: {r.stderr!r}"
    return r.stderr.decode()


# -- the group and the limits --------------------------------------------------------------------------


def test_first_process_is_in_its_group_with_the_limits_before_it_runs(cg, rt):
    """Created (waiting for start): the process is in the group of every hierarchy, the limits are there,
    the state records the group; the container's cgroup namespace shows its own group as /."""
    cid = "grp"
    c = rt.create(cid, rt.bundle(config(rt, cg, cid, ["sh", "-c", "cat /proc/self/cgroup"],
                                        {"memory": {"limit": 64 << 20}, "pids": {"limit": 50}},
                                        namespaces=[{"type": t} for t in ("pid", "mount", "ipc", "uts",
                                                                          "network", "cgroup")])))
    paths = state_json(rt, cid)["cgroupPaths"]
    own = own_groups()
    for h, group in paths.items():
        assert group == os.path.join(own[h], cg.name, cid), (h, group)
        assert str(c.pid) in read(os.path.join(host_dir(h, group), "cgroup.procs")).split(), h
    assert int(read(os.path.join(group_dir(rt, cid, "memory"), "memory.limit_in_bytes"))) == 64 << 20
    assert read(os.path.join(group_dir(rt, cid, "pids"), "pids.max")).strip() == "50"
    c.start()
    out, _ = c.stdio.finish()
    assert all(line.endswith(":/") for line in out.split()), out
    c.wait_exit()
    c.delete()
    assert cg.exists() == [d for d in cg.dirs], "only the parent is left, and empty"


def test_memory_limit_gets_the_container_oom_killed(cg, rt):
    cid = "oom"
    r = rt.run_bundle(config(rt, cg, cid, ["sh", "-c", "tail /dev/zero; echo status $?"],
                             {"memory": {"limit": 32 << 20, "swap": 32 << 20}}), cid=cid)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"status 137\n", r.stdout     # tail was SIGKILLed by the OOM killer


def test_pids_limit_makes_fork_fail(cg, rt):
    cid = "pids"
    r = rt.run_bundle(config(rt, cg, cid, ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1000 & done"],
                             {"pids": {"limit": 5}}), cid=cid)
    assert r.returncode != 0
    assert b"can't fork" in r.stderr, r.stderr


def cpuacct_usage(rt, cid):
    return int(read(os.path.join(group_dir(rt, cid, "cpuacct"), "cpuacct.usage")))


def test_cpu_quota_caps_a_busy_loop(cg, rt):
    """20 ms per 100 ms: over a second of wall time the loop gets about 0.2 s of CPU (generous bounds)."""
    cid = "cpu"
    c = rt.create(cid, rt.bundle(config(rt, cg, cid, ["sh", "-c", "while :; do :; done"],
                                        {"cpu": {"quota": 20000, "period": 100000}})))
    assert read(os.path.join(group_dir(rt, cid, "cpu"), "cpu.cfs_quota_us")).strip() == "20000"
    c.start()
    u0, t0 = cpuacct_usage(rt, cid), time.monotonic()
    select.select([], [], [], 1.0)     # a measurement interval, not a synchronisation
    u1, t1 = cpuacct_usage(rt, cid), time.monotonic()
    share = (u1 - u0) / 1e9 / (t1 - t0)
    assert 0.05 < share < 0.4, share
    c.delete("--force")


# -- the devices cgroup: a security boundary ---------------------------------------------------------------

ATTACK = "mknod /dev/loop0 b 7 0 && head -c 1 /dev/loop0 >/dev/null && echo OPENED; echo done"


def test_devices_deny_all_stops_mknod_and_open_of_a_block_device(cg, rt):
    """A container with CAP_MKNOD (docker's default set) under docker's deny-all rule makes the node of
    /dev/loop0 and must not open it. Without a cgroup (--cgroup-manager disabled, as tether was before) the
    same attack opens the host's loop device."""
    if not os.path.exists("/dev/loop0"):
        pytest.skip("no /dev/loop0 on this host")
    deny = {"devices": [{"allow": False, "access": "rwm"}]}
    r = rt.run_bundle(config(rt, cg, "dev", ["sh", "-c", ATTACK], deny), cid="dev")
    assert r.returncode == 0, r.stderr
    assert b"OPENED" not in r.stdout, r.stdout
    assert b"Operation not permitted" in r.stderr, r.stderr
    rules = {"devices": [{"allow": False, "access": "rwm"},
                         {"allow": True, "type": "b", "major": 7, "minor": 0, "access": "rwm"}]}
    r = rt.run_bundle(config(rt, cg, "dev2", ["sh", "-c", ATTACK], rules), cid="dev2")
    assert b"OPENED" in r.stdout, r.stderr      # the allow rule is what opens it


def test_without_cgroups_the_attack_opens_the_device(cg, rt):
    if not os.path.exists("/dev/loop0"):
        pytest.skip("no /dev/loop0 on this host")
    c = config(rt, cg, "nodev", ["sh", "-c", ATTACK], {"devices": [{"allow": False, "access": "rwm"}]})
    del c["linux"]["cgroupsPath"]
    r = rt.tether("--cgroup-manager", "disabled", "run", "--bundle", rt.bundle(c), "nodev")
    rt._track("nodev")
    assert b"OPENED" in r.stdout, r.stderr


def test_cgroup_fds_never_reach_the_container(cg, rt):
    cid = "fds"
    r = rt.run_bundle(config(rt, cg, cid, ["ls", "/proc/self/fd"], {"memory": {"limit": 64 << 20}}), cid=cid)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [b"0", b"1", b"2", b"3"], r.stdout     # 3: ls's own directory


# -- kill --all, ps, delete ------------------------------------------------------------------------------


def test_kill_all_and_ps_reach_exec_processes_through_the_group(cg, rt):
    """Without a PID namespace of its own an exec'd process is no descendant of the container's: only the
    group finds it. ps lists it, kill --all kills it, and delete leaves no group."""
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
    assert len(pids) == 3 and c.pid in pids, pids
    pidfds = [os.pidfd_open(p) for p in pids]
    r = rt.tether("kill", "--all", cid, "KILL")
    assert r.returncode == 0, r.stderr
    for fd in pidfds:
        assert runtime_helpers.pidfd_exited(fd, TIMEOUT)
        os.close(fd)
    assert read(os.path.join(group_dir(rt, cid, "unified"), "cgroup.procs")) == ""
    c.delete()
    assert not [d for d in cg.dirs if os.path.exists(os.path.join(d, cid))]


def test_delete_force_removes_the_group_of_a_running_container(cg, rt):
    cid = "del"
    c = rt.create(cid, rt.bundle(config(rt, cg, cid, ["sleep", "1000"], {"pids": {"limit": 10}})))
    c.start()
    dirs = [host_dir(h, g) for h, g in state_json(rt, cid)["cgroupPaths"].items()]
    assert all(os.path.isdir(d) for d in dirs)
    c.delete("--force")
    assert not [d for d in dirs if os.path.exists(d)]


# -- bad input: refused, nothing made --------------------------------------------------------------------


@pytest.mark.parametrize("resources,cgroups_path,message", [
    ({"unified": {"a/b": "1"}}, None, "unified: key 'a/b' must be a file name, without '/' or '..'"),
    ({"unified": {"..": "1"}}, None, "unified: key '..' must be a file name"),
    ({"unified": {"memory.max": "1"}}, None, "unified: key 'memory.max' needs the cgroup v2 driver"),
    ({"memory": {"limit": -5}}, None, "linux.resources.memory.limit: expected an integer in -1.."),
    ({"pids": {"limit": "lots"}}, None, "linux.resources.pids.limit: expected an integer"),
    ({"blockIO": {"weight": 5}}, None, "blockIO.weight"),
    ({}, "a/../../b", "invalid linux.cgroupsPath 'a/../../b'"),
], ids=["unified-slash", "unified-dotdot", "unified-on-v1", "negative", "garbled", "weight", "dotdot-path"])
def test_bad_input_is_refused_and_nothing_is_made(cg, rt, resources, cgroups_path, message):
    conf = config(rt, cg, "bad", ["true"], resources)
    if cgroups_path is not None:
        conf["linux"]["cgroupsPath"] = cgroups_path
    err = failed(rt.run_bundle(conf, cid="bad"))
    assert message in err, err
    assert cg.exists() == [], "no group, not even the parent"
    rt.assert_nothing_left()


# -- pause, resume, update, events ---------------------------------------------------------------------


def echo_container(rt, cg, cid, resources=None, pid_ns=True):
    """A started container that answers each line on its stdin with "got LINE"."""
    conf = config(rt, cg, cid, ["sh", "-c", "while read x; do echo got $x; done"], resources)
    if not pid_ns:    # sh is no PID 1, which ignores SIGTERM
        conf["linux"]["namespaces"] = [{"type": t} for t in ("mount", "ipc", "uts", "network")]
    c = rt.create(cid, rt.bundle(conf))
    c.start()
    c.stdio.write("a\n")
    c.stdio.wait_line("got a")
    return c


def test_pause_and_resume_are_seen_from_inside(cg, rt):
    cid = "pause"
    c = echo_container(rt, cg, cid)
    r = rt.tether("pause", cid)
    assert r.returncode == 0, r.stderr
    assert c.status() == "paused"
    assert read(os.path.join(group_dir(rt, cid, "freezer"), "freezer.state")).strip() == "FROZEN"
    c.stdio.write("b\n")
    deadline = time.monotonic() + 0.5      # bounds the check that nothing happens while frozen
    while time.monotonic() < deadline:
        c.stdio.pump(deadline - time.monotonic())
    assert b"got b" not in c.stdio.out, c.stdio.dump()
    assert failed(rt.tether("pause", cid)).startswith(f"tether: container '{cid}' is not running or created")
    r = rt.tether("resume", cid)
    assert r.returncode == 0, r.stderr
    c.stdio.wait_line("got b")
    assert c.status() == "running"
    assert "is not paused (running)" in failed(rt.tether("resume", cid))
    c.delete("--force")


def freezer_hierarchy():
    """The hierarchy tether freezes in: the v1 freezer's where the host has one, else the cgroup2 mount."""
    return "freezer" if "freezer" in cgroup_mounts() else "unified"


def freeze_by_hand(directory, frozen):
    """Freezes or thaws a group by writing its file, as a manager above tether would; returns once the
    kernel says it is done (bounded: the loop only ends a failure)."""
    v1 = freezer_hierarchy() == "freezer"
    want = ("FROZEN" if frozen else "THAWED") if v1 else f"frozen {int(frozen)}"
    with open(os.path.join(directory, "freezer.state" if v1 else "cgroup.freeze"), "w") as f:
        f.write(("FROZEN" if frozen else "THAWED") if v1 else str(int(frozen)))
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        text = read(os.path.join(directory, "freezer.state" if v1 else "cgroup.events"))
        if want in text.split("\n"):
            return
        select.select([], [], [], 0.001)
    raise AssertionError(f"{directory} never got '{want}'")


def listed_status(rt, cid):
    r = rt.tether("list", "--format", "json")
    assert r.returncode == 0, r.stderr
    return {e["id"]: e["status"] for e in json.loads(r.stdout)}[cid]


def test_paused_is_what_the_group_says(cg, rt):
    """Frozen or thawed behind tether's back, by writing the group's own file: state and list follow the
    kernel, not what tether remembers; pause and resume go on from there."""
    cid = "frozenby"
    c = echo_container(rt, cg, cid)
    group = group_dir(rt, cid, freezer_hierarchy())
    freeze_by_hand(group, True)
    try:
        assert (c.status(), listed_status(rt, cid)) == ("paused", "paused")
        err = rt.tether("exec", cid, "true")
        assert err.returncode == 255, err
        assert b"cannot exec in a paused container (use --ignore-paused to override)" in err.stderr, err
        assert "is not running or created (paused)" in failed(rt.tether("pause", cid))
        assert rt.tether("resume", cid).returncode == 0
        assert c.status() == "running"
        c.stdio.write("b\n")
        c.stdio.wait_line("got b")
        # the converse: paused by tether, thawed by someone else
        assert rt.tether("pause", cid).returncode == 0
        assert c.status() == "paused"
    finally:
        freeze_by_hand(group, False)    # never leave a frozen group behind a failure
    assert (c.status(), listed_status(rt, cid)) == ("running", "running")
    assert "is not paused (running)" in failed(rt.tether("resume", cid))
    c.stdio.write("c\n")
    c.stdio.wait_line("got c")
    c.delete("--force")


def test_frozen_by_a_group_above_is_paused(cg, rt):
    """A manager freezes the parent of the container's group: the container is paused (the effective
    state), and a resume that cannot thaw it says so (v1: the thaw of the group leaves it frozen)."""
    cid = "frozenabove"
    c = echo_container(rt, cg, cid)
    h = freezer_hierarchy()
    parent = host_dir(h, os.path.join(own_groups()[h], cg.name))
    freeze_by_hand(parent, True)
    try:
        assert c.status() == "paused"
        if h == "freezer":
            err = failed(rt.tether("resume", cid))
            assert f"container '{cid}': its cgroup is still frozen: a group above it is frozen" in err, err
            assert c.status() == "paused"
    finally:
        freeze_by_hand(parent, False)
    assert c.status() == "running"
    c.stdio.write("b\n")
    c.stdio.wait_line("got b")
    c.delete("--force")


def test_kill_all_and_delete_a_paused_container(cg, rt):
    cid = "pkill"
    c = echo_container(rt, cg, cid, pid_ns=False)
    assert rt.tether("pause", cid).returncode == 0
    r = rt.tether("kill", "--all", cid, "TERM")    # queued while frozen
    assert r.returncode == 0, r.stderr
    assert not c.exited()
    assert rt.tether("resume", cid).returncode == 0
    c.wait_exit()
    c.delete()


def test_delete_refuses_a_paused_container_but_with_force(cg, rt):
    """As runc: a paused container still has its processes; --force kills them, frozen as they are."""
    cid = "pdel"
    c = echo_container(rt, cg, cid)
    assert rt.tether("pause", cid).returncode == 0
    assert f"container '{cid}' is paused: stop it first, or use --force" in failed(rt.tether("delete", cid))
    assert c.status() == "paused"
    c.delete("--force")
    c.wait_exit()
    assert not [d for d in cg.dirs if os.path.exists(os.path.join(d, cid))]


def test_update_is_read_back_from_the_host(cg, rt):
    cid = "upd"
    c = rt.create(cid, rt.bundle(config(rt, cg, cid, ["sleep", "1000"], {"memory": {"limit": 64 << 20}})))
    c.start()
    r = rt.tether("update", "--memory", "128m", "--memory-reservation", "32M", "--pids-limit", "20",
                  "--cpu-quota", "30000", "--cpu-period", "100000", "--cpu-share", "512", "--cpuset-cpus", "0",
                  cid)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b""
    mem, cpu = group_dir(rt, cid, "memory"), group_dir(rt, cid, "cpu")
    assert int(read(os.path.join(mem, "memory.limit_in_bytes"))) == 128 << 20
    assert int(read(os.path.join(mem, "memory.soft_limit_in_bytes"))) == 32 << 20
    assert read(os.path.join(group_dir(rt, cid, "pids"), "pids.max")).strip() == "20"
    assert read(os.path.join(cpu, "cpu.cfs_quota_us")).strip() == "30000"
    assert read(os.path.join(cpu, "cpu.shares")).strip() == "512"
    assert read(os.path.join(group_dir(rt, cid, "cpuset"), "cpuset.cpus")).strip() == "0"
    # -r -: a resources object on stdin; the flags would be ignored.
    p = runtime_helpers.subprocess.run(rt.argv("update", "-r", "-", cid), capture_output=True, timeout=TIMEOUT,
                                       input=json.dumps({"memory": {"limit": 96 << 20}, "pids": {"limit": 9}}).encode())
    assert p.returncode == 0, p.stderr
    assert int(read(os.path.join(mem, "memory.limit_in_bytes"))) == 96 << 20
    assert read(os.path.join(group_dir(rt, cid, "pids"), "pids.max")).strip() == "9"
    c.delete("--force")


def unlimited(text):
    """-1 for "max" (v2) or v1's page-rounded LONG_MAX, else the number."""
    text = text.strip()
    return -1 if text == "max" or int(text) >= 1 << 62 else int(text)


def cpu_limits(rt, cid):
    """(quota, period) as the host has them: v1's two files, or v2's one cpu.max."""
    if "cpu" in cgroup_mounts():
        d = group_dir(rt, cid, "cpu")
        quota, period = read(os.path.join(d, "cpu.cfs_quota_us")), read(os.path.join(d, "cpu.cfs_period_us"))
        return unlimited(quota), int(period)
    quota, period = read(os.path.join(group_dir(rt, cid, "unified"), "cpu.max")).split()
    return unlimited(quota), int(period)


def memory_limits(rt, cid):
    """(memory, memory+swap) as the host has them: v1's limit and memsw, v2's memory.max plus swap.max."""
    if "memory" in cgroup_mounts():
        d = group_dir(rt, cid, "memory")
        return (unlimited(read(os.path.join(d, "memory.limit_in_bytes"))),
                unlimited(read(os.path.join(d, "memory.memsw.limit_in_bytes"))))
    d = group_dir(rt, cid, "unified")
    mem = unlimited(read(os.path.join(d, "memory.max")))
    swap = unlimited(read(os.path.join(d, "memory.swap.max")))
    return mem, -1 if -1 in (mem, swap) else mem + swap


def update(rt, cid, *args, stdin=None):
    p = runtime_helpers.subprocess.run(rt.argv("update", *args, cid), capture_output=True, timeout=TIMEOUT,
                                       input=stdin)
    assert p.returncode == 0, p.stderr
    assert p.stdout == b""


def test_update_keeps_what_it_is_not_told(cg, rt):
    """Each update builds on the ones before and on the config, as runc merges an update into its saved
    config: a CPU quota alone keeps the period (v2 has both in cpu.max), a period alone the quota, a memory
    limit alone the memory+swap limit; what was set is kept in the state."""
    cid = "updkeep"
    if "memory" in cgroup_mounts() and not os.path.exists(
            host_dir("memory", os.path.join(own_groups()["memory"], "memory.memsw.limit_in_bytes"))):
        pytest.skip("no swap accounting (memory.memsw) on this host")
    c = rt.create(cid, rt.bundle(config(rt, cg, cid, ["sleep", "1000"],
                                        {"memory": {"limit": 64 << 20, "swap": 96 << 20}})))
    c.start()
    update(rt, cid, "--cpu-period", "50000")
    assert cpu_limits(rt, cid) == (-1, 50000)
    update(rt, cid, "--cpu-quota", "20000")
    assert cpu_limits(rt, cid) == (20000, 50000)
    update(rt, cid, "--cpu-period", "80000")
    assert cpu_limits(rt, cid) == (20000, 80000)
    kept = state_json(rt, cid)["resources"]
    assert kept == {"cpu": {"quota": 20000, "period": 80000}, "memory": {"limit": 64 << 20, "swap": 96 << 20}}
    update(rt, cid, "--memory", "80m")
    assert memory_limits(rt, cid) == (80 << 20, 96 << 20)
    assert state_json(rt, cid)["resources"]["memory"] == {"limit": 80 << 20, "swap": 96 << 20}
    # -r builds on the same
    update(rt, cid, "-r", "-", stdin=json.dumps({"cpu": {"quota": 30000}, "pids": {"limit": 40}}).encode())
    assert cpu_limits(rt, cid) == (30000, 80000)
    assert state_json(rt, cid)["resources"]["cpu"] == {"quota": 30000, "period": 80000}
    assert state_json(rt, cid)["resources"]["pids"] == {"limit": 40}
    # unlimited memory makes the swap unlimited too, as runc's update does
    update(rt, cid, "--memory", "-1")
    assert memory_limits(rt, cid) == (-1, -1)
    assert state_json(rt, cid)["resources"]["memory"] == {"limit": -1, "swap": -1}
    # a refused update changes neither the group nor what is kept
    assert "cpu.cpus" in failed(rt.tether("update", "--cpuset-cpus", "0-", cid))
    assert state_json(rt, cid)["resources"]["cpu"] == {"quota": 30000, "period": 80000}
    c.delete("--force")


@pytest.mark.parametrize("args,code,message", [
    (["--memory", "lots"], 2, "invalid value 'lots' for '--memory'"),
    (["--pids-limit", "-5"], 2, "invalid value '-5' for '--pids-limit'"),
    (["--cpu-share", "x1"], 2, "invalid value 'x1' for '--cpu-share'"),
    (["--cpuset-cpus", "0-"], 1, "cpu.cpus"),
    (["--memory", "1m"], 1, "is below the current usage"),
], ids=["garbled-size", "negative", "garbled-number", "cpus", "below-usage"])
def test_bad_update_is_refused_and_changes_nothing(cg, rt, args, code, message):
    """A container holding 20 MB; every bad update leaves its limits as they were."""
    cid = "badupd"
    script = "a=$(head -c 20000000 /dev/zero | tr '\\0' a); echo ready; read x"
    c = rt.create(cid, rt.bundle(config(rt, cg, cid, ["sh", "-c", script],
                                        {"memory": {"limit": 256 << 20}, "pids": {"limit": 30}})))
    c.start()
    c.stdio.wait_line("ready")
    mem = group_dir(rt, cid, "memory")
    before = {f: read(os.path.join(mem, f)) for f in ("memory.limit_in_bytes", "memory.soft_limit_in_bytes")}
    r = rt.tether("update", *args, cid)
    assert r.returncode == code, r.stderr
    assert message in r.stderr.decode(), r.stderr
    assert {f: read(os.path.join(mem, f)) for f in before} == before
    assert read(os.path.join(group_dir(rt, cid, "pids"), "pids.max")).strip() == "30"
    c.delete("--force")


def test_bad_update_file_names_the_field(cg, rt):
    cid = "badfile"
    c = rt.create(cid, rt.bundle(config(rt, cg, cid, ["sleep", "1000"], {"pids": {"limit": 30}})))
    path = os.path.join(rt.work, "res.json")
    with open(path, "w") as f:
        json.dump({"pids": {"limit": "many"}}, f)
    err = failed(rt.tether("update", "-r", path, cid))
    assert "pids.limit: expected an integer" in err, err
    assert read(os.path.join(group_dir(rt, cid, "pids"), "pids.max")).strip() == "30"
    c.delete("--force")


def test_events_stats_match_what_the_container_did(cg, rt):
    cid = "stats"
    script = "a=$(head -c 20000000 /dev/zero | tr '\\0' a); sleep 1000 & sleep 1001 & echo ready; read x"
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
    assert d["memory"]["usage"]["limit"] == 256 << 20
    assert d["memory"]["usage"]["usage"] >= 20000000, d["memory"]
    assert d["memory"]["usage"]["max"] >= d["memory"]["usage"]["usage"]
    assert d["cpu"]["usage"]["total"] > 0
    c.delete("--force")


def stats_of(rt, cid):
    r = rt.tether("events", "--stats", cid)
    assert r.returncode == 0, r.stderr
    e = json.loads(r.stdout)
    assert (e["type"], e["id"]) == ("stats", cid)
    return e["data"]


NET_SETUP = ("brctl addbr br0 && echo 1 >/proc/sys/net/ipv6/conf/br0/disable_ipv6 && "
             "ip addr add 10.77.0.1/24 dev br0 && ip link set br0 up && arp -s 10.77.0.2 02:00:00:00:00:02")


def test_events_stats_count_the_network_traffic_of_the_container(cg, rt):
    """The container makes an interface in its network namespace (a bridge, with a static neighbour so
    that nothing waits for ARP) and pings through it: events --stats reports the interface with runc's
    field names, lo left out, and its transmit counters grow by the pings (5 of 1000 bytes of data, each
    1042 bytes on the wire with the ICMP, IP and Ethernet headers; IGMP may add a report or two)."""
    cid = "net"
    script = f"{NET_SETUP} && echo ready; read x; ping -c 5 -i 0.01 -s 1000 -W 1 -q 10.77.0.2; echo pinged; read y"
    conf = config(rt, cg, cid, ["sh", "-c", script])
    conf["mounts"].append({"destination": "/sys", "type": "sysfs", "source": "sysfs",    # for brctl
                           "options": ["nosuid", "noexec", "nodev", "ro"]})
    for k in ("bounding", "effective", "permitted"):
        conf["process"]["capabilities"][k] = DOCKER_CAP_NAMES + ["CAP_NET_ADMIN"]
    c = rt.create(cid, rt.bundle(conf))
    c.start()
    c.stdio.wait_line("ready")
    before = stats_of(rt, cid)["network_interfaces"]
    assert [i["Name"] for i in before] == ["br0"], before
    assert set(before[0]) == {"Name", "RxBytes", "RxPackets", "RxErrors", "RxDropped", "TxBytes", "TxPackets",
                              "TxErrors", "TxDropped"}
    c.stdio.write("go\n")
    c.stdio.wait_line("pinged")
    after = stats_of(rt, cid)["network_interfaces"]
    assert [i["Name"] for i in after] == ["br0"], after
    sent, packets = after[0]["TxBytes"] - before[0]["TxBytes"], after[0]["TxPackets"] - before[0]["TxPackets"]
    assert 5 <= packets <= 8 and 5 * 1042 <= sent <= 5 * 1042 + 300, (before, after)
    assert after[0]["RxBytes"] == before[0]["RxBytes"] == 0, (before, after)    # a bridge without ports
    c.delete("--force")


def test_events_stats_no_network_counters_of_the_host(cg, rt):
    """A container in the host's network namespace has no counters of its own: the host's are not its."""
    cid = "hostnet"
    conf = config(rt, cg, cid, ["sh", "-c", "echo ready; read x"])
    conf["linux"]["namespaces"] = [{"type": t} for t in ("pid", "mount", "ipc", "uts")]
    c = rt.create(cid, rt.bundle(conf))
    c.start()
    c.stdio.wait_line("ready")
    assert stats_of(rt, cid)["network_interfaces"] is None
    c.delete("--force")


def wait_fd_kind(pid, kinds, timeout=TIMEOUT):
    """Waits until process pid has an fd of one of kinds open (events' OOM watch): the one poll of this file,
    as runtime_helpers.wait_signalfd, bounded."""
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


def test_events_reports_the_oom_kill(cg, rt):
    cid = "oomev"
    script = "read x; tail /dev/zero; echo status $?; read y"
    c = rt.create(cid, rt.bundle(config(rt, cg, cid, ["sh", "-c", script],
                                        {"memory": {"limit": 32 << 20, "swap": 32 << 20}})))
    c.start()
    p, ev = rt.spawn("events", "--interval", "60s", cid)
    wait_fd_kind(p.pid, ("anon_inode:[eventfd]", "anon_inode:inotify"))
    c.stdio.write("go\n")
    c.stdio.wait_line("status 137")
    assert p.poll() is None, ev.dump()
    ev.wait_line(json.dumps({"type": "oom", "id": cid}, separators=(",", ":")))
    c.delete("--force")
    assert p.wait(TIMEOUT) == 0       # events ends with the container


@pytest.mark.parametrize("verb", ["pause", "resume", "update", "events"])
def test_new_verbs_have_help(rt, verb):
    r = rt.tether(verb, "--help")
    assert r.returncode == 0
    assert r.stdout.decode().startswith(f"Usage: tether {verb} ")


def test_events_bad_interval(rt):
    r = rt.tether("events", "--interval", "0s", "x")
    assert r.returncode == 2
    assert b"invalid --interval '0s'" in r.stderr


# -- the friendly flags and features ---------------------------------------------------------------------


def test_run_friendly_flags_apply_the_limits(cg, rt):
    """run --rootfs with --memory, --cpus, --pids-limit and --cgroup-parent: the group is PARENT/ID, its
    limits read back from the host while the container runs."""
    cid = "friendly"
    p, stdio = rt.spawn("run", "--rootfs", rt.rootfs, "--memory", "48m", "--cpus", "0.5", "--pids-limit", "12",
                        "--cgroup-parent", cg.name, cid, "--", *rt.sh("echo ready; read x"))
    rt._track(cid)
    stdio.wait_line("ready")
    paths = state_json(rt, cid)["cgroupPaths"]
    assert paths["pids"] == os.path.join(own_groups()["pids"], cg.name, cid), paths
    assert int(read(os.path.join(group_dir(rt, cid, "memory"), "memory.limit_in_bytes"))) == 48 << 20
    assert read(os.path.join(group_dir(rt, cid, "cpu"), "cpu.cfs_quota_us")).strip() == "50000"
    assert read(os.path.join(group_dir(rt, cid, "cpu"), "cpu.cfs_period_us")).strip() == "100000"
    assert read(os.path.join(group_dir(rt, cid, "pids"), "pids.max")).strip() == "12"
    stdio.write("go\n")
    assert p.wait(TIMEOUT) == 0
    assert not [d for d in cg.dirs if os.path.exists(os.path.join(d, cid))]


def test_spec_friendly_flags(rt):
    bundle = os.path.join(rt.work, "specb")
    os.mkdir(bundle)
    r = rt.tether("spec", "--bundle", bundle, "--memory", "1g", "--cpus", "1.5", "--pids-limit", "7",
                  "--cgroup-parent", "/machine/web")
    assert r.returncode == 0, r.stderr
    with open(os.path.join(bundle, "config.json")) as f:
        linux = json.load(f)["linux"]
    assert linux["resources"] == {"memory": {"limit": 1 << 30}, "cpu": {"quota": 150000, "period": 100000},
                                  "pids": {"limit": 7}}
    assert linux["cgroupsPath"] == "/machine/web/"


@pytest.mark.parametrize("flag,value", [("--memory", "lots"), ("--memory", "-1"), ("--cpus", "0"),
                                        ("--cpus", "1.5x"), ("--pids-limit", "-3"), ("--cgroup-parent", "")])
def test_bad_friendly_flags(rt, flag, value):
    r = rt.run(flag, value, cmd=["true"], cid="badflag")
    assert r.returncode == 2, r.stderr
    assert f"invalid value '{value}' for '{flag}'".encode() in r.stderr, r.stderr
    rt.assert_nothing_left()


def test_features_lists_the_hosts_cgroups(rt):
    r = rt.tether("features")
    assert r.returncode == 0, r.stderr
    f = json.loads(r.stdout)
    assert f["linux"]["cgroup"]["v1"] and f["linux"]["cgroup"]["v2"]
    assert f["linux"]["cgroup"]["systemd"]  # tether-systemd is beside it (test_runtime_systemd_cgroup.py)
    mounts = cgroup_mounts()
    a = f["annotations"]
    assert a["io.tether.cgroup.mode"] == ("hybrid" if "unified" in mounts and "memory" in mounts else
                                          "unified" if "unified" in mounts else "legacy")
    if a["io.tether.cgroup.mode"] != "unified":
        assert set(a["io.tether.cgroup.controllers"].split(",")) == set(mounts) - {"unified"}


def test_a_limit_the_host_cannot_honour_names_controller_and_hierarchy(cg, rt):
    """hugetlb has no v1 hierarchy on this hybrid host (only the cgroup2 mount, which carries no limits in
    the v1 driver): the limit is refused, naming both, and nothing is made."""
    mounts = cgroup_mounts()
    if "hugetlb" in mounts or "memory" not in mounts:
        pytest.skip("needs a host with v1 hierarchies but none of hugetlb")
    conf = config(rt, cg, "huge", ["true"], {"hugepageLimits": [{"pageSize": "2MB", "limit": 4 << 20}]})
    err = failed(rt.run_bundle(conf, cid="huge"))
    assert "hugetlb controller: no cgroup v1 hierarchy of it is mounted" in err, err
    assert "cgroups" in err and ("hybrid" in err or "legacy" in err), err
    assert cg.exists() == []
    rt.assert_nothing_left()
