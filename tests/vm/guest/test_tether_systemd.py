"""`tether --systemd-cgroup`: the container's group is a transient scope that systemd makes around its first
process (StartTransientUnit), with the limits as the unit's properties; update goes through the unit
(SetUnitProperties), so that systemd keeps it over a daemon-reload; delete stops the unit. tether hands
these commands to tether-systemd, the build with libsystemd (runtime/cli-systemd.c): these tests run the
static `tether`, as podman would."""

import json
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

from guest_helpers import run

SLICE = "tether.slice"  # made by systemd on first use, as machine.slice is for podman


@pytest.fixture
def state_root():
    path = tempfile.mkdtemp(prefix="tether-vm-state-", dir="/run")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def container(tether, rootfs, state_root):
    """A created container id and its scope, in SLICE, with a memory, pids and cpu limit; always removed."""
    cid = f"tvm-{uuid.uuid4().hex[:10]}"
    bundle = tempfile.mkdtemp(prefix="tether-vm-bundle-", dir="/tmp")
    r = run([tether, "spec", "--bundle", bundle, "--rootfs", rootfs, "--memory", "48m", "--pids-limit", "64",
             "--cpus", "0.5", "--", "sleep", "600"])
    assert r.returncode == 0, r.stderr
    with open(os.path.join(bundle, "config.json")) as f:
        config = json.load(f)
    config["linux"]["cgroupsPath"] = f"{SLICE}:tvm:{cid}"
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(config, f)
    scope = f"tvm-{cid}.scope"
    try:
        yield cid, scope, bundle
    finally:
        run([tether, "--root", state_root, "delete", "--force", cid])
        run(["systemctl", "stop", scope])
        run(["systemctl", "reset-failed", scope])
        shutil.rmtree(bundle)


def tether_cmd(tether, state_root, *args, **kw):
    kw.setdefault("stdin", subprocess.DEVNULL)
    return run([tether, "--root", state_root, "--systemd-cgroup", *args], **kw)


def create(tether, state_root, bundle, cid):
    """`create`, whose stdio the container keeps: no pipes that would never see their end."""
    with tempfile.TemporaryFile(mode="w+") as err:
        r = tether_cmd(tether, state_root, "create", "--bundle", bundle, cid, capture_output=False,
                       stdout=subprocess.DEVNULL, stderr=err)
        err.seek(0)
        assert r.returncode == 0, err.read()


def show(unit, *props):
    r = run(["systemctl", "show", unit] + [f"--property={p}" for p in props])
    assert r.returncode == 0, r.stderr
    return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)


def read(path):
    with open(path) as f:
        return f.read().strip()


def test_create_makes_a_scope_with_the_limits_and_delete_stops_it(tether, state_root, container):
    cid, scope, bundle = container
    create(tether, state_root, bundle, cid)
    props = show(scope, "ActiveState", "ControlGroup", "MemoryMax", "TasksMax", "CPUQuotaPerSecUSec", "Slice",
                 "Delegate")
    assert props["ActiveState"] == "active"
    assert props["Slice"] == SLICE
    assert props["ControlGroup"] == f"/{SLICE}/{scope}"
    assert props["MemoryMax"] == str(48 << 20)
    assert props["TasksMax"] == "64"
    assert props["CPUQuotaPerSecUSec"] == "500ms"
    assert props["Delegate"] == "yes"
    group = "/sys/fs/cgroup" + props["ControlGroup"]
    assert read(f"{group}/memory.max") == str(48 << 20)
    assert read(f"{group}/pids.max") == "64"
    pid = json.loads(tether_cmd(tether, state_root, "state", cid).stdout)["pid"]
    # the first process is in the scope before it runs anything of the payload
    assert read(f"/proc/{pid}/cgroup") == f"0::/{SLICE}/{scope}"
    assert str(pid) in read(f"{group}/cgroup.procs").split()

    r = tether_cmd(tether, state_root, "start", cid)
    assert r.returncode == 0, r.stderr
    # pause and resume work on the scope's group as on any v2 group
    assert tether_cmd(tether, state_root, "pause", cid).returncode == 0
    assert read(f"{group}/cgroup.freeze") == "1"
    assert json.loads(tether_cmd(tether, state_root, "state", cid).stdout)["status"] == "paused"
    assert tether_cmd(tether, state_root, "resume", cid).returncode == 0
    assert read(f"{group}/cgroup.freeze") == "0"

    r = tether_cmd(tether, state_root, "delete", "--force", cid)
    assert r.returncode == 0, r.stderr
    assert show(scope, "LoadState")["LoadState"] == "not-found"
    assert not os.path.exists(group)
    assert not os.path.exists(os.path.join(state_root, cid))


def test_update_goes_through_the_unit_and_survives_a_daemon_reload(tether, state_root, container):
    cid, scope, bundle = container
    create(tether, state_root, bundle, cid)
    group = "/sys/fs/cgroup" + show(scope, "ControlGroup")["ControlGroup"]
    # the control: systemd rewrites a unit's cgroup attributes from its properties on a reload, so a
    # limit written only to the files is undone
    with open(f"{group}/memory.max", "w") as f:
        f.write(str(80 << 20))
    assert run(["systemctl", "daemon-reload"]).returncode == 0
    assert read(f"{group}/memory.max") == str(48 << 20)
    # no --systemd-cgroup on update: the state says the group is a scope
    r = run([tether, "--root", state_root, "update", "--memory", "64m", "--pids-limit", "99", cid])
    assert r.returncode == 0, r.stderr
    props = show(scope, "MemoryMax", "TasksMax")
    assert props["MemoryMax"] == str(64 << 20)
    assert props["TasksMax"] == "99"
    r = run(["systemctl", "daemon-reload"])
    assert r.returncode == 0, r.stderr
    assert read(f"{group}/memory.max") == str(64 << 20)
    assert read(f"{group}/pids.max") == "99"


def test_run_in_a_slice_from_cgroup_parent(tether, state_root, rootfs):
    cid = f"tvm-{uuid.uuid4().hex[:10]}"
    r = tether_cmd(tether, state_root, "run", "--rm", "--rootfs", rootfs, "--cgroup-parent", SLICE,
                   "--memory", "32m", cid, "--", "sh", "-c", "cat /sys/fs/cgroup/memory.max; exit 7")
    assert r.returncode == 7, r.stderr
    assert r.stdout.strip() == str(32 << 20)
    assert show(f"tether-{cid}.scope", "LoadState")["LoadState"] == "not-found"
    assert not os.path.exists(os.path.join(state_root, cid))


def test_no_systemd_on_the_bus_is_a_clear_error_and_leaves_nothing(tether, state_root, rootfs):
    cid = f"tvm-{uuid.uuid4().hex[:10]}"
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=/run/tether-vm-no-bus")
    r = tether_cmd(tether, state_root, "run", "--rm", "--rootfs", rootfs, cid, "--", "true", env=env)
    assert r.returncode == 1
    assert f"container '{cid}'" in r.stderr and "system bus" in r.stderr, r.stderr
    assert not os.path.exists(os.path.join(state_root, cid))
    assert show(f"tether-{cid}.scope", "LoadState")["LoadState"] == "not-found"


def test_a_cgroups_path_without_a_slice_is_refused(tether, state_root, rootfs):
    bundle = tempfile.mkdtemp(prefix="tether-vm-bundle-", dir="/tmp")
    try:
        run([tether, "spec", "--bundle", bundle, "--rootfs", rootfs, "--", "true"], check=True)
        with open(os.path.join(bundle, "config.json")) as f:
            config = json.load(f)
        config["linux"]["cgroupsPath"] = "/tether/not-a-slice"
        with open(os.path.join(bundle, "config.json"), "w") as f:
            json.dump(config, f)
        r = tether_cmd(tether, state_root, "run", "--bundle", bundle, "tvm-bad")
        assert r.returncode == 1
        assert "invalid linux.cgroupsPath '/tether/not-a-slice'" in r.stderr, r.stderr
        assert not os.path.exists(os.path.join(state_root, "tvm-bad"))
    finally:
        shutil.rmtree(bundle)


def test_features_says_the_systemd_driver_is_there(tether):
    r = run([tether, "features"])
    assert json.loads(r.stdout)["linux"]["cgroup"]["systemd"] is True


def test_cgroupfs_in_a_busy_group_names_the_ways_out(tether, state_root, rootfs):
    """Without --systemd-cgroup the default group is below the caller's own, here this test's service, which
    has processes, so cgroup v2 keeps its controllers from its children; tether changes no group it did not
    make: the error says what works, and nothing is made."""
    own = read("/proc/self/cgroup").split("::", 1)[1]
    if "memory" in read(f"/sys/fs/cgroup{own}/cgroup.subtree_control").split():
        pytest.skip(f"the memory controller is enabled below {own}")
    cid = f"tvm-{uuid.uuid4().hex[:10]}"
    r = run([tether, "--root", state_root, "run", "--rm", "--rootfs", rootfs, "--memory", "32m", cid, "--",
             "true"], stdin=subprocess.DEVNULL)
    assert r.returncode == 1
    assert "memory controller: not enabled in" in r.stderr, r.stderr
    assert "give an absolute linux.cgroupsPath" in r.stderr and "--systemd-cgroup" in r.stderr, r.stderr
    assert not os.path.exists(f"/sys/fs/cgroup{own}/tether/{cid}")
    assert not os.path.exists(os.path.join(state_root, cid))
