#!/usr/bin/python3
"""Starts tether-init for the integration tests the way a runtime would, and reports on it.

    launcher.py --report-fd N --ack-fd N --env-fd N [--pidns] [--session init|launcher] [--middle]
                -- TETHER-INIT [ARGS...]

Writes to the report fd, one line each:
    middle PID            (--middle) the process that is tether-init's parent, to be killed by the test
    init PID              tether-init's pid as the test sees it (the host's PID namespace)
    status PID exit N     tether-init exited with N
    status PID signal N   tether-init was killed by signal N
    error TEXT            the launcher itself failed

tether-init is left a zombie after "status" until the ack fd reaches EOF, so that its pid cannot be
reused while the test may still signal it by pid.

--pidns      unshare(CLONE_NEWPID) first, so that tether-init is PID 1 of a new PID namespace.
--session    init: tether-init calls setsid() and takes its stdin, a tty, as controlling terminal, as
             runc does for a container with a terminal. launcher: the launcher does so (taking the tty
             if there is one) and tether-init gets a process group of its own in that session: a job
             whose group is not orphaned, so that stop signals and background tty access do stop it
             unless it ignores them (the kernel discards them for orphaned groups).
--middle     tether-init's parent is a second launcher process that only waits to be killed; this one
             is a child subreaper, so that tether-init is reparented here and still reported (-p).
The environment of tether-init is read from --env-fd (NUL-separated), so that nothing of this
interpreter's own environment (such as PEP 538's LC_CTYPE coercion) leaks into it.
"""

import ctypes
import fcntl
import os
import signal
import sys
import termios

CLONE_NEWPID = 0x20000000
PR_SET_CHILD_SUBREAPER = 36

libc = ctypes.CDLL(None, use_errno=True)


def report(fd, *words):
    os.write(fd, (" ".join(str(w) for w in words) + "\n").encode())


def fail(fd, text):
    report(fd, "error", text.replace("\n", " "))
    os._exit(125)


def read_env(fd):
    data = b""
    while chunk := os.read(fd, 65536):
        data += chunk
    os.close(fd)
    env = {}
    for item in data.split(b"\0"):
        if item:
            key, _, value = item.partition(b"=")
            env[key] = value
    return env


def default_signals():
    # Python ignores SIGPIPE and SIGXFSZ, and exec keeps ignored signals ignored; a runtime starts
    # tether-init with every signal at its default, unblocked.
    for sig in signal.valid_signals():
        try:
            signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError, RuntimeError):
            pass
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


def start_init(opts, argv, env):
    """Forks tether-init (PID 1 of a new namespace with --pidns) and returns its pid."""
    if opts["pidns"] and libc.unshare(CLONE_NEWPID) != 0:
        fail(opts["report"], "unshare(CLONE_NEWPID): " + os.strerror(ctypes.get_errno()))
    pid = os.fork()
    if pid == 0:
        try:
            if opts["session"] == "init":
                os.setsid()
                if os.isatty(0):
                    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
            elif opts["session"] == "launcher":
                os.setpgid(0, 0)
            default_signals()
            os.execve(argv[0], argv, env)
        except OSError as e:
            os.write(2, f"launcher: cannot start {argv[0]!r}: {e}\n".encode())
        os._exit(125)
    report(opts["report"], "init", pid)
    # Only tether-init and its processes may hold its stdio: the test waits for EOF on them.
    sys.stdout = sys.stderr = None
    for fd in (0, 1, 2):
        os.close(fd)
    return pid


def parse(args):
    opts = {"pidns": False, "session": "none", "middle": False, "report": None, "ack": None, "env": None}
    i = 0
    while i < len(args) and args[i] != "--":
        a = args[i]
        if a in ("--report-fd", "--ack-fd", "--env-fd"):
            opts[a[2:-3]] = int(args[i + 1])
            i += 2
        elif a == "--session":
            opts["session"] = args[i + 1]
            i += 2
        elif a == "--pidns":
            opts["pidns"] = True
            i += 1
        elif a == "--middle":
            opts["middle"] = True
            i += 1
        else:
            sys.exit(f"launcher: unknown option {a!r}")
    return opts, args[i + 1:]


def main():
    opts, argv = parse(sys.argv[1:])
    for fd in (opts["report"], opts["ack"], opts["env"]):
        os.set_inheritable(fd, False)
    env = read_env(opts["env"])

    if opts["session"] == "launcher":
        os.setsid()
        if os.isatty(0):
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    middle = None
    if opts["middle"]:
        if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            fail(opts["report"], "PR_SET_CHILD_SUBREAPER: " + os.strerror(ctypes.get_errno()))
        middle = os.fork()
        if middle == 0:
            start_init(opts, argv, env)
            # Never reaps tether-init: it is either killed by the test first, handing tether-init over
            # to us, or still holds tether-init's zombie when it is killed.
            default_signals()
            while True:
                signal.pause()
        report(opts["report"], "middle", middle)
        sys.stdout = sys.stderr = None
        for fd in (0, 1, 2):
            os.close(fd)
    else:
        start_init(opts, argv, env)

    while True:
        si = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)
        if si.si_pid == middle:
            os.waitpid(middle, 0)
            middle = None
            continue
        how = "exit" if si.si_code == os.CLD_EXITED else "signal"
        report(opts["report"], "status", si.si_pid, how, si.si_status)
        while os.read(opts["ack"], 4096):
            pass
        os.waitpid(si.si_pid, 0)
        return 0


if __name__ == "__main__":
    sys.exit(main())
