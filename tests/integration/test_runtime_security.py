"""The confinement of the friendly mode's docker-like default config, read from /proc/self/status inside:
docker's capabilities and --cap-add/--cap-drop, no_new_privs, seccomp (the default allow-list denies with
EPERM, unconfined has none, a profile file is loaded as given)."""

import json
import os

import pytest

import runtime_helpers
from runtime_helpers import CAP, DOCKER_CAPS, base, parse_status, rootfs, rt  # noqa: F401 (fixtures)

runtime_helpers.skip_unless_selected()

STATUS = "grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' /proc/self/status"


def status(rt, *opts):
    return parse_status(rt.run_sh(STATUS, *opts))


def caps(st, field):
    return int(st[field], 16)


def bit(name):
    return 1 << CAP[name]


def test_default_capabilities_are_dockers(rt):
    st = status(rt)
    assert caps(st, "CapEff") == DOCKER_CAPS, st
    assert caps(st, "CapPrm") == DOCKER_CAPS, st
    assert caps(st, "CapBnd") == DOCKER_CAPS, st
    assert caps(st, "CapAmb") == 0
    assert caps(st, "CapInh") == 0


@pytest.mark.parametrize("opts,expected", [
    (["--cap-drop", "NET_RAW"], DOCKER_CAPS & ~bit("NET_RAW")),
    (["--cap-drop", "CAP_CHOWN", "--cap-drop", "kill"], DOCKER_CAPS & ~bit("CHOWN") & ~bit("KILL")),
    (["--cap-add", "SYS_ADMIN"], DOCKER_CAPS | bit("SYS_ADMIN")),
    (["--cap-add", "cap_sys_ptrace"], DOCKER_CAPS | bit("SYS_PTRACE")),
    (["--cap-drop", "ALL"], 0),
    (["--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE"], bit("NET_BIND_SERVICE")),
    (["--cap-add", "NET_BIND_SERVICE", "--cap-drop", "all"], bit("NET_BIND_SERVICE")),
    (["--cap-add", "SYS_ADMIN", "--cap-drop", "SYS_ADMIN"], DOCKER_CAPS | bit("SYS_ADMIN")),
    (["--cap-drop", "KILL", "--cap-add", "KILL"], DOCKER_CAPS),
], ids=["drop", "drop-two", "add", "add-lowercase", "drop-all", "drop-all-add", "add-drop-all", "add-and-drop",
        "drop-and-add"])
def test_cap_add_drop(rt, opts, expected):
    """docker's rules (moby/moby:oci/caps/utils.go TweakCapabilities), whatever the order of the flags:
    --cap-drop ALL keeps only the added ones, else the added ones win over the dropped ones."""
    st = status(rt, *opts)
    for field in ("CapEff", "CapPrm", "CapBnd"):
        assert caps(st, field) == expected, f"{field}: {st[field]} != {expected:016x}"


def test_dropped_capability_is_enforced(rt):
    """Without CAP_CHOWN root may not give a file away; with it (the default) it may."""
    script = "touch /tmp/f && chown 1:1 /tmp/f && echo chowned"
    assert rt.run_sh(script, "--tmpfs", "/tmp", cid="with").strip() == "chowned"
    r = rt.run("--tmpfs", "/tmp", "--cap-drop", "CHOWN", cmd=rt.sh(script), cid="without")
    assert r.returncode != 0
    assert b"Operation not permitted" in r.stderr, r.stderr


def test_no_new_privs(rt):
    assert status(rt)["NoNewPrivs"] == "1"


@pytest.mark.parametrize("opts,mode", [([], "2"), (["--seccomp", "default"], "2"), (["--seccomp", "unconfined"], "0")],
                         ids=["implicit", "default", "unconfined"])
def test_seccomp_mode(rt, opts, mode):
    assert status(rt, *opts)["Seccomp"] == mode


def test_seccomp_default_denies_with_eperm(rt):
    """unshare(CLONE_NEWUSER) needs no capability, so only the filter stops it: EPERM, as docker's."""
    r = rt.run(cmd=rt.sh("unshare -U true"), cid="denied")
    assert r.returncode != 0
    assert b"Operation not permitted" in r.stderr, r.stderr
    r = rt.run("--seccomp", "unconfined", cmd=rt.sh("unshare -U true && echo allowed"), cid="allowed")
    assert (r.returncode, r.stdout) == (0, b"allowed\n"), r.stderr


def test_seccomp_default_denies_mount(rt):
    r = rt.run(cmd=rt.sh("mount -t tmpfs none /mnt"))
    assert r.returncode != 0
    assert b"permission denied" in r.stderr.lower(), r.stderr


def test_seccomp_profile_file(rt):
    """A profile of our own: everything allowed but mkdir/mkdirat, which fail with EACCES."""
    profile = {"defaultAction": "SCMP_ACT_ALLOW",
               "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
    path = os.path.join(rt.work, "profile.json")
    with open(path, "w") as f:
        json.dump(profile, f)
    r = rt.run("--seccomp", path, "--tmpfs", "/tmp", cmd=rt.sh(STATUS + "; mkdir /tmp/d; echo rc=$?"))
    assert r.returncode == 0, r.stderr
    assert parse_status(r.stdout.decode())["Seccomp"] == "2"
    assert r.stdout.decode().splitlines()[-1] == "rc=1"
    assert b"Permission denied" in r.stderr, r.stderr
    assert rt.run_sh("mkdir /tmp/d && echo made", "--tmpfs", "/tmp", cid="control").strip() == "made"
