"""Signals: what reaches tether-init is forwarded to its program exactly once (to its process group with
-g), SIGCHLD is not, job control cannot stop tether-init, -p turns the parent's death into a signal, and
neither a flood of signals nor a full stderr pipe gets in the way.

Each test sends from the host, by pidfd, to tether-init, then a barrier (helpers.BARRIER): once the agent
reports the barrier, everything sent before it has been forwarded and received, so a signal that has not
arrived by then never will."""

import os
import signal

import pytest

from helpers import BARRIER, Agent, fill_pipe

S = signal.Signals

# Real-time signals as the kernel and kill(1) number them: SIGRTMIN is 34 whatever a libc calls it.
RTMIN = 34

FORWARDED = [S.SIGTERM, S.SIGINT, S.SIGHUP, S.SIGQUIT, S.SIGUSR1, S.SIGUSR2, S.SIGWINCH, S.SIGCONT, S.SIGALRM,
             S.SIGPIPE, S.SIGTSTP, S.SIGURG, S.SIGPWR, S.SIGVTALRM, S.SIGXCPU, RTMIN, RTMIN + 3, BARRIER - 1]


def signame(sig):
    if sig >= RTMIN:
        return f"RTMIN+{sig - RTMIN}" if sig - RTMIN < 16 else f"RTMAX-{S.SIGRTMAX - sig}"
    return S(sig).name


MODES = {
    # PID 1 of a new PID namespace, as in a container.
    "pid1": dict(pidns=True, opts=[]),
    # A plain process, a subreaper, leading its own job in the launcher's session: there a signal it
    # left at its default action would kill or stop it (as PID 1 the kernel would drop it instead).
    "child": dict(pidns=False, opts=["-s"], session="launcher"),
}


def start_mode(start, mode, opts=(), agent=None, **kw):
    m = MODES[mode]
    extra = {"session": m["session"]} if "session" in m else {}
    return start(m["opts"] + list(opts) + ["--", agent or Agent()], pidns=m["pidns"], **extra, **kw)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("sig", FORWARDED, ids=signame)
def test_signal_forwarded_exactly_once(start, mode, sig):
    i = start_mode(start, mode)
    i.ready()
    i.send(sig)
    i.barrier()
    assert i.signals(sig=sig) == [(sig, i.sender())], i.dump()
    assert i.state() not in ("T", "t", "Z", None)


def test_signal_forwarding_smoke(start, any_init_bin):
    """The program's own SIGTERM handling (here: the default) decides; tether-init reports 128+15."""
    i = start(["--", Agent(default=["TERM"])], binary=any_init_bin)
    i.ready()
    i.send(S.SIGTERM)
    assert i.wait() == 143


def test_sigchld_not_forwarded(start):
    i = start(["--", Agent()])
    i.ready()
    i.send(S.SIGCHLD)
    i.barrier()
    assert i.signals(sig=S.SIGCHLD) == []


@pytest.mark.parametrize("how", ["-g", "TINI_KILL_PROCESS_GROUP", "neither"])
def test_process_group(start, how):
    """With -g (or TINI_KILL_PROCESS_GROUP set) a child of the program, in its process group, gets the
    signal too, and the program still gets it once; without, only the program does."""
    env = {"PATH": "/usr/bin:/bin"}
    opts = []
    if how == "-g":
        opts = ["-g"]
    elif how == "TINI_KILL_PROCESS_GROUP":
        env["TINI_KILL_PROCESS_GROUP"] = "1"
    i = start(opts + ["--", Agent()], env=env)
    main = i.ready()
    i.cmd("child gc record")
    gc = i.spawned("gc")
    assert gc["pgid"] == main["pgid"] == main["pid"]
    i.send(S.SIGUSR1)
    i.barrier()
    assert i.signals(sig=S.SIGUSR1) == [(S.SIGUSR1, 1)]
    if how == "neither":
        # What tether-init sent the group before the barrier is pending at gc before this one.
        i.barrier(role="gc", to_init=False, pidfd=i.pidfd_of(gc))
        assert i.signals(role="gc", sig=S.SIGUSR1) == []
    else:
        i.wait_event(role="gc", ev="sig", sig=S.SIGUSR1)
        i.barrier(role="gc", to_init=False, pidfd=i.pidfd_of(gc))
        assert i.signals(role="gc", sig=S.SIGUSR1) == [(S.SIGUSR1, 1)]


@pytest.mark.parametrize("mode,sig", [
    ("pid1", S.SIGTSTP),
    ("child", S.SIGTSTP),
    ("child", S.SIGTTIN),
    ("child", S.SIGTTOU),
], ids=["pid1-TSTP", "child-TSTP", "child-TTIN", "child-TTOU"])
def test_job_control_signal_does_not_stop_init(start, mode, sig):
    """tini's contract: SIGTSTP is forwarded, SIGTTIN and SIGTTOU are ignored; none stops tether-init.
    (As PID 1 the kernel drops SIGTTIN/SIGTTOU left at their default anyway, so they are checked where
    they would stop it.)"""
    i = start_mode(start, mode)
    i.ready()
    i.send(sig)
    i.barrier()   # forwarded: tether-init is running
    assert i.state() not in ("T", "t")
    if sig == S.SIGTSTP:
        assert i.signals(sig=sig) == [(sig, i.sender())]
    i.cmd("exit 5", wait=False)
    assert i.wait() == 5


def test_sigstop_from_inside_does_not_stop_init(start):
    i = start(["--", Agent()])
    i.ready()
    i.cmd("kill1 STOP")
    i.barrier()
    assert i.state() not in ("T", "t")


@pytest.mark.parametrize("spec", ["SIGUSR1", "USR1", "10"])
def test_parent_death_signal(start, spec):
    """-p: when tether-init's parent dies, tether-init gets the signal, and forwards it."""
    i = start(["-p", spec, "--", Agent()], middle=True)
    i.ready()
    i.kill_middle()
    i.wait_event(role="main", ev="sig", sig=S.SIGUSR1)
    i.barrier()
    assert i.signals(sig=S.SIGUSR1) == [(S.SIGUSR1, 1)]


def test_parent_death_signal_term_ends_the_program(start):
    i = start(["-p", "SIGTERM", "--", Agent(default=["TERM"])], middle=True)
    i.ready()
    i.kill_middle()
    assert i.wait() == 143


def test_no_parent_death_signal_without_p(start):
    i = start(["--", Agent()], middle=True)
    i.ready()
    i.kill_middle()
    i.barrier()
    assert [s for s, _ in i.signals() if s != BARRIER] == []


@pytest.mark.parametrize("mode", MODES)
def test_signal_flood(start, mode):
    """10,000 signals as fast as they can be sent: tether-init survives, keeps forwarding, reaps, and
    reports the right status."""
    i = start_mode(start, mode)
    i.ready()
    for _ in range(10000):
        i.send(S.SIGUSR1)
    i.barrier()
    got = i.signals(sig=S.SIGUSR1)
    assert len(got) >= 1
    assert set(got) == {(S.SIGUSR1, i.sender())}
    assert i.state() not in ("T", "t", "Z", None)
    if mode == "pid1":
        assert i.zombies_in_ns() == []
    i.cmd("exit 7", wait=False)
    assert i.wait() == 7


@pytest.mark.parametrize("what", ["forwarding", "exec-failure"])
def test_full_stderr_never_blocks(start, what):
    """A stderr pipe nobody reads, already full: tether-init at -vvvv drops its diagnostics rather than
    block, so it still forwards, reaps and exits with the right status."""
    err_r, err_w = os.pipe()
    try:
        filled = fill_pipe(err_w)
        if what == "exec-failure":
            i = start(["-vvvv", "--", "tether-no-such-program"], stderr_fd=err_w)
            os.close(err_w)
            err_w = None
            assert i.wait() == 127
        else:
            i = start(["-vvvv", "--", Agent()], stderr_fd=err_w)
            os.close(err_w)
            err_w = None
            i.ready()
            for sig in (S.SIGUSR1, S.SIGUSR2, S.SIGHUP, S.SIGWINCH) * 25:
                i.send(sig)
                i.barrier()
            i.cmd("spawn leftover term-exit")
            i.spawned("leftover")
            i.cmd("exit 3", wait=False)
            assert i.wait() == 3
            assert len(i.signals(sig=S.SIGUSR1)) == 25
        i.finish()
        # Nothing was written in pieces past the filler either.
        data = b""
        while chunk := os.read(err_r, 65536):
            data += chunk
        assert data == b"x" * filled
    finally:
        os.close(err_r)
        if err_w is not None:
            os.close(err_w)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("sig", [32, 33])
def test_libc_reserved_signal_forwarded(start, any_init_bin, mode, sig):
    """32 and 33 (glibc's, and with 34 musl's, for its threads) are signals like any other to tether-init,
    which has no threads: forwarded, here to a shell that dies of it, not dropped (PID 1) and not fatal
    (otherwise)."""
    m = MODES[mode]
    i = start(m["opts"] + ["--", "/bin/sh", "-c", "echo ready; exec sleep 1000"], binary=any_init_bin,
              pidns=m["pidns"], **({"session": m["session"]} if "session" in m else {}))
    i._until(lambda: b"ready\n" in i.out, "the program to start")
    i.send(sig)
    assert i.wait() == 128 + sig
