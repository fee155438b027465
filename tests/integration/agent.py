#!/usr/bin/python3
"""The payload the integration tests run under tether-init: it reports what happens to it and does what
the test asks, so that tests wait on its reports instead of sleeping.

    agent.py --role NAME --evt FD --cmd FD [--default SIG]... [--storm PATH]

Every signal but those given with --default is blocked and taken with sigwaitinfo() by a thread, which
reports it with its sender (si_pid), in the order the kernel hands them out: lower numbers first, so a
real-time signal sent last (the tests' barrier, SIGRTMAX) is reported after anything pending before it.
Reports are JSON lines on the evt fd (one write each, atomic below PIPE_BUF); commands are lines on the
cmd fd:

    exit N               exit with status N
    die SIG              be killed by SIG
    spawn ROLE MODE [K]  double-fork an orphan (then reparented to the nearest reaper); with K, the orphan
                         forks K children of its own first
    child ROLE MODE      fork a child that stays ours, in our process group
    zombies N            run the storm helper: N children that exit at once and are never reaped by their
                         parent, which then exits
    kill1 SIG            kill(1, SIG): signal our PID 1 from inside the namespace
    ttyinfo              report the terminal's foreground process group as we see it
    stdout HEX           write these bytes to stdout

MODE of an orphan or child: "record" reports every signal and lives on (it ignores SIGTERM, in effect);
"term-exit" exits on SIGTERM; "usr2-exit" exits on SIGUSR2.
"""

import json
import os
import select
import signal
import sys
import threading

CATCHABLE = signal.valid_signals() - {signal.SIGKILL, signal.SIGSTOP}


def host_pid():
    # /proc is the host's: /proc/self names us by our pid there, whatever namespace we are in.
    return int(os.readlink("/proc/self"))


def start_time(pid="self"):
    with open(f"/proc/{pid}/stat", "rb") as f:
        return int(f.read().rsplit(b")", 1)[1].split()[19])


class Agent:
    def __init__(self, role, evt):
        self.role = role
        self.evt = evt

    def emit(self, ev, **kw):
        kw.update(role=self.role, ev=ev)
        os.write(self.evt, (json.dumps(kw) + "\n").encode())

    def hello(self, ev="ready", **kw):
        self.emit(ev, pid=os.getpid(), host=host_pid(), start=start_time(), ppid=os.getppid(),
                  pgid=os.getpgrp(), sid=os.getsid(0), **kw)

    def record(self, waitset, mode):
        """Reports signals until mode says to exit; never returns."""
        while True:
            si = signal.sigwaitinfo(waitset)
            self.emit("sig", sig=si.si_signo, frm=si.si_pid, code=si.si_code)
            if (mode == "term-exit" and si.si_signo == signal.SIGTERM) or \
               (mode == "usr2-exit" and si.si_signo == signal.SIGUSR2):
                os._exit(0)


def run_forked(role, mode, evt, children=0, parent_fd=None):
    """Body of a spawned process; never returns."""
    try:
        a = Agent(role, evt)
        if parent_fd is not None:
            # Readable once the parent has exited; the kernel hands us to the next reaper before that.
            select.select([parent_fd], [], [])
            os.close(parent_fd)
        for k in range(children):
            if os.fork() == 0:
                run_forked(f"{role}.{k}", mode, evt)
        a.hello("spawned", mode=mode)
        a.record(CATCHABLE, mode)
    finally:
        os._exit(1)


def spawn(role, mode, evt, children=0):
    """Double-forks an orphan, which reports itself once it has been reparented."""
    middle = os.fork()
    if middle == 0:
        try:
            r, w = os.pipe()
            me = os.getpid()
            if os.fork() == 0:
                os.close(r)
                fd = os.pidfd_open(me)  # we are still its child: the pid is the middle's
                os.close(w)
                run_forked(role, mode, evt, children, parent_fd=fd)
            os.close(w)
            os.read(r, 1)  # EOF once the orphan holds its pidfd
        finally:
            os._exit(0)
    os.waitpid(middle, 0)


def main():
    args = sys.argv[1:]
    role, evt, cmd, storm, defaults = "main", None, None, None, set()
    while args:
        opt, val, args = args[0], args[1], args[2:]
        if opt == "--role":
            role = val
        elif opt == "--evt":
            evt = int(val)
        elif opt == "--cmd":
            cmd = int(val)
        elif opt == "--storm":
            storm = val
        elif opt == "--default":
            defaults.add(signal.Signals["SIG" + val])
        else:
            sys.exit(f"agent: unknown option {opt!r}")

    waitset = CATCHABLE - defaults
    for sig in CATCHABLE:
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, waitset)
    a = Agent(role, evt)
    threading.Thread(target=a.record, args=(waitset, "record"), daemon=True).start()
    a.hello()

    buf = b""
    while True:
        chunk = os.read(cmd, 4096)
        if not chunk:
            os._exit(0)
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            words = line.decode().split()
            op = words[0]
            if op == "exit":
                os._exit(int(words[1]))
            elif op == "die":
                sig = signal.Signals["SIG" + words[1]]
                signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
                signal.pthread_kill(threading.get_ident(), sig)
            elif op == "spawn":
                spawn(words[1], words[2], evt, int(words[3]) if len(words) > 3 else 0)
            elif op == "child":
                if os.fork() == 0:
                    run_forked(words[1], words[2], evt)
            elif op == "zombies":
                pid = os.posix_spawn(storm, [storm, words[1]], os.environ)
                _, status = os.waitpid(pid, 0)
                a.emit("done", op=op, status=status)
                continue
            elif op == "kill1":
                os.kill(1, signal.Signals["SIG" + words[1]])
            elif op == "ttyinfo":
                a.emit("done", op=op, fg=os.tcgetpgrp(0), pgid=os.getpgrp(), sid=os.getsid(0))
                continue
            elif op == "stdout":
                os.write(1, bytes.fromhex(words[1]))
            else:
                sys.exit(f"agent: unknown command {op!r}")
            a.emit("done", op=op)


if __name__ == "__main__":
    main()
