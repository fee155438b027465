"""The vm suite's self-test, on the host: the runner cannot report a pass for a guest test that did not
pass, never hangs, and leaves no qemu process or run directory behind, whichever way a run ends.

Each test runs runner.py as meson does and reads its TAP; the first boots a guest (~10 s more for the
suite), the others end their guest during its boot."""

import os
import re
import select
import signal
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import runner  # noqa: E402

BUILD = os.environ.get("TETHER_VM_BUILD", os.path.join(HERE, "..", "..", "build"))
ANNOUNCE = re.compile(r"^# vm: qemu pid (\d+), run directory (\S+)$", re.M)
# Bounds a failure only: a runner that hangs fails the test instead of the whole suite timing out.
TIMEOUT = 600

reason = runner.skip_reason()
pytestmark = pytest.mark.skipif(reason is not None, reason=reason or "")


def runner_command():
    return [sys.executable, os.path.join(HERE, "runner.py"), "--build", BUILD]


def run_runner(**env):
    r = subprocess.run(runner_command(), env=dict(os.environ, **env), capture_output=True, text=True,
                       timeout=TIMEOUT)
    sys.stderr.write(r.stderr)  # the runner's log, in meson's
    return r


def assert_nothing_left(stdout):
    m = ANNOUNCE.search(stdout)
    assert m, "the runner did not say which qemu it started"
    pid, run_dir = int(m.group(1)), m.group(2)
    assert not os.path.exists(run_dir), f"{run_dir} was left behind"
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except FileNotFoundError:
        return
    assert not exe.endswith("qemu-system-x86_64"), f"qemu {pid} is still running"


def tap_results(stdout):
    return re.findall(r"^(ok|not ok) \d+ - (.*)$", stdout, re.M)


def test_a_failing_guest_test_is_not_ok_and_fails_the_run():
    r = run_runner(TETHER_VM_SELFTEST_FAIL="1")
    results = tap_results(r.stdout)
    # The deliberately failing test fails; the passing one beside it still passes: it is that test the
    # host reports, not a broken vm.
    assert ("not ok", "selftest_meant_to_fail.py::test_meant_to_fail") in results, r.stdout
    assert ("ok", "test_system.py::test_pid1_is_systemd") in results, r.stdout
    assert re.search(r"^1\.\.2$", r.stdout, re.M), r.stdout
    assert r.returncode == 1
    assert_nothing_left(r.stdout)


def test_a_timeout_kills_qemu_prints_the_console_and_fails():
    r = run_runner(TETHER_VM_TIMEOUT="5")
    assert re.search(r"^not ok 1 - vm: timed out after 5 s booting", r.stdout, re.M), r.stdout
    assert "lines of console.log ---" in r.stdout
    assert r.returncode == 1
    assert_nothing_left(r.stdout)


def test_sigterm_to_the_runner_ends_qemu_and_cleans_up():
    # meson's own timeout ends a test with SIGTERM: the runner must still kill its qemu and clean up.
    p = subprocess.Popen(runner_command(), stdout=subprocess.PIPE, text=True)
    try:
        seen = ""
        for line in p.stdout:  # the announcement comes right after qemu started
            seen += line
            if ANNOUNCE.search(line):
                break
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    seen += out
    assert re.search(r"^not ok \d+ - vm: interrupted by SIGTERM", seen, re.M), seen
    assert p.returncode == 1
    assert_nothing_left(seen)


def test_sigkill_to_the_runner_kills_qemu_and_the_next_run_sweeps_its_directory():
    # meson's SIGKILL, after a SIGTERM the runner did not survive: qemu dies with it (PR_SET_PDEATHSIG),
    # and the next runner removes the directory this one could not.
    p = subprocess.Popen(runner_command(), stdout=subprocess.PIPE, text=True)
    qemu_fd = None
    try:
        for line in p.stdout:
            m = ANNOUNCE.search(line)
            if m:
                break
        assert m, "the runner did not say which qemu it started"
        qemu_pid, run_dir = int(m.group(1)), m.group(2)
        qemu_fd = os.pidfd_open(qemu_pid)  # while the runner holds it unreaped: surely that qemu
        p.kill()
        p.wait()
        # A pidfd turns readable when its process has exited.
        assert select.select([qemu_fd], [], [], TIMEOUT)[0], f"qemu {qemu_pid} outlived its runner"
    finally:
        if qemu_fd is not None:
            os.close(qemu_fd)
        if p.poll() is None:
            p.kill()
            p.wait()
    assert os.path.isdir(run_dir)
    # A run that fails at once (no image cache can be made in /proc) sweeps on its way.
    r = subprocess.run(runner_command() + ["--cache", "/proc/tether-vm-no-cache"], capture_output=True,
                       text=True, timeout=TIMEOUT)
    assert r.returncode == 1
    assert not os.path.exists(run_dir), r.stderr
