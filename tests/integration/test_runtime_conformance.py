"""Where runc and crun agree and a payload relies on it (issue 8, "conformance gaps against crun and runc"):
each test names what runc or crun does that tether must do too."""

import os

import runtime_helpers
from runtime_helpers import base, rootfs, rt  # noqa: F401 (fixtures)

runtime_helpers.skip_unless_selected()


def run_ok(rt, config, cid="b"):
    r = rt.run_bundle(config, cid=cid)
    assert r.returncode == 0, f"rc {r.returncode}\nstdout: {r.stdout!r}\nstderr: {r.stderr!r}"
    return r.stdout.decode()


# -- 1. lo is up in a new network namespace --------------------------------------------------------------


def link_flags(text):
    """The flags of `ip -o link show lo`: "1: lo: <LOOPBACK,UP,LOWER_UP> mtu ..." -> {"LOOPBACK", ...}."""
    return set(text.split("<", 1)[1].split(">", 1)[0].split(","))


def test_loopback_up_in_new_network_namespace(rt):
    """runc (libcontainer/network_linux.go loopback) and crun (libcrun_configure_network) bring lo up;
    `docker run --network none` gives the container nothing else to talk to itself on."""
    assert "UP" in link_flags(run_ok(rt, rt.config(["ip", "-o", "link", "show", "lo"])))
    assert "UP" in link_flags(rt.run_sh("ip -o link show lo"))
