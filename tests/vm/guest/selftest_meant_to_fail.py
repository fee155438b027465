"""Meant to fail: run only when the suite's self-test (tests/vm/test_plumbing.py) sets
TETHER_VM_SELFTEST_FAIL=1, which must then see it reported as `not ok` on the host and the run failed.
So the plumbing between guest and meson cannot report a pass for a test that did not pass."""

from guest_helpers import run


def test_meant_to_fail(tether, rootfs):
    r = run([tether, "run", "--rm", "--rootfs", rootfs, "--init", "--", "sh", "-c", "exit 42"])
    assert r.returncode == 0, "deliberately wrong: the container exits 42"
