"""Settings of config.json that would change the host's, not the container's: a hostname or domainname
without a UTS namespace of the container's own. Each is an attack: tether must refuse it before it creates
anything (no state, no process), naming what it refuses.

On a tether that lacked the check the attack would land in the namespace tether runs in, so tether runs
here in private namespaces of the test's own (unshare(1) around it): the damage, if any, stays there, and
the test reads it back from there."""

import shlex
import subprocess

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
