"""Reaping and what is left behind: orphans handed to tether-init are reaped while its program runs, a
storm of zombies leaves none, processes left when the program exits get SIGTERM, then SIGKILL after
--grace, as PID 1 and as a subreaper; -s/TINI_SUBREAPER, the warning without them, -w, and --pause."""

import os
import signal
import subprocess
import time

import pytest

from helpers import PYTHON, TIMEOUT, Agent, children_of, pidfd_exited, pidfd_reaped, proc_state

S = signal.Signals

MODES = {
    "pid1": dict(pidns=True, opts=[], env={}),
    "child": dict(pidns=False, opts=["-s"], env={}),
    "child-env": dict(pidns=False, opts=[], env={"TINI_SUBREAPER": ""}),
}


def start_mode(start, mode, opts=(), agent=None, **kw):
    m = MODES[mode]
    return start(m["opts"] + list(opts) + ["--", agent or Agent()], pidns=m["pidns"],
                 env={"PATH": "/usr/bin:/bin", **m["env"]}, **kw)


def exit_and_time(i, code):
    """Tells the program to exit with code; returns (tether-init's status, seconds until it exited)."""
    t0 = time.monotonic()
    i.cmd(f"exit {code}", wait=False)
    rc = i.wait(timeout=40)
    return rc, time.monotonic() - t0


@pytest.mark.parametrize("mode", MODES)
def test_orphans_reaped_while_program_runs(start, mode):
    """Double-forked orphans are handed to tether-init (PID 1, or a subreaper with -s or TINI_SUBREAPER
    set, even empty, as tini) and reaped as soon as they exit, while the program runs on."""
    i = start_mode(start, mode)
    i.ready()
    fds = []
    for k in range(5):
        i.cmd(f"spawn orphan{k} usr2-exit")
        ev = i.spawned(f"orphan{k}")
        assert ev["ppid"] == i.sender(), "not reparented to tether-init"
        fds.append(i.pidfd_of(ev))
    for fd in fds:
        signal.pidfd_send_signal(fd, S.SIGUSR2)
    for k, fd in enumerate(fds):
        assert pidfd_reaped(fd, TIMEOUT), f"orphan{k} was not reaped\n" + i.dump()
    i.barrier()   # the program runs on
    i.cmd("exit 0", wait=False)
    assert i.wait() == 0


def test_reaping_smoke(start, any_init_bin):
    i = start(["--", Agent()], binary=any_init_bin)
    i.ready()
    i.cmd("spawn orphan usr2-exit")
    fd = i.pidfd_of(i.spawned("orphan"))
    signal.pidfd_send_signal(fd, S.SIGUSR2)
    assert pidfd_reaped(fd, TIMEOUT)
    i.cmd("exit 0", wait=False)
    assert i.wait() == 0


@pytest.mark.parametrize("warn", [True, False], ids=["w", "no-w"])
def test_warn_on_reap(start, warn):
    """-w: one warning per orphan reaped, naming it (by its pid in the namespace); none for the program."""
    i = start((["-w"] if warn else []) + ["--", Agent()])
    main = i.ready()
    pids = []
    for k in range(3):
        i.cmd(f"spawn orphan{k} usr2-exit")
        ev = i.spawned(f"orphan{k}")
        pids.append(ev["pid"])
        fd = i.pidfd_of(ev)
        signal.pidfd_send_signal(fd, S.SIGUSR2)
        assert pidfd_reaped(fd, TIMEOUT)
    i.cmd("exit 0", wait=False)
    assert i.finish() == 0
    reaped = [line for line in i.stderr_lines() if "reaped" in line]
    if warn:
        assert reaped == [f"tether-init: reaped zombie process {pid}" for pid in pids]
    else:
        assert reaped == []
    assert not any(str(main["pid"]) in line for line in reaped)


def wait_no_zombies(i, zombies):
    """Zombies are reaped on SIGCHLD; each barrier round trip lets tether-init run its loop again."""
    deadline = time.monotonic() + TIMEOUT
    while (z := zombies()) and time.monotonic() < deadline:
        i.barrier()
    return z


def test_zombie_storm_as_pid1(start, storm):
    """5000 zombies handed over at once (their parent exits without reaping them): none is left in the
    namespace, and nothing but tether-init and its program, which ran on throughout."""
    i = start(["--", Agent()], storm=storm)
    main = i.ready()
    done = i.cmd("zombies 5000")
    assert done["status"] == 0, i.dump()
    assert wait_no_zombies(i, i.zombies_in_ns) == []
    assert sorted(pid for pid, _ in i.ns_processes()) == sorted([i.pid, main["host"]])
    i.cmd("exit 0", wait=False)
    assert i.wait() == 0


def test_storm_helper_at_a_pid_the_host_lacks(storm):
    """The storm helper runs in tether-init's PID namespace under the host's /proc. Built with LeakSanitizer,
    it opened /proc/<its pid in the namespace>/task at exit and aborted ("LeakSanitizer has encountered a
    fatal error") when no host process had that pid, failing the storm tests by chance under ASan. It is
    built without sanitizers now; here it gets such a pid every time (ns_last_pid is the writer's
    namespace's) and must exit 0."""
    host = {int(p) for p in os.listdir("/proc") if p.isdigit()}
    free = next(p for p in range(2, 1 << 22) if p not in host)
    script = f'echo {free - 1} > /proc/sys/kernel/ns_last_pid && "$0" 10; echo "status $?"'
    r = subprocess.run(["unshare", "--pid", "--fork", "sh", "-c", script, storm], capture_output=True,
                       timeout=TIMEOUT)
    assert r.stdout.decode().split()[-2:] == ["status", "0"], r.stderr.decode()


def test_zombie_storm_as_subreaper(start, storm):
    i = start(["-s", "--", Agent()], pidns=False, storm=storm)
    main = i.ready()
    done = i.cmd("zombies 2000")
    assert done["status"] == 0, i.dump()

    def zombie_children():
        return [pid for pid in children_of(i.pid) if proc_state(pid) == "Z"]

    assert wait_no_zombies(i, zombie_children) == []
    assert children_of(i.pid) == [main["host"]]
    i.cmd("exit 0", wait=False)
    assert i.wait() == 0


# -- leftovers ----------------------------------------------------------------------------------------


def test_leftover_that_exits_on_term_ends_promptly(start):
    """The program exits, a daemon it left handles SIGTERM: tether-init sends it, the daemon exits, and
    tether-init exits with the program's status well before the (default, 5 s) grace period."""
    i = start(["--", Agent()])
    i.ready()
    i.cmd("spawn daemon term-exit")
    i.spawned("daemon")
    rc, elapsed = exit_and_time(i, 7)
    assert rc == 7
    assert elapsed < 2.5, elapsed
    assert i.signals(role="daemon") == [(S.SIGTERM, 1)]


def test_leftovers_smoke(start, any_init_bin):
    i = start(["--grace", "1", "--", Agent()], binary=any_init_bin)
    i.ready()
    i.cmd("spawn polite term-exit")
    i.cmd("spawn stubborn record")
    i.spawned("polite")
    i.spawned("stubborn")
    rc, elapsed = exit_and_time(i, 7)
    assert rc == 7
    assert 1.0 <= elapsed < 4.0, elapsed
    assert i.signals(role="polite") == [(S.SIGTERM, 1)]


@pytest.mark.parametrize("grace", ["1", "0.5"])
def test_leftover_ignoring_term_is_killed_after_grace(start, grace):
    i = start(["--grace", grace, "--", Agent()])
    i.ready()
    i.cmd("spawn daemon record")
    fd = i.pidfd_of(i.spawned("daemon"))
    rc, elapsed = exit_and_time(i, 7)
    assert rc == 7
    assert float(grace) <= elapsed < float(grace) + 3.0, elapsed
    assert i.signals(role="daemon") == [(S.SIGTERM, 1)]
    assert pidfd_exited(fd, 0)


def test_grace_zero_kills_at_once(start):
    i = start(["--grace", "0", "--", Agent()])
    i.ready()
    i.cmd("spawn daemon record")
    i.spawned("daemon")
    rc, elapsed = exit_and_time(i, 7)
    assert rc == 7
    assert elapsed < 1.5, elapsed
    assert i.signals(role="daemon") == [], "SIGTERM before SIGKILL despite --grace 0"


def test_grace_cut_short_by_sigterm(start):
    """Asked to terminate while it waits out the grace period, tether-init kills what is left at once."""
    i = start(["--grace", "30", "--", Agent()])
    i.ready()
    i.cmd("spawn daemon record")
    i.spawned("daemon")
    i.cmd("exit 7", wait=False)
    i.wait_event(role="daemon", ev="sig", sig=S.SIGTERM)   # the grace period runs
    t0 = time.monotonic()
    i.send(S.SIGTERM)
    assert i.wait() == 7
    assert time.monotonic() - t0 < 3.0


def test_leftover_that_entered_by_setns(start):
    """A process that entered the namespace (docker exec) is no descendant of tether-init, and still
    ended: tether-init waits out the grace period for it rather than leave it to the kernel."""
    i = start(["--grace", "1", "--", Agent()])
    i.ready()
    i.visit("visitor")
    visitor = i.ready("visitor")
    assert visitor["ppid"] == 0   # its parent, nsenter, is outside the namespace
    rc, elapsed = exit_and_time(i, 7)
    assert rc == 7
    assert 1.0 <= elapsed < 4.0, elapsed
    assert i.signals(role="visitor") == [(S.SIGTERM, 1)]


def test_subreaper_ends_leftovers(start):
    """Not PID 1 there is no kernel to kill what is left when tether-init exits: as a subreaper it ends
    its descendants itself (daemons, one with children of its own), and none survives it."""
    i = start(["-s", "--grace", "1", "--", Agent()], pidns=False)
    i.ready()
    i.cmd("spawn polite term-exit")
    i.cmd("spawn stubborn record")
    i.cmd("spawn tree record 2")
    roles = ["polite", "stubborn", "tree", "tree.0", "tree.1"]
    evs = {r: i.spawned(r) for r in roles}
    for r in ("polite", "stubborn", "tree"):
        assert evs[r]["ppid"] == i.pid
    fds = {r: i.pidfd_of(evs[r]) for r in roles}
    rc, elapsed = exit_and_time(i, 7)
    assert rc == 7
    assert 1.0 <= elapsed < 4.0, elapsed
    for r in roles:
        # (tree may also report SIGCHLD: its children are killed before it)
        assert i.signals(role=r, sig=S.SIGTERM) == [(S.SIGTERM, i.pid)], r
        assert pidfd_reaped(fds[r], 0), f"{r} survived tether-init"


def test_not_pid1_without_subreaper_warns_once(start):
    i = start(["--", Agent()], pidns=False)
    i.ready()
    i.send(S.SIGUSR1)
    i.barrier()
    assert i.signals(sig=S.SIGUSR1) == [(S.SIGUSR1, i.pid)]
    i.cmd("exit 4", wait=False)
    assert i.finish() == 4
    lines = i.stderr_lines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("tether-init: ") and "subreaper" in lines[0]


@pytest.mark.parametrize("mode", ["child", "child-env"])
def test_subreaper_does_not_warn(start, mode):
    i = start_mode(start, mode)
    i.ready()
    i.cmd("exit 0", wait=False)
    assert i.finish() == 0
    assert bytes(i.err) == b""


# -- --pause ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pid1", [True, False], ids=["pid1", "child"])
@pytest.mark.parametrize("sig", [S.SIGTERM, S.SIGINT], ids=lambda s: s.name)
def test_pause_exits_0_on(start, sig, pid1):
    i = start(["--pause"] if pid1 else ["-s", "--pause"], pidns=pid1, session="none" if pid1 else "launcher")
    i.wait_listening()
    i.send(sig)
    assert i.finish() == 0
    assert bytes(i.out) == b"" and bytes(i.err) == b""


def test_pause_ignores_other_signals(start):
    """Not PID 1, a signal tether-init did not take would kill it: only SIGTERM ends the pause."""
    i = start(["-s", "--pause"], pidns=False, session="launcher")
    i.wait_listening()
    for sig in (S.SIGUSR1, S.SIGHUP, S.SIGUSR2, S.SIGALRM, S.SIGCHLD, S.SIGQUIT, S.SIGTSTP, S.SIGTTIN, 34):
        i.send(sig)
    i.send(S.SIGTERM)
    assert i.wait() == 0


def test_pause_reaps_orphans(start):
    i = start(["--pause", "--grace", "0"])   # the visitor is left at the end, and ignores SIGTERM
    i.wait_listening()
    v = i.visit()
    i.ready("visitor")
    v.cmd("spawn orphan usr2-exit")
    ev = i.spawned("orphan")
    assert ev["ppid"] == 1
    fd = i.pidfd_of(ev)
    signal.pidfd_send_signal(fd, S.SIGUSR2)
    assert pidfd_reaped(fd, TIMEOUT), i.dump()
    i.send(S.SIGTERM)
    assert i.wait() == 0


def test_pause_ends_leftovers(start):
    i = start(["--pause", "--grace", "1"])
    i.wait_listening()
    v = i.visit()
    i.ready("visitor")
    v.cmd("spawn stubborn record")
    i.spawned("stubborn")
    t0 = time.monotonic()
    i.send(S.SIGTERM)
    assert i.wait() == 0
    assert 1.0 <= time.monotonic() - t0 < 4.0
    assert i.signals(role="stubborn") == [(S.SIGTERM, 1)]


def test_zombie_inherited_across_exec_is_reaped_at_start(init_bin):
    """A process that becomes tether-init by exec may already have a dead child: no SIGCHLD will come
    for it, so tether-init must reap it at start, not only at the next SIGCHLD."""
    script = (
        "import os, sys, time\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    os._exit(0)\n"
        "while open(f'/proc/{child}/stat').read().rsplit(')', 1)[1].split()[0] != 'Z':\n"
        "    time.sleep(0.001)\n"
        "sys.stdout.write(f'{child}\\n'); sys.stdout.flush()\n"
        "os.execv(sys.argv[1], [sys.argv[1], '-s', '--', 'sh', '-c', 'read line; exit 0'])\n"
    )
    p = subprocess.Popen([PYTHON, "-c", script, init_bin], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        zombie = int(p.stdout.readline())
        # The program waits on stdin, so tether-init is up; its zombie must go without any new SIGCHLD.
        deadline = time.monotonic() + TIMEOUT
        while os.path.exists(f"/proc/{zombie}") and time.monotonic() < deadline:
            time.sleep(0.005)
        assert not os.path.exists(f"/proc/{zombie}"), "inherited zombie was not reaped"
        p.stdin.close()
        assert p.wait(timeout=TIMEOUT) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
