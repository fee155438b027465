"""pytest setup inside the vm guest (tests/vm/runner.py runs it as root from its read-only share, once
the guest reached multi-user.target): the TAP reporter of tests/pytest_tap.py, the freshly built tether,
and a busybox container rootfs in the guest's /tmp."""

import os
import shutil
import tempfile

import pytest

from guest_helpers import TIMEOUT, run
from pytest_tap import pytest_addoption, pytest_configure  # noqa: F401  (hooks, found by name)

# The host tests' runtime harness (tests/integration/runtime_helpers.py, brought into the share by the
# runner) reads these when it is imported: the freshly built binaries, and failure bounds scaled to TCG.
os.environ.setdefault("TETHER", "/usr/local/bin/tether")
os.environ.setdefault("TETHER_INIT", "/usr/local/bin/tether-init")
os.environ.setdefault("TETHER_TEST_TIMEOUT", str(TIMEOUT))


def make_rootfs(path):
    """contrib/make-rootfs.sh's busybox-static rootfs, made in-process: the script's ~400 `ln` processes
    take 12 s under TCG, this takes a fraction of one."""
    for d in ("bin", "dev", "etc", "proc", "sys", "tmp", "root", "var/tmp"):
        os.makedirs(os.path.join(path, d))
    for d in ("tmp", "var/tmp"):
        os.chmod(os.path.join(path, d), 0o1777)
    busybox = os.path.join(path, "bin", "busybox")
    shutil.copy("/bin/busybox", busybox)
    for applet in run([busybox, "--list"], check=True).stdout.split():
        link = os.path.join(path, "bin", applet)
        if not os.path.lexists(link):
            os.symlink("busybox", link)
    files = {
        "etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
        "etc/group": "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n",
        "etc/hostname": "tether\n",
    }
    for name, text in files.items():
        with open(os.path.join(path, name), "w") as f:
            f.write(text)


@pytest.fixture(scope="session")
def rootfs():
    # In the guest's /tmp, not on the runner's 9p share, which refuses the fifos and sockets a container
    # makes.
    top = tempfile.mkdtemp(prefix="tether-vm-rootfs-", dir="/tmp")
    path = os.path.join(top, "rootfs")
    make_rootfs(path)
    yield path
    shutil.rmtree(top)


@pytest.fixture
def tether():
    path = shutil.which("tether")
    assert path == "/usr/local/bin/tether", "start.sh installs the freshly built tether"
    return path
