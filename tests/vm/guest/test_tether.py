"""The freshly built tether and tether-init against a real systemd host: a busybox container with
tether-init as its PID 1, in namespaces of its own."""

import os

from guest_helpers import run

NAMESPACES = ("pid", "mnt", "uts", "ipc", "net", "cgroup")


def test_run_passes_the_exit_status_through_init(tether, rootfs):
    r = run([tether, "run", "--rm", "--rootfs", rootfs, "--init", "--", "sh", "-c", "exit 42"])
    assert r.returncode == 42, r.stderr


def test_init_is_pid1_in_namespaces_of_its_own(tether, rootfs):
    script = "cat /proc/1/comm; for ns in " + " ".join(NAMESPACES) + "; do readlink /proc/self/ns/$ns; done"
    r = run([tether, "run", "--rm", "--rootfs", rootfs, "--init", "--", "sh", "-c", script])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split()
    assert lines[0] == "tether-init"
    guest = [os.readlink(f"/proc/self/ns/{ns}") for ns in NAMESPACES]
    for ns, inside, outside in zip(NAMESPACES, lines[1:], guest):
        assert inside.startswith(f"{ns}:[") and inside != outside, f"{ns}: {inside} == {outside}"
