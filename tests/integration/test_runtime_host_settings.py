"""Settings of config.json that would change the host's, not the container's: a hostname or domainname
without a UTS namespace of the container's own, a sysctl outside its namespace (linux.sysctl). Each is an
attack: tether must refuse it before it creates anything (no state, no process), naming what it refuses.

On a tether that lacked the check the attack would land in the namespace tether runs in, so tether runs
here in private namespaces of the test's own (unshare(1) around it): the damage, if any, stays there, and
the test reads it back from there."""

import shlex
import subprocess

import pytest

import runtime_helpers
from helpers import TIMEOUT
from runtime_helpers import base, rootfs, rt  # noqa: F401 (fixtures)

runtime_helpers.skip_unless_selected()

PRIVATE_HOSTNAME = "tether-private-uts"


def without(config, *types):
    """config with no linux.namespaces entry of these types."""
    config["linux"]["namespaces"] = [n for n in config["linux"]["namespaces"] if n["type"] not in types]
    return config


def run_unshared(rt, unshare_flags, config, before="", after="", cid="attack"):
    """`tether run --bundle B ID` of config inside `unshare FLAGS`: the shell runs before, then tether
    (its stderr is ours), then after, whose output (stdout) the test reads. Returns (tether's exit code,
    what after printed, tether's stderr)."""
    bundle = rt.bundle(config)
    rt._track(cid)
    tether = " ".join(shlex.quote(a) for a in rt.argv("run", "--bundle", bundle, cid))
    script = f"{before}\n{tether} >/dev/null </dev/null\nrc=$?\n{after}\nexit $rc"
    r = subprocess.run(["unshare", *unshare_flags, "sh", "-c", script], capture_output=True, timeout=TIMEOUT)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


# -- hostname and domainname -------------------------------------------------------------------------------


def test_hostname_without_uts_namespace(rt):
    """runc's wording (opencontainers/runc:libcontainer/configs/validate/validator.go uts())."""
    config = without(rt.config(["true"], hostname="tether-attacked"), "uts")
    rc, after, err = run_unshared(rt, ["--uts"], config, before=f"hostname {PRIVATE_HOSTNAME}", after="hostname")
    assert rc == 1, f"exit code {rc}; stderr: {err!r}"
    assert "unable to set hostname without a private UTS namespace" in err, err
    assert after.strip() == PRIVATE_HOSTNAME, "the hostname of tether's own UTS namespace changed"
    rt.assert_nothing_left()


def test_domainname_without_uts_namespace(rt):
    config = without(rt.config(["true"], domainname="attacked.example"), "uts")
    rc, after, err = run_unshared(rt, ["--uts"], config, before="domainname tether.private",
                                  after="cat /proc/sys/kernel/domainname")
    assert rc == 1, f"exit code {rc}; stderr: {err!r}"
    assert "unable to set domainname without a private UTS namespace" in err, err
    assert after.strip() == "tether.private", "the domainname of tether's own UTS namespace changed"
    rt.assert_nothing_left()


def test_hostname_with_joined_own_uts_namespace(rt):
    """Joining the UTS namespace tether runs in by path is no private one either: the same damage."""
    config = rt.config(["true"], hostname="tether-attacked")
    for n in config["linux"]["namespaces"]:
        if n["type"] == "uts":
            n["path"] = "/proc/self/ns/uts"
    rc, after, err = run_unshared(rt, ["--uts"], config, before=f"hostname {PRIVATE_HOSTNAME}", after="hostname")
    assert rc == 1, f"exit code {rc}; stderr: {err!r}"
    assert "unable to set hostname without a private UTS namespace" in err, err
    assert after.strip() == PRIVATE_HOSTNAME, "the hostname of tether's own UTS namespace changed"
    rt.assert_nothing_left()


def test_hostname_in_joined_uts_namespace(rt):
    """A UTS namespace other than tether's, joined by path, is the container's to name, as runc allows."""
    holder = subprocess.Popen(["unshare", "--uts", "sh", "-c", "hostname before; echo ready; read x"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline() == b"ready\n"
        config = rt.config(["hostname"], hostname="joined")
        config["linux"]["namespaces"] = [{"type": "uts", "path": f"/proc/{holder.pid}/ns/uts"}
                                         if n["type"] == "uts" else n for n in config["linux"]["namespaces"]]
        r = rt.run_bundle(config)
        assert r.returncode == 0, r.stderr
        assert r.stdout == b"joined\n"
        seen = subprocess.run(["nsenter", "-u", "-t", str(holder.pid), "hostname"], capture_output=True,
                              check=True, timeout=TIMEOUT)
        assert seen.stdout == b"joined\n"
    finally:
        holder.stdin.close()
        holder.wait(TIMEOUT)
        holder.stdout.close()


# -- linux.sysctl ------------------------------------------------------------------------------------------
# opencontainers/runc:libcontainer/configs/validate/validator.go sysctl(): IPC keys need an ipc namespace,
# net.* a network namespace that is not the runtime's, kernel.domainname a uts one; all else is the host's.


def sysctl_path(key):
    return "/proc/sys/" + key.replace(".", "/")


def refused_sysctl(err, key):
    assert f"sysctl '{key}'" in err, err


def test_sysctl_not_namespaced(rt):
    """fs.lease-break-time is the host's whatever the namespaces: refused. The test asks for the value the
    host has now, so that a tether that wrongly wrote it changed nothing."""
    with open(sysctl_path("fs.lease-break-time")) as f:
        current = f.read().strip()
    config = rt.config(["true"])   # every namespace a sysctl could be in
    config["linux"]["sysctl"] = {"fs.lease-break-time": current}
    r = rt.run_bundle(config)
    err = r.stderr.decode()
    assert r.returncode == 1, f"exit code {r.returncode}; stderr: {err!r}"
    refused_sysctl(err, "fs.lease-break-time")
    assert "is not in a separate kernel namespace" in err, err
    rt.assert_nothing_left()


@pytest.mark.parametrize("key,unshare_flag,dropped,ns_path,private,attack", [
    ("net.ipv4.ip_forward", "--net", "network", None, "0", "1"),
    ("net.ipv4.ip_forward", "--net", "network", "/proc/self/ns/net", "0", "1"),
    ("kernel.msgmax", "--ipc", "ipc", None, "8000", "12345"),
    ("fs.mqueue.msg_max", "--ipc", "ipc", None, "11", "12"),
    ("kernel.shm_rmid_forced", "--ipc", "ipc", "/proc/self/ns/ipc", "0", "1"),
    ("kernel.hostname", "--uts", "uts", None, "tether-private-uts", "tether-attacked"),
    ("kernel.domainname", "--uts", "uts", None, "tether.private", "attacked.example"),
], ids=["net", "net-joined-own", "ipc-msgmax", "ipc-mqueue", "ipc-joined-own", "uts-hostname", "uts-domainname"])
def test_sysctl_outside_its_namespace(rt, key, unshare_flag, dropped, ns_path, private, attack):
    """The key's namespace missing from linux.namespaces, or joined by a path that names tether's own: the
    test's private namespace around tether, where the value must stay as the test set it."""
    config = rt.config(["true"])
    namespaces = [n for n in config["linux"]["namespaces"] if n["type"] != dropped]
    if ns_path:
        namespaces.append({"type": dropped, "path": ns_path})
    config["linux"] = {"namespaces": namespaces, "sysctl": {key: attack}}
    path = sysctl_path(key)
    rc, after, err = run_unshared(rt, [unshare_flag], config, before=f"echo {private} > {path}", after=f"cat {path}")
    assert rc == 1, f"exit code {rc}; stderr: {err!r}"
    refused_sysctl(err, key)
    assert after.strip() == private, f"{key} of tether's own namespace changed"
    rt.assert_nothing_left()


@pytest.mark.parametrize("key,value", [
    ("net.ipv4.ip_forward", "1"),
    ("kernel.msgmax", "12345"),
    ("fs.mqueue.msg_max", "12"),
    ("kernel.domainname", "sysctl.example"),
], ids=["net", "ipc", "mqueue", "uts"])
def test_sysctl_in_its_namespace(rt, key, value):
    """With their namespaces (rt.config has network, ipc and uts) the keys are the container's to set."""
    config = rt.config(["cat", sysctl_path(key)])
    config["linux"]["sysctl"] = {key: value}
    with open(sysctl_path(key)) as f:
        before = f.read()
    r = rt.run_bundle(config)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().strip() == value
    with open(sysctl_path(key)) as f:
        assert f.read() == before
    rt.assert_nothing_left()
