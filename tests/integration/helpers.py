"""Harness for the tether-init integration tests.

Init starts tether-init through launcher.py (PID 1 of a new PID namespace, or not), usually with
agent.py as its program, and reads everything it needs (the launcher's reports, the agents' events,
tether-init's stdout and stderr, a pty) with select() from pipes. Nothing sleeps to synchronise: each wait
is for a line on a pipe or for a pidfd, and its timeout only bounds a failure. Everything a test starts is
killed by pidfd when it ends, never by name.
"""

import json
import os
import select
import signal
import subprocess
import sys
import termios
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCHER = os.path.join(HERE, "launcher.py")
AGENT = os.path.join(HERE, "agent.py")
PYTHON = sys.executable
TIMEOUT = float(os.environ.get("TETHER_TEST_TIMEOUT", "10"))  # bounds failures only
# The tests' barrier: real-time, so queued rather than merged, and numbered above every signal under test,
# so that whatever was pending before it is handed out (by tether-init's signalfd and by the agent's
# sigwaitinfo()) before it. Once a barrier sent to tether-init has reached the agent, every signal sent
# to tether-init before it has been forwarded, and received if it was going to be.
BARRIER = signal.SIGRTMAX
DEFAULT_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin"}


class Agent:
    """Stands for agent.py's command line in Init's argument list."""

    def __init__(self, role="main", default=()):
        self.role = role
        self.default = list(default)

    def argv(self, evt, cmd, storm):
        argv = [PYTHON, "-I", "-S", AGENT, "--role", self.role, "--evt", str(evt), "--cmd", str(cmd)]
        for sig in self.default:
            argv += ["--default", sig]
        if storm:
            argv += ["--storm", storm]
        return argv


def pidfd_open_checked(pid, start):
    """A pidfd for pid if it is still the process that started at start (clock ticks), else None."""
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return None
    if start is not None and proc_start_time(pid) != start:
        os.close(fd)
        return None
    return fd


def proc_stat(pid):
    """(state, ppid, start time) from /proc/PID/stat, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return fields[0].decode(), int(fields[1]), int(fields[19])


def proc_state(pid):
    st = proc_stat(pid)
    return st[0] if st else None


def proc_start_time(pid):
    st = proc_stat(pid)
    return st[2] if st else None


def children_of(pid):
    kids = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids += [int(p) for p in f.read().split()]
        except OSError:
            pass
    return kids


def descendants_of(pid):
    found, todo = [], [pid]
    while todo:
        for kid in children_of(todo.pop()):
            found.append(kid)
            todo.append(kid)
    return found


def kill_by_pidfd(fd, sig=signal.SIGKILL):
    try:
        signal.pidfd_send_signal(fd, sig)
    except ProcessLookupError:
        pass


def pidfd_reaped(fd, timeout):
    """Waits until the process behind fd has been reaped by its parent: the pidfd reports POLLHUP then,
    and only POLLIN while it is a zombie."""
    p = select.poll()
    p.register(fd, select.POLLHUP)
    return bool(p.poll(max(0, timeout) * 1000))


def pidfd_exited(fd, timeout):
    """Waits until the process behind fd has exited (zombie or reaped)."""
    r, _, _ = select.select([fd], [], [], max(0, timeout))
    return bool(r)


def ns_of(pid):
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def processes_in_ns(ns):
    """Host pids and states of every process in PID namespace ns."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit() and ns_of(name) == ns:
            state = proc_state(name)
            if state:
                found.append((int(name), state))
    return found


def fill_pipe(write_fd):
    """Fills the pipe behind write_fd without making write_fd itself non-blocking: O_NONBLOCK belongs to
    the open file description, so it is set on a second one, opened through /proc."""
    fd = os.open(f"/proc/self/fd/{write_fd}", os.O_WRONLY | os.O_NONBLOCK)
    total = 0
    try:
        for size in (65536, 4096, 1):
            while True:
                try:
                    total += os.write(fd, b"x" * size)
                except BlockingIOError:
                    break
    finally:
        os.close(fd)
    return total


class Init:
    """One tether-init, started through launcher.py. args is its command line after the binary; an
    Agent in it is replaced by agent.py's. Call close() (the start fixture does) to kill what is left."""

    def __init__(self, binary, args, *, pidns=True, env=None, session="none", middle=False, tty=False,
                 tostop=False, stderr_fd=None, storm=None):
        self.binary = binary
        self.pidns = pidns
        self.pid = None
        self.pidfd = None
        self.middle = None
        self.middle_fd = None
        self.status = None
        self.ns = None
        self.events = []
        self.out = bytearray()
        self.err = bytearray()
        self.tty_out = bytearray()
        self.visitor_out = bytearray()
        self.master = None
        self.popen = None
        self.visitors = []
        self._owned = []   # pidfds of everything that reported itself, killed on close()
        self._buf = {}
        self._fds = {}     # fd -> name, while open for reading
        self._barriers = {}
        self._to_close = []
        env = dict(DEFAULT_ENV if env is None else env)

        report_r, report_w = os.pipe()
        ack_r, self.ack_w = os.pipe()
        env_r, env_w = os.pipe()
        self.evt_r, self.evt_w = os.pipe()
        self.cmd_r, self.cmd_w = os.pipe()
        self._to_close += [report_r, self.ack_w, self.evt_r, self.evt_w, self.cmd_r, self.cmd_w]
        child_fds = [report_w, ack_r, env_r]
        self.storm = storm

        argv = [binary]
        for a in args:
            argv += a.argv(self.evt_w, self.cmd_r, storm) if isinstance(a, Agent) else [a]
        self.argv = argv

        os.write(env_w, b"".join(_b(k) + b"=" + _b(v) + b"\0" for k, v in env.items()))
        os.close(env_w)

        if tty:
            self.master, slave = os.openpty()
            self._to_close.append(self.master)
            if tostop:
                # Background jobs that write to the terminal get SIGTTOU.
                attrs = termios.tcgetattr(slave)
                attrs[3] |= termios.TOSTOP
                termios.tcsetattr(slave, termios.TCSANOW, attrs)
            stdin = stdout = stderr = slave
            child_fds.append(slave)
        else:
            stdin_r, self.stdin_w = os.pipe()
            out_r, out_w = os.pipe()
            self._to_close += [self.stdin_w, out_r]
            child_fds += [stdin_r, out_w]
            stdin, stdout = stdin_r, out_w
            self._fds[out_r] = "out"
            if stderr_fd is None:
                err_r, err_w = os.pipe()
                self._to_close.append(err_r)
                child_fds.append(err_w)
                self._fds[err_r] = "err"
                stderr = err_w
            else:
                stderr = stderr_fd
        self._fds[report_r] = "report"
        self._fds[self.evt_r] = "evt"
        if self.master is not None:
            self._fds[self.master] = "tty"

        cmd = [PYTHON, "-I", "-S", LAUNCHER, "--report-fd", str(report_w), "--ack-fd", str(ack_r),
               "--env-fd", str(env_r), "--session", session]
        if pidns:
            cmd.append("--pidns")
        if middle:
            cmd.append("--middle")
        cmd += ["--"] + argv
        try:
            # The agents' pipes only for agents: tether-init must pass on exactly what it was given.
            agent_fds = [self.evt_w, self.cmd_r] if any(isinstance(a, Agent) for a in args) else []
            self.popen = subprocess.Popen(cmd, stdin=stdin, stdout=stdout, stderr=stderr,
                                          pass_fds=[report_w, ack_r, env_r] + agent_fds)
        finally:
            for fd in child_fds:
                os.close(fd)
        try:
            self._until(lambda: self.pid is not None and (not middle or self.middle is not None),
                        "the launcher to report tether-init's pid")
        except BaseException:
            self.close()
            raise

    # -- reading -------------------------------------------------------------------------------------

    def pump(self, timeout):
        """Reads whatever arrives within timeout; returns False if nothing is left open to read."""
        if not self._fds:
            return False
        ready, _, _ = select.select(list(self._fds), [], [], max(0, timeout))
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:   # EIO: the pty's slave side is closed
                data = b""
            name = self._fds[fd]
            if not data:
                del self._fds[fd]
                continue
            if name == "out":
                self.out += data
            elif name == "err":
                self.err += data
            elif name == "tty":
                self.tty_out += data
            elif name == "visitor":
                self.visitor_out += data
            else:
                self._lines(fd, name, data)
        return True

    def _lines(self, fd, name, data):
        buf = self._buf.get(fd, b"") + data
        *lines, self._buf[fd] = buf.split(b"\n")
        for line in lines:
            if name == "report":
                self._report(line.decode().split())
            else:
                self._event(json.loads(line))

    def _report(self, words):
        print("launcher:", " ".join(words))
        if words[0] == "init":
            self.pid = int(words[1])
            self.pidfd = os.pidfd_open(self.pid)   # safe: the launcher keeps its zombie until ack
            self.ns = ns_of(self.pid)
        elif words[0] == "middle":
            self.middle = int(words[1])
            self.middle_fd = os.pidfd_open(self.middle)   # it waits to be killed, never exits by itself
        elif words[0] == "status":
            self.status = (words[2], int(words[3]))
        elif words[0] == "error":
            raise AssertionError("launcher: " + " ".join(words[1:]))

    def _event(self, e):
        print("event:", e)
        self.events.append(e)
        if "host" in e:
            fd = pidfd_open_checked(e["host"], e.get("start"))
            if fd is not None:
                self._owned.append(fd)

    def _until(self, cond, what, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while not cond():
            left = deadline - time.monotonic()
            if left <= 0 or not self.pump(left):
                if cond():
                    break
                raise AssertionError(f"timed out after {timeout}s waiting for {what}\n" + self.dump())

    def dump(self):
        return (f"argv: {self.argv}\nstatus: {self.status}\nstderr: {bytes(self.err)!r}\n"
                f"stdout: {bytes(self.out)!r}\ntty: {bytes(self.tty_out)!r}\n"
                f"visitors: {bytes(self.visitor_out)!r}\nevents: {self.events}")

    # -- agents --------------------------------------------------------------------------------------

    def find(self, **match):
        return [e for e in self.events if all(e.get(k) == v for k, v in match.items())]

    def wait_event(self, timeout=TIMEOUT, count=1, **match):
        """The count-th event matching all of match."""
        self._until(lambda: len(self.find(**match)) >= count, f"event {match} #{count}", timeout)
        return self.find(**match)[count - 1]

    def ready(self, role="main"):
        return self.wait_event(role=role, ev="ready")

    def spawned(self, role):
        return self.wait_event(role=role, ev="spawned")

    def cmd(self, text, wait=True):
        before = len(self.find(role="main", ev="done"))
        os.write(self.cmd_w, (text + "\n").encode())
        if wait:
            return self.wait_event(role="main", ev="done", count=before + 1)
        return None

    def signals(self, role="main", sig=None):
        """(signal, sender) pairs that role has received, in order."""
        return [(e["sig"], e["frm"]) for e in self.find(role=role, ev="sig")
                if sig is None or e["sig"] == sig]

    def sender(self):
        """The pid an agent sees on what tether-init forwards: 1 in its namespace, else its host pid."""
        return 1 if self.pidns else self.pid

    def send(self, sig):
        signal.pidfd_send_signal(self.pidfd, sig)

    def barrier(self, role="main", to_init=True, pidfd=None):
        """Sends BARRIER to tether-init (or straight to pidfd) and waits for role to report it."""
        n = self._barriers.get(role, 0) + 1
        self._barriers[role] = n
        if to_init:
            self.send(BARRIER)
        else:
            signal.pidfd_send_signal(pidfd, BARRIER)
        return self.wait_event(role=role, ev="sig", sig=BARRIER, count=n)

    def pidfd_of(self, event):
        """A pidfd of the process that sent event (taken when the event was read), or None."""
        fd = pidfd_open_checked(event["host"], event.get("start"))
        if fd is not None:
            self._owned.append(fd)
        return fd

    # -- tether-init ---------------------------------------------------------------------------------

    def wait(self, timeout=TIMEOUT):
        """tether-init's exit status: its code, or -N if signal N killed it."""
        self._until(lambda: self.status is not None, "tether-init to exit", timeout)
        how, n = self.status
        return n if how == "exit" else -n

    def finish(self, timeout=TIMEOUT):
        """wait(), then read stdout and stderr to their end."""
        rc = self.wait(timeout)
        self._until(lambda: not ({"out", "err"} & set(self._fds.values())), "EOF on stdout and stderr",
                    timeout)
        return rc

    def state(self):
        return proc_state(self.pid)

    def wait_listening(self, timeout=TIMEOUT):
        """Waits until tether-init reads its signals (its signalfd exists: it is opened after the signals
        are blocked). The one wait here that polls: with --pause there is no program to report that
        tether-init is ready, and no event but this state. It polls /proc every few ms, bounded."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                links = [os.readlink(f"/proc/{self.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{self.pid}/fd")]
            except OSError:
                links = []
            if "anon_inode:[signalfd]" in links:
                return
            self.pump(0.005)
        raise AssertionError("tether-init never opened its signalfd\n" + self.dump())

    def ns_processes(self):
        return processes_in_ns(self.ns)

    def zombies_in_ns(self):
        return [pid for pid, state in self.ns_processes() if state == "Z"]

    def kill_middle(self):
        signal.pidfd_send_signal(self.middle_fd, signal.SIGKILL)
        assert pidfd_exited(self.middle_fd, TIMEOUT), "the middle launcher did not die"

    def visit(self, role="visitor"):
        """Runs an agent that enters tether-init's PID namespace with setns() (nsenter), as `docker
        exec` does: it is in the namespace but no descendant of tether-init."""
        v = Visitor(self, role)
        self.visitors.append(v)
        return v

    def stderr_lines(self):
        return bytes(self.err).decode(errors="replace").splitlines()

    def close(self):
        if self.pid is not None and self.status is None:
            if not self.pidns:
                # Its program and what that left are not killed with it outside a namespace.
                for pid in descendants_of(self.pid):
                    fd = pidfd_open_checked(pid, None)
                    if fd is not None:
                        self._owned.append(fd)
            kill_by_pidfd(self.pidfd)
        for fd in self._owned:
            kill_by_pidfd(fd)
        for v in self.visitors:
            v.close()
        if self.middle_fd is not None:
            kill_by_pidfd(self.middle_fd)
        for fd in (self.cmd_w, getattr(self, "stdin_w", None)):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
                if fd in self._to_close:
                    self._to_close.remove(fd)
        try:
            if self.pid is not None:
                self._until(lambda: self.status is not None, "tether-init to die on close")
        finally:
            os.close(self.ack_w)
            self._to_close.remove(self.ack_w)
            if self.popen is not None:
                try:
                    self.popen.wait(TIMEOUT)
                except subprocess.TimeoutExpired:
                    self.popen.kill()
                    self.popen.wait()
            for fd in self._to_close + self._owned + [self.pidfd, self.middle_fd]:
                if fd is not None:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            self._to_close = []
            self._owned = []


class Visitor:
    """An agent started in an Init's PID namespace by nsenter; its events arrive with the Init's."""

    def __init__(self, init, role):
        self.init = init
        self.role = role
        cmd_r, self.cmd_w = os.pipe()
        out_r, out_w = os.pipe()
        argv = ["nsenter", "--target", str(init.pid), "--pid", "--"] + \
            Agent(role).argv(init.evt_w, cmd_r, None)
        try:
            self.popen = subprocess.Popen(argv, stdin=cmd_r, stdout=out_w, stderr=out_w,
                                          pass_fds=[init.evt_w, cmd_r])
        finally:
            os.close(cmd_r)
            os.close(out_w)
        init._fds[out_r] = "visitor"
        init._to_close.append(out_r)

    def cmd(self, text, wait=True):
        before = len(self.init.find(role=self.role, ev="done"))
        os.write(self.cmd_w, (text + "\n").encode())
        if wait:
            return self.init.wait_event(role=self.role, ev="done", count=before + 1)
        return None

    def close(self):
        if self.cmd_w is not None:
            os.close(self.cmd_w)
            self.cmd_w = None
        try:
            self.popen.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def _b(s):
    return s if isinstance(s, bytes) else os.fsencode(s)


def run_direct(binary, args, env=None, timeout=TIMEOUT):
    """Runs tether-init as a plain child (not PID 1, no agent), with pipes for its stdio; for command line
    checks that end by themselves. Returns the CompletedProcess."""
    return subprocess.run([binary] + list(args), input=b"", capture_output=True, timeout=timeout,
                          env=DEFAULT_ENV if env is None else env)
