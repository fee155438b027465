"""`--systemd-cgroup` on this host, which has no systemd and a hybrid cgroup layout: every way it cannot
work is a clear error naming the object, exit 1, and nothing made. The driver at work (scopes, limits as
unit properties, update through the unit, delete stopping it) is tested in the vm suite
(tests/vm/guest/test_tether_systemd.py), where systemd runs.

tether itself is static; the driver is in tether-systemd beside it (runtime/cli-systemd.c), which it runs
for these commands: the tests go through `tether`, as podman does."""

import json
import os
import shutil

import pytest

import runtime_helpers
from runtime_helpers import base, rootfs, rt  # noqa: F401 (fixtures)
from test_runtime_cgroups import group_dir, read

runtime_helpers.skip_unless_selected()


def cgroup_mode():
    with open("/proc/self/mountinfo") as f:
        fstypes = {line.split(" - ")[1].split()[0] for line in f}
    if "cgroup" in fstypes:
        return "hybrid" if "cgroup2" in fstypes else "legacy"
    return "unified"


def systemd_config(rt, path):
    config = rt.config(["true"])
    config["linux"]["cgroupsPath"] = path
    config["linux"]["resources"] = {"memory": {"limit": 32 << 20}}
    return config


@pytest.mark.skipif(cgroup_mode() == "unified", reason="a cgroup v2 host: the driver goes on to the bus")
def test_a_v1_host_is_refused_naming_its_layout(rt):
    r = rt.tether("--systemd-cgroup", "run", "--bundle", rt.bundle(systemd_config(rt, "tether.slice:tt:x")), "x")
    err = r.stderr.decode()
    assert r.returncode == 1, err
    assert "container 'x'" in err and "needs a cgroup v2 (unified) host" in err, err
    assert cgroup_mode() in err, err
    rt.assert_nothing_left()


@pytest.mark.parametrize("path, part", [
    ("/tether/not-a-slice", "slice:prefix:name"),
    ("machine:tt:x", "slice"),
    ("tether.slice:t/t:x", "prefix"),
    ("tether.slice:tt:x.slice", "name"),
    ("a--b.slice:tt:x", "slice"),
])
def test_a_bad_cgroups_path_is_refused_naming_it(rt, path, part):
    r = rt.tether("--cgroup-manager", "systemd", "run", "--bundle", rt.bundle(systemd_config(rt, path)), "bad")
    err = r.stderr.decode()
    assert r.returncode == 1, err
    assert f"invalid linux.cgroupsPath '{path}' for the systemd cgroup driver" in err, err
    assert part in err.split(path, 1)[1], err
    rt.assert_nothing_left()


def test_without_tether_systemd_beside_it_the_error_names_the_missing_binary(rt):
    """A tether installed alone: --systemd-cgroup fails before anything is made, and features says so."""
    alone = os.path.join(rt.work, "alone")
    os.mkdir(alone)
    rt.binary = shutil.copy(runtime_helpers.TETHER, os.path.join(alone, "tether"))
    r = rt.tether("--systemd-cgroup", "run", "--rm", "--rootfs", rt.rootfs, "c", "--", "true")
    err = r.stderr.decode()
    assert r.returncode == 1, err
    assert f"which is in '{alone}/tether-systemd'" in err and "cannot execute it" in err, err
    features = json.loads(rt.tether("features").stdout)
    assert features["linux"]["cgroup"]["systemd"] is False
    rt.assert_nothing_left()


def test_features_says_the_driver_is_beside_tether(rt):
    features = json.loads(rt.tether("features").stdout)
    assert features["linux"]["cgroup"]["systemd"] is True


def test_update_of_a_container_without_a_scope_stays_in_tether(rt):
    """Only a container in a scope is handed over: a cgroupfs one is updated by tether itself, which works
    with tether-systemd gone."""
    c = rt.create("u", rt.bundle(rt.config(["sleep", "60"])))
    alone = os.path.join(rt.work, "alone")
    os.mkdir(alone)
    rt.binary = shutil.copy(runtime_helpers.TETHER, os.path.join(alone, "tether"))
    r = rt.tether("update", "--pids-limit", "77", "u")
    assert r.returncode == 0, r.stderr
    assert read(os.path.join(group_dir(rt, "u", "pids"), "pids.max")).strip() == "77"
    r = rt.tether("delete", "--force", "u")
    assert r.returncode == 0, r.stderr
    assert c.exited()
