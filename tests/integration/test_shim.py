"""tether-shim with the real runtime: busybox containers from the runtime tests' rootfs, the shim's object
read and driven with busctl on its socket (an independent client), exit.json checked on disk.

Each shim runs with --runtime TETHER --runtime-arg --root --runtime-arg <the test's state>, its own
--state-dir below the test's directory, and the containers' cgroups below the test's marker group."""

import json
import os
import re
import signal
import subprocess
import threading
import time

import pytest

import runtime_helpers
from helpers import TIMEOUT
from runtime_helpers import base, rootfs, rt  # noqa: F401 (fixtures)

runtime_helpers.skip_unless_selected()

SHIM = os.environ.get("TETHER_SHIM")
IFACE = "io.tether.Shim1.Container"
CRI_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (stdout|stderr) ([PF]) (.*)$")

pytestmark = pytest.mark.skipif(not SHIM, reason="TETHER_SHIM names no tether-shim")


class Shims:
    """The test's shims: their state directory, busctl on their sockets, and cleanup."""

    def __init__(self, rt):
        self.rt = rt
        self.state = os.path.join(rt.work, "shim-state")
        self.ids = []

    def argv(self, cid, bundle, *opts):
        return [SHIM, "--id", cid, "--bundle", bundle, "--runtime", runtime_helpers.TETHER,
                "--runtime-arg", "--root", "--runtime-arg", self.rt.root, "--state-dir", self.state, *opts]

    def start(self, cid, config, *opts, check=True):
        """Starts a detached shim for config; returns the starter's CompletedProcess (it exits once the
        container runs, or with the runtime's error)."""
        self.ids.append(cid)
        self.rt._track(cid)
        r = subprocess.run(self.argv(cid, self.rt.bundle(config), *opts), stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=TIMEOUT)
        if check:
            assert r.returncode == 0, r.stderr.decode()
        return r

    def path(self, cid, name):
        return os.path.join(self.state, cid, name)

    def address(self, cid):
        return "unix:path=" + self.path(cid, "bus")

    def busctl(self, cid, *args, timeout=TIMEOUT):
        return subprocess.run(["busctl", "--address=" + self.address(cid), f"--timeout={timeout}", *args],
                              capture_output=True, text=True, timeout=timeout + 5)

    def call(self, cid, method, *sig_args):
        return self.busctl(cid, "call", "io.tether.Shim1", f"/io/tether/Shim1/{cid.replace('-', '_2d')}", IFACE,
                           method, *sig_args)

    def prop(self, cid, name):
        r = self.busctl(cid, "get-property", "io.tether.Shim1", f"/io/tether/Shim1/{cid.replace('-', '_2d')}",
                        IFACE, name)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    def wait_shim_gone(self, cid):
        """Until the shim lets go of its lock: it has exited."""
        # shared, as every reader takes it: an exclusive lock would look like a live shim to them
        r = subprocess.run(["flock", "--shared", "-w", str(TIMEOUT), self.path(cid, "lock"), "true"],
                           timeout=TIMEOUT + 5)
        assert r.returncode == 0, f"the shim of {cid} is still there"

    def record(self, cid):
        with open(self.path(cid, "exit.json")) as f:
            return json.load(f)

    def log_entries(self, cid, name="ctr.log"):
        with open(self.path(cid, name)) as f:
            lines = f.read().splitlines()
        entries = [CRI_LINE.match(line) for line in lines]
        assert all(entries), [line for line, m in zip(lines, entries) if not m][:3]
        return [(m.group(2), m.group(3), m.group(4)) for m in entries]

    def shim_pid(self, cid):
        with open(self.path(cid, "shim.pid")) as f:
            return int(f.read())

    def close(self):
        for cid in self.ids:
            if not os.path.exists(self.path(cid, "lock")):
                continue
            # a container still there: the runtime kills it, its shim records that and goes
            self.rt.tether("kill", cid, "KILL")
            try:
                os.kill(self.shim_pid(cid), signal.SIGTERM)   # ends a lingering shim
            except (OSError, ValueError):
                pass
            self.wait_shim_gone(cid)


@pytest.fixture
def shims(rt):
    s = Shims(rt)
    yield s
    s.close()


def joined(entries):
    """The lines a stream's entries make: P entries are parts of the line the next F entry ends."""
    lines, part = [], ""
    for stream, tag, text in entries:
        part += text
        if tag == "F":
            lines.append((stream, part))
            part = ""
    return lines, part


def sh(rt, script, **linux):
    config = rt.config(["sh", "-c", script])
    config["linux"].update(linux)
    return config


def test_exit_code_and_output_are_recorded(shims, rt):
    shims.start("ex", sh(rt, "echo out; echo err >&2; exit 42"))
    shims.wait_shim_gone("ex")
    rec = shims.record("ex")
    assert rec["id"] == "ex"
    assert (rec["exit_code"], rec["signal"], rec["core_dumped"], rec["oom_killed"], rec["oom_victim"]) == \
        (42, None, False, False, None)
    assert rec["started_at"] <= rec["exited_at"]
    with open("/proc/sys/kernel/random/boot_id") as f:
        assert rec["boot_id"] == f.read().strip()
    # two pipes: the order between the streams is the loop's, within each it is the container's
    assert sorted(shims.log_entries("ex")) == [("stderr", "F", "err"), ("stdout", "F", "out")]
    # the runtime's delete ran: no container state left
    assert rt.state_entries() == []


def test_wait_before_and_after_the_exit_and_sigkill_recorded(shims, rt):
    shims.start("w", sh(rt, "sleep 600"), "--linger", "60")
    assert shims.prop("w", "State") == 's "running"'
    with open(shims.path("w", "pid")) as f:
        assert shims.prop("w", "Pid") == f"u {int(f.read())}"
    waiter = subprocess.Popen(["busctl", "--address=" + shims.address("w"), f"--timeout={TIMEOUT}", "call",
                               "io.tether.Shim1", "/io/tether/Shim1/w", IFACE, "Wait"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    r = shims.call("w", "Kill", "sb", "KILL", "false")
    assert r.returncode == 0, r.stderr
    out, err = waiter.communicate(timeout=TIMEOUT)
    assert waiter.returncode == 0, err
    assert out.strip() == 'isb 137 "SIGKILL" false'
    # on disk before the answer: the record was there when Wait came back
    rec = shims.record("w")
    assert (rec["exit_code"], rec["signal"], rec["oom_killed"]) == (137, "SIGKILL", False)
    # after the exit, while it lingers: at once, and the properties say how it ended
    r = shims.call("w", "Wait")
    assert r.stdout.strip() == 'isb 137 "SIGKILL" false', r.stderr
    assert shims.prop("w", "State") == 's "stopped"'
    assert shims.prop("w", "ExitCode") == "i 137"
    assert shims.prop("w", "ExitSignal") == 's "SIGKILL"'
    r = shims.call("w", "Kill", "sb", "TERM", "false")
    assert r.returncode != 0 and "container 'w' is not running (stopped)" in r.stderr, r.stderr
    os.kill(shims.shim_pid("w"), signal.SIGTERM)   # a lingering shim goes on SIGTERM
    shims.wait_shim_gone("w")


def test_methods_refuse_bad_input_naming_the_container(shims, rt):
    shims.start("m", sh(rt, "sleep 600"))
    r = shims.call("m", "Kill", "sb", "NOPE", "false")
    assert r.returncode != 0 and "container 'm': unknown signal 'NOPE'" in r.stderr, r.stderr
    r = shims.call("m", "Resume")
    assert r.returncode != 0 and "container 'm' is not paused (running)" in r.stderr, r.stderr
    r = shims.call("m", "Kill", "s", "TERM")   # wrong signature
    assert r.returncode != 0
    assert shims.prop("m", "State") == 's "running"'
    generation = int(shims.prop("m", "Generation").split()[1])
    assert shims.call("m", "Pause").returncode == 0
    assert shims.prop("m", "State") == 's "paused"'
    assert int(shims.prop("m", "Generation").split()[1]) > generation
    assert shims.call("m", "Resume").returncode == 0
    assert shims.prop("m", "State") == 's "running"'


def test_busctl_connecting_while_the_state_changes_gets_its_answer(shims, rt):
    """busctl says Hello first and takes any message before its answer for a broken bus (EIO): the shim
    must send a new peer no PropertiesChanged before that. 40 clients connect while Pause and Resume
    change the State as fast as they can."""
    shims.start("race", sh(rt, "sleep 600"))
    stop = threading.Event()

    def toggle():
        while not stop.is_set():
            shims.call("race", "Pause")
            shims.call("race", "Resume")

    toggler = threading.Thread(target=toggle)
    toggler.start()
    try:
        failures = []
        for _ in range(40):
            r = shims.busctl("race", "get-property", "io.tether.Shim1", "/io/tether/Shim1/race", IFACE, "Id")
            if r.returncode != 0 or r.stdout.strip() != 's "race"':
                failures.append(r.stderr.strip())
    finally:
        stop.set()
        toggler.join(TIMEOUT)
    assert not failures, failures


def test_stop_sends_term_then_kill_after_the_timeout(shims, rt):
    shims.start("st", sh(rt, "trap 'exit 7' TERM; sleep 600 & wait"), "--linger", "60")
    r = shims.call("st", "Stop", "t", str(30 * 10**6))
    assert r.returncode == 0, r.stderr
    assert shims.record("st")["exit_code"] == 7
    os.kill(shims.shim_pid("st"), signal.SIGTERM)
    shims.wait_shim_gone("st")
    # PID 1 of its namespace ignores TERM without a handler: the KILL after the timeout ends it
    shims.start("st2", sh(rt, "sleep 600"), "--linger", "60")
    r = shims.call("st2", "Stop", "t", str(200 * 1000))
    assert r.returncode == 0, r.stderr
    assert (shims.record("st2")["exit_code"], shims.record("st2")["signal"]) == (137, "SIGKILL")


def test_stats_come_from_the_containers_cgroup(shims, rt):
    shims.start("s", sh(rt, "sleep 600 & wait"))
    r = shims.call("s", "Stats")
    assert r.returncode == 0, r.stderr
    values = dict(re.findall(r'"(\w+)" t (\d+)', r.stdout))
    assert int(values["PidsCurrent"]) == 2   # sh and sleep
    assert int(values["MemoryUsage"]) > 0


def test_oom_kill_is_recorded_with_its_victim(shims, rt):
    config = rt.config(["tail", "/dev/zero"])   # no newline ever: tail's buffer grows until the OOM killer
    config["linux"]["resources"] = {"memory": {"limit": 16 << 20, "swap": 16 << 20}}
    shims.start("oom", config)
    shims.wait_shim_gone("oom")
    rec = shims.record("oom")
    assert (rec["exit_code"], rec["signal"], rec["oom_killed"], rec["oom_victim"]) == \
        (137, "SIGKILL", True, "first-process"), rec


def test_killing_the_starters_session_leaves_the_container_running(shims, rt):
    shims.ids.append("sess")
    rt._track("sess")
    argv = " ".join(shims.argv("sess", rt.bundle(sh(rt, "sleep 600"))))
    # the starter in a session and process group of its own, which then is killed whole
    p = subprocess.Popen(["setsid", "sh", "-c", f"{argv} && exec sleep 600"], stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + TIMEOUT
        while not os.path.exists(shims.path("sess", "bus")) or shims.busctl("sess", "status").returncode != 0:
            assert time.monotonic() < deadline and p.poll() is None, "the shim never served its socket"
            time.sleep(0.05)
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
    assert shims.prop("sess", "State") == 's "running"'


def test_ten_megabytes_of_stdout_arrive_whole(shims, rt):
    line = "0123456789" * 6 + "abc"   # 64 bytes with its newline
    n = (10 << 20) // 64
    shims.start("big", sh(rt, f"yes {line} | head -n {n}"))
    shims.wait_shim_gone("big")
    assert shims.record("big")["exit_code"] == 0
    lines, rest = joined(shims.log_entries("big"))
    assert rest == ""
    assert len(lines) == n
    assert set(lines) == {("stdout", line)}


def test_rotation_keeps_the_last_lines_in_order(shims, rt):
    shims.start("rot", sh(rt, "seq 1 30000"), "--log-max-size", "200000", "--log-max-files", "3")
    shims.wait_shim_gone("rot")
    assert not os.path.exists(shims.path("rot", "ctr.log.3"))
    entries = []
    for name in ("ctr.log.2", "ctr.log.1", "ctr.log"):
        assert os.path.getsize(shims.path("rot", name)) <= 200000
        entries += shims.log_entries("rot", name)
    lines, rest = joined(entries)
    # the first line may be the rest of one whose start went with an older file: left out
    assert rest == ""
    numbers = [int(text) for stream, text in lines[1:]]
    assert numbers[-1] == 30000
    assert numbers == list(range(numbers[0], 30001)), "a line is missing or out of order"
    assert numbers[0] > 1


def test_a_full_log_disk_never_holds_the_container_up(shims, rt):
    """The log on a 256 KiB tmpfs of the shim's own mount namespace; the container writes 2 MB and must
    end on its own: the shim drops what does not fit, counts it, and the log keeps whole entries only."""
    shims.ids.append("full")
    rt._track("full")
    logdir = os.path.join(rt.work, "small-disk")
    os.mkdir(logdir)
    argv = shims.argv("full", rt.bundle(sh(rt, "yes 0123456789abcdef | head -c 2000000; echo written")),
                      "--log-path", os.path.join(logdir, "ctr.log"), "--linger", "60")
    # the shim stays in this private mount namespace, the tmpfs with it
    script = f"mount -t tmpfs -o size=256k tether-test-small {logdir} && exec {' '.join(argv)}"
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    r = shims.call("full", "Wait")
    assert r.stdout.strip() == 'isb 0 "" false', r.stderr
    dropped = int(shims.prop("full", "LogDropped").split()[1])
    assert dropped > 0
    # the log as the shim sees it: full, whole entries only
    with open(f"/proc/{shims.shim_pid('full')}/root{logdir}/ctr.log") as f:
        lines = f.read().splitlines()
    assert lines and all(CRI_LINE.match(line) for line in lines)
    assert len(lines) + dropped >= 2000000 // (64 * 1024)   # at least one entry per pipe read of 64 KiB
    os.kill(shims.shim_pid("full"), signal.SIGTERM)
    shims.wait_shim_gone("full")


def test_journald_driver_with_no_journal_drops_and_counts(shims, rt):
    """No journald on this host: each line is dropped and counted, and the container goes on. The vm
    suite reads the entries back from a real journal."""
    if os.path.exists("/run/systemd/journal/socket"):
        pytest.skip("a journald runs here: tests/vm/guest covers the driver")
    shims.start("jd", sh(rt, "seq 1 5; exec sleep 600"), "--log-driver", "journald")
    deadline = time.monotonic() + TIMEOUT
    while shims.prop("jd", "LogDropped") != "t 5":
        assert time.monotonic() < deadline, shims.prop("jd", "LogDropped")
        time.sleep(0.02)
    assert shims.prop("jd", "State") == 's "running"'
    assert shims.prop("jd", "LogPath") == 's "journal"'


@pytest.mark.skipif(not os.path.exists("/usr/bin/crun"), reason="crun is not installed")
def test_crun_as_the_runtime(shims, rt):
    """The shim takes crun as it takes tether. crun 1.8.1 refuses a hybrid host unless the empty cgroup2
    mount is gone: the shim runs in a private mount namespace without it, and crun without a cgroup
    manager (it would make its groups at the hierarchies' roots)."""
    shims.ids.append("cr")
    crun_root = os.path.join(rt.work, "crun-root")
    config = sh(rt, "trap 'exit 7' TERM; echo from-crun; sleep 600 & wait")
    del config["linux"]["cgroupsPath"]
    argv = [a for a in shims.argv("cr", rt.bundle(config))]
    i = argv.index("--runtime")
    argv[i + 1] = "/usr/bin/crun"
    j = argv.index(rt.root)   # the runtime's --root
    argv[j] = crun_root
    argv[j + 1:j + 1] = ["--runtime-arg", "--cgroup-manager=disabled"]
    script = ("if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi && exec "
              + " ".join(argv))
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert shims.prop("cr", "State") == 's "running"'
    assert shims.prop("cr", "Runtime") == 's "/usr/bin/crun"'
    r = shims.call("cr", "Stop", "t", str(30 * 10**6))
    assert r.returncode == 0, r.stderr
    shims.wait_shim_gone("cr")
    assert shims.record("cr")["exit_code"] == 7
    assert ("stdout", "F", "from-crun") in shims.log_entries("cr")
    assert subprocess.run(["crun", "--root", crun_root, "list", "-q"], capture_output=True, text=True).stdout == ""


def test_bad_input_is_refused_and_leaves_nothing(shims, rt):
    bundle = rt.bundle(sh(rt, "true"))
    r = subprocess.run([SHIM, "--id", "../x", "--bundle", bundle], capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 2 and "invalid container id '../x'" in r.stderr, r.stderr
    r = subprocess.run([SHIM, "--id", "x"], capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 2 and "--id and --bundle are required" in r.stderr, r.stderr
    r = subprocess.run([SHIM, "--id", "x", "--bundle", bundle, "--log-driver", "syslog"], capture_output=True,
                       text=True, timeout=TIMEOUT)
    assert r.returncode == 2 and "invalid value 'syslog' for '--log-driver'" in r.stderr, r.stderr
    r = subprocess.run([SHIM, "--id", "x", "--bundle", bundle, "--ready-fd", "99"], capture_output=True,
                       text=True, timeout=TIMEOUT)
    assert r.returncode == 2 and "invalid value '99' for '--ready-fd'" in r.stderr, r.stderr
    r = subprocess.run(shims.argv("nob", os.path.join(rt.work, "no-such-bundle")), capture_output=True,
                       text=True, timeout=TIMEOUT)
    assert r.returncode == 1 and "container 'nob': bundle" in r.stderr, r.stderr
    # the runtime refuses the config: its error comes back through the starter, and nothing stays
    config = rt.config(["true"])
    config["process"]["cwd"] = "relative"
    r = shims.start("bad", config, check=False)
    err = r.stderr.decode()
    assert r.returncode == 1, err
    assert "container 'bad': the runtime's create failed:" in err and "cwd" in err, err
    assert not os.path.exists(shims.path("bad", "."))
    rt.assert_nothing_left()


def test_an_id_in_use_is_refused(shims, rt):
    shims.start("dup", sh(rt, "sleep 600"))
    r = subprocess.run(shims.argv("dup", rt.bundle(sh(rt, "true"))), capture_output=True, text=True,
                       timeout=TIMEOUT)
    assert r.returncode == 1 and "container 'dup' exists already" in r.stderr, r.stderr
    assert shims.prop("dup", "State") == 's "running"'


# -- shimctl -------------------------------------------------------------------------------------------

SHIMCTL = os.environ.get("TETHER_SHIMCTL")


def shimctl(shims, *args, timeout=TIMEOUT):
    return subprocess.run([SHIMCTL, "--state-dir", shims.state, *args], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def ctl_run(shims, rt, cid, *args):
    """shimctl run --name cid --rootfs ROOTFS ... with the test's runtime state and cgroup parent."""
    shims.ids.append(cid)
    rt._track(cid)
    return shimctl(shims, "run", "--name", cid, "--rootfs", rt.rootfs, "--runtime", runtime_helpers.TETHER,
                   "--runtime-arg", "--root", "--runtime-arg", rt.root, "--cgroup-parent", rt.marker, *args)


needs_shimctl = pytest.mark.skipif(not SHIMCTL, reason="TETHER_SHIMCTL names no shimctl")


@needs_shimctl
def test_shimctl_run_detached_list_status_logs_stop_wait_rm(shims, rt):
    r = ctl_run(shims, rt, "web", "-d", "--", "sh", "-c", "echo hi; echo oops >&2; sleep 600")
    assert (r.returncode, r.stdout) == (0, "web\n"), r.stderr
    r = shimctl(shims, "list")
    assert r.returncode == 0 and re.search(r"^web\s+running\s+\d+", r.stdout, re.M), r.stdout
    status = json.loads(shimctl(shims, "--json", "status", "web").stdout)
    assert (status["state"], status["live"], status["exit_code"]) == ("running", True, -1)
    with open(shims.path("web", "pid")) as f:
        assert status["pid"] == int(f.read())
    r = shimctl(shims, "logs", "web")
    assert (r.stdout, r.stderr) == ("hi\n", "oops\n")
    r = shimctl(shims, "rm", "web")
    assert r.returncode == 1 and "container 'web' is running: stop it first, or use --force" in r.stderr
    r = shimctl(shims, "stop", "-t", "0.2", "web")
    assert r.returncode == 0, r.stderr
    r = shimctl(shims, "wait", "web")
    assert r.returncode == 137, r.stderr   # sh as PID 1 ignores TERM: KILLed after the timeout
    status = json.loads(shimctl(shims, "--json", "status", "web").stdout)
    assert (status["state"], status["exit_code"], status["signal"]) == ("stopped", 137, "SIGKILL")
    assert shimctl(shims, "rm", "web").returncode == 0
    assert not os.path.exists(shims.path("web", "."))
    assert not os.path.exists(os.path.join(shims.state, ".bundles", "web"))
    assert json.loads(shimctl(shims, "--json", "list").stdout) == []


@needs_shimctl
def test_shimctl_run_in_the_foreground_passes_output_and_exit_code(shims, rt):
    r = ctl_run(shims, rt, "fg", "--", "sh", "-c", "seq 1 3; echo err >&2; exit 3")
    assert (r.returncode, r.stdout, r.stderr) == (3, "1\n2\n3\n", "err\n")
    r = shimctl(shims, "logs", "--tail", "2", "fg")   # the last two lines of both streams
    assert r.stdout.endswith("3\n") and len((r.stdout + r.stderr).splitlines()) == 2, (r.stdout, r.stderr)
    status = json.loads(shimctl(shims, "--json", "status", "fg").stdout)
    assert status["exit_code"] == 3 and status["started_at_usec"] > 0


@needs_shimctl
def test_shimctl_reports_a_killed_shim_as_gone_never_running(shims, rt):
    assert ctl_run(shims, rt, "dead", "-d", "--", "sleep", "600").returncode == 0
    os.kill(shims.shim_pid("dead"), signal.SIGKILL)
    shims.wait_shim_gone("dead")
    status = json.loads(shimctl(shims, "--json", "status", "dead").stdout)
    assert (status["state"], status["live"]) == ("gone", False)
    r = shimctl(shims, "wait", "dead", timeout=10)
    assert r.returncode == 1 and "its shim is gone and left no record" in r.stderr, r.stderr
    r = shimctl(shims, "kill", "dead", "KILL")
    assert r.returncode == 1 and "container 'dead' is not running: its shim has ended" in r.stderr


@needs_shimctl
def test_shimctl_bad_input(shims, rt):
    r = shimctl(shims, "status", "../x")
    assert r.returncode == 1 and "invalid container id '../x'" in r.stderr
    r = shimctl(shims, "status", "nope")
    assert r.returncode == 1 and "no such container 'nope'" in r.stderr
    r = shimctl(shims, "rm", "nope")
    assert r.returncode == 1 and "no such container 'nope'" in r.stderr
    r = shimctl(shims, "rm", "--ignore", "nope")   # podman rm --ignore: nothing there is no error
    assert (r.returncode, r.stderr) == (0, "")
    r = shimctl(shims, "rm", "--ignore", "../x")   # but a bad id still is
    assert r.returncode == 1 and "invalid container id '../x'" in r.stderr
    r = shimctl(shims, "frobnicate")
    assert r.returncode == 2 and "unknown command 'frobnicate'" in r.stderr
    r = shimctl(shims, "run", "--bundle", "/nonexistent", "--rootfs", rt.rootfs)
    assert r.returncode == 2 and "give one of --bundle and --rootfs" in r.stderr
    r = ctl_run(shims, rt, "badflag", "--cwd", "relative", "--", "true")
    assert r.returncode == 1 and "invalid value 'relative' for '--cwd'" in r.stderr, r.stderr
    assert not os.path.exists(os.path.join(shims.state, ".bundles", "badflag"))
    # the runtime cannot start it: its error, and nothing left
    r = ctl_run(shims, rt, "bad", "--", "/no/such/program")
    assert r.returncode == 1 and "container 'bad'" in r.stderr and "/no/such/program" in r.stderr, r.stderr
    assert not os.path.exists(shims.path("bad", "."))
    assert not os.path.exists(os.path.join(shims.state, ".bundles", "bad"))
    # a runtime that is not there: named, and nothing left
    r = shimctl(shims, "run", "--name", "nort", "--bundle", rt.bundle(sh(rt, "true")), "--runtime",
                "/no/such/runtime")
    assert r.returncode == 1 and "container 'nort': cannot run the runtime '/no/such/runtime'" in r.stderr, \
        r.stderr
    assert not os.path.exists(shims.path("nort", "."))
    rt.assert_nothing_left()


@needs_shimctl
def test_shimctl_run_with_its_stdio_closed(shims, rt):
    """The shim gets /dev/null and its log as stdio even when its starter had no stdin and stderr: the
    numbers 0 and 2 are then its own /dev/null and log, kept, never closed and handed to something else."""
    shims.ids.append("nostdio")
    rt._track("nostdio")
    argv = " ".join([SHIMCTL, "--state-dir", shims.state, "run", "-d", "--name", "nostdio", "--rootfs", rt.rootfs,
                     "--runtime", runtime_helpers.TETHER, "--runtime-arg", "--root", "--runtime-arg", rt.root,
                     "--cgroup-parent", rt.marker, "--", "sleep", "600"])
    # stdout kept, where it prints the id
    r = subprocess.run(["sh", "-c", f"exec <&- 2>&- {argv}"], stdout=subprocess.PIPE, text=True, timeout=TIMEOUT)
    assert (r.returncode, r.stdout) == (0, "nostdio\n")
    # and none at all: the id goes nowhere, the container runs all the same
    r = subprocess.run(["sh", "-c", f"exec <&- >&- 2>&- {argv.replace('nostdio', 'nostdio2')}"], timeout=TIMEOUT)
    assert r.returncode == 0
    shims.ids.append("nostdio2")
    rt._track("nostdio2")
    assert shims.prop("nostdio2", "State") == 's "running"'
    assert shims.prop("nostdio", "State") == 's "running"'
    shim = shims.shim_pid("nostdio")
    fds = {fd: os.readlink(f"/proc/{shim}/fd/{fd}") for fd in (0, 1, 2)}
    assert fds == {0: "/dev/null", 1: "/dev/null", 2: shims.path("nostdio", "shim.log")}, fds


@needs_shimctl
def test_sigkill_of_shimctl_run_leaves_the_container_running(shims, rt):
    """shimctl run in the foreground follows the log; killing it (SIGKILL, no chance to clean up) touches
    neither shim nor container."""
    shims.ids.append("fgk")
    rt._track("fgk")
    p = subprocess.Popen([SHIMCTL, "--state-dir", shims.state, "run", "--name", "fgk", "--rootfs", rt.rootfs,
                          "--runtime", runtime_helpers.TETHER, "--runtime-arg", "--root", "--runtime-arg", rt.root,
                          "--cgroup-parent", rt.marker, "--", "sh", "-c", "echo up; exec sleep 600"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "up\n"   # it runs, and shimctl follows its log
        # shimctl spawned the shim (--ready-fd, no fork of its own): a session of its own all the same
        shim = shims.shim_pid("fgk")
        assert os.getsid(shim) == shim and os.getsid(shim) != os.getsid(p.pid)
        p.kill()
        p.wait(TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
    assert shims.prop("fgk", "State") == 's "running"'
    assert shimctl(shims, "kill", "fgk", "KILL").returncode == 0
    assert shimctl(shims, "wait", "fgk").returncode == 137
