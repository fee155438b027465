"""contrib/demo.sh, the README's demo (./tether.sh demo): it runs its container to the end, and when the
container cannot start it fails at once with tether's error instead of waiting for the payload forever."""

import os
import shutil
import subprocess

import runtime_helpers
from helpers import TIMEOUT
from runtime_helpers import base, rootfs, rt  # noqa: F401 (fixtures)

runtime_helpers.skip_unless_selected()

DEMO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "contrib", "demo.sh")


def demo_build(rt):
    """A build directory for demo.sh of the test's own: runtime/tether is the binary under test, and the
    demo makes its rootfs in it (or finds the one the test put there)."""
    build = os.path.join(rt.work, "build")
    os.makedirs(os.path.join(build, "runtime"))
    os.symlink(runtime_helpers.TETHER, os.path.join(build, "runtime", "tether"))
    os.makedirs(os.path.join(build, "shim"))
    for name, var in (("tether-shim", "TETHER_SHIM"), ("tether-busd", "TETHER_BUSD"), ("shimctl", "TETHER_SHIMCTL")):
        if os.environ.get(var):
            # copies, not links: shimctl finds tether-shim beside itself
            shutil.copy(os.environ[var], os.path.join(build, "shim", name))
    return build


def run_demo(rt, build):
    """demo.sh BUILD, its mktemp -d in the test's directory, so that a demo killed by the timeout leaves
    nothing elsewhere."""
    return subprocess.run(["bash", DEMO, build], stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT,
                          env=dict(os.environ, TMPDIR=rt.work))


def test_demo_runs(rt):
    r = run_demo(rt, demo_build(rt))
    out = r.stdout.decode()
    assert r.returncode == 0, f"{out}\n{r.stderr.decode()}"
    assert "payload: got SIGUSR1 (forwarded by tether-init)" in out
    assert "tether run exited with the payload's status: 3" in out
    if os.environ.get("TETHER_SHIMCTL"):
        assert "hello from web" in out
        assert '/io/tether/Shim1/web' in out and 's "running"' in out
        assert '"exit_code":7' in out
        assert "shimctl ran and stopped web" in out


def test_demo_fails_fast_when_the_container_cannot_start(rt):
    """A rootfs whose busybox is an empty file has no sh for the payload: tether run exits (127, from
    tether-init) before the payload says it is ready. The demo must say so and exit 1 at once; it used to
    block in open() of its fifo for ever."""
    build = demo_build(rt)
    busybox = os.path.join(build, "demo-rootfs", "bin", "busybox")
    os.makedirs(os.path.dirname(busybox))
    open(busybox, "w").close()
    os.chmod(busybox, 0o755)
    try:
        r = run_demo(rt, build)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"demo.sh still waiting after {TIMEOUT}s for a container that never started")
    err = r.stderr.decode()
    assert r.returncode == 1, err
    assert "tether-init: failed to execute 'sh': No such file or directory" in err, err
    assert "demo: the container did not start: tether run exited with status 127" in err, err
