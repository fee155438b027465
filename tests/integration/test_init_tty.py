"""A terminal: with a pty as controlling terminal, tether-init puts its program in the foreground, so that
^C interrupts the program and not tether-init, and tether-init itself, a background job then, is not
stopped by the terminal's job control."""

import os
import signal

import pytest

from helpers import Agent

S = signal.Signals

MODES = {
    # As runc runs a container with a terminal: PID 1 leads the session that owns the pty.
    "pid1": dict(pidns=True, session="init", opts=[]),
    # A job in someone else's session (the launcher's), which job control can stop.
    "child": dict(pidns=False, session="launcher", opts=["-s"]),
}


def start_tty(start, mode, opts=(), agent=None, **kw):
    m = MODES[mode]
    return start(m["opts"] + list(opts) + ["--", agent or Agent()], pidns=m["pidns"], session=m["session"],
                 tty=True, **kw)


@pytest.mark.parametrize("mode", MODES)
def test_program_is_the_foreground_job(start, mode):
    i = start_tty(start, mode)
    main = i.ready()
    assert main["pgid"] == main["pid"], "the program has no process group of its own"
    # As the host sees it, through the pty's master...
    assert os.tcgetpgrp(i.master) == main["host"]
    # ...and as the program sees it.
    info = i.cmd("ttyinfo")
    assert info["fg"] == info["pgid"] == main["pid"]
    assert os.getpgid(i.pid) != main["host"]


def test_program_is_the_foreground_job_smoke(start, any_init_bin):
    i = start_tty(start, "pid1", binary=any_init_bin)
    main = i.ready()
    assert os.tcgetpgrp(i.master) == main["host"]


@pytest.mark.parametrize("mode", MODES)
def test_ctrl_c_interrupts_the_program_not_init(start, mode):
    """^C on the terminal: SIGINT for the foreground group, the program, which dies of it (130), while
    tether-init lives on to report that and exits normally."""
    i = start_tty(start, mode, agent=Agent(default=["INT"]))
    i.ready()
    os.write(i.master, b"\x03")
    assert i.wait() == 130
    assert i.status == ("exit", 130)


@pytest.mark.parametrize("mode", MODES)
def test_ctrl_c_comes_from_the_terminal_once(start, mode):
    """The program gets ^C's SIGINT once, from the terminal (sender 0), not forwarded by a tether-init
    that got it too for being in the foreground group."""
    i = start_tty(start, mode)
    i.ready()
    os.write(i.master, b"\x03")
    i.wait_event(role="main", ev="sig", sig=S.SIGINT)
    i.barrier()
    assert i.signals(sig=S.SIGINT) == [(S.SIGINT, 0)]
    i.cmd("exit 0", wait=False)
    assert i.wait() == 0


@pytest.mark.parametrize("opts,expect", [
    ([], b"not running as PID 1"),
    (["-s", "-vvvv"], b"forwarded SIGUSR1"),
], ids=["startup-warning", "trace"])
def test_background_output_does_not_stop_init(start, opts, expect):
    """TOSTOP set: a background job writing to the terminal gets SIGTTOU, which would stop tether-init
    (a job in a group that is not orphaned) at its first diagnostic, had it not ignored it yet: the
    warning about not being PID 1 at start-up, or a diagnostic while it forwards."""
    i = start(opts + ["--", Agent()], pidns=False, session="launcher", tty=True, tostop=True)
    i.ready()
    i.send(S.SIGUSR1)
    i.barrier()
    i._until(lambda: expect in i.tty_out, "tether-init's diagnostic on the terminal")
    assert i.state() not in ("T", "t")
    i.cmd("exit 0", wait=False)
    assert i.wait() == 0
