"""Harness for the runtime's integration tests (test_runtime_*.py): real containers of `tether`, run as root
from a busybox-static rootfs, in real namespaces.

Every test gets a Tether (the `rt` fixture): its own state root (--root), its own work directory and a
marker string that its containers carry in their argv. Containers get their own stdio, three pipes
(Stdio), never ours and never /dev/null. Nothing sleeps to synchronise: the harness waits for output on a
pipe, for a pidfd, or for tether to exit, and every timeout only bounds a failure. When the test ends,
every container it made is deleted by id with --force, their processes are waited for by pidfd, and the
state root must be empty and no process of the test left (else the teardown fails the test).

The tests run only when TETHER names the binary (meson's 'runtime' test sets it), so that the 'init' test,
which collects this whole directory, does not run them a second time.
"""

import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import pytest

from helpers import TIMEOUT, pidfd_exited

TETHER = os.environ.get("TETHER")
TETHER_INIT = os.environ.get("TETHER_INIT")
BUSYBOX = shutil.which("busybox", path="/bin:/usr/bin:/sbin:/usr/sbin")

# docker's default capabilities (moby/moby:oci/caps/defaults.go) as /proc/PID/status shows them.
DOCKER_CAPS = 0x00000000A80425FB
CAP = {"CHOWN": 0, "DAC_OVERRIDE": 1, "FOWNER": 3, "KILL": 5, "NET_BIND_SERVICE": 10, "NET_RAW": 13,
       "SYS_CHROOT": 18, "SYS_ADMIN": 21, "SYS_PTRACE": 19, "MKNOD": 27, "AUDIT_WRITE": 29}

NAMESPACES = ("pid", "net", "ipc", "uts", "mnt", "cgroup", "user", "time")


def skip_unless_selected():
    """Called at the top of each test_runtime_*.py: without TETHER the module is left out, silently (it is
    not collected, so the 'init' test's TAP plan does not count it)."""
    if not TETHER:
        pytest.skip("set TETHER to the tether binary (meson test --suite integration does)",
                    allow_module_level=True)


def _missing_prerequisite():
    if os.geteuid() != 0:
        return "needs root, for namespaces and mounts"
    if not os.access(TETHER, os.X_OK):
        return f"TETHER={TETHER} is not an executable"
    if BUSYBOX is None:
        return "no busybox (busybox-static) for the containers' rootfs"
    with open(BUSYBOX, "rb") as f:
        elf = f.read(1 << 16)
    if b"\0/lib" in elf and b"ld-linux" in elf:
        return f"{BUSYBOX} is dynamically linked: install busybox-static"
    return None


# -- the rootfs ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def base():
    """A session directory that others may traverse (0755): a container in a user namespace opens its rootfs
    and bind mount sources as its mapped root, which pytest's 0700 tmp directories would refuse."""
    reason = _missing_prerequisite()
    if reason:
        pytest.skip(reason)
    d = tempfile.mkdtemp(prefix="tether-rt-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def rootfs(base):
    """bin/busybox (static) with a symlink per applet, and the usual empty directories; built once."""
    root = os.path.join(base, "rootfs")
    os.makedirs(os.path.join(root, "bin"))
    shutil.copy2(BUSYBOX, os.path.join(root, "bin", "busybox"))
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, check=True, input=b"").stdout.split()
    for a in applets:
        name = a.decode()
        if name != "busybox" and "/" not in name:
            os.symlink("busybox", os.path.join(root, "bin", name))
    for d in ("proc", "sys", "dev", "tmp", "etc", "root", "mnt"):
        os.mkdir(os.path.join(root, d), 0o755)
    os.chmod(os.path.join(root, "tmp"), 0o1777)
    for path in (root, os.path.join(root, "bin")):
        os.chmod(path, 0o755)
    return root


# -- one container's stdio -------------------------------------------------------------------------------


class Stdio:
    """A container's stdin, stdout and stderr: three pipes. tether gets the child ends and passes them on
    to the container; the test writes stdin_w and reads out and err."""

    def __init__(self):
        self.stdin_r, self.stdin_w = os.pipe()
        self.out_r, self.out_w = os.pipe()
        self.err_r, self.err_w = os.pipe()
        self.out = bytearray()
        self.err = bytearray()
        self._open = {self.out_r: self.out, self.err_r: self.err}
        self._child = [self.stdin_r, self.out_w, self.err_w]

    def popen_kwargs(self):
        return dict(stdin=self.stdin_r, stdout=self.out_w, stderr=self.err_w)

    def close_child_ends(self):
        for fd in self._child:
            os.close(fd)
        self._child = []

    def pump(self, timeout):
        """Reads what arrives within timeout; False once both pipes are at EOF."""
        if not self._open:
            return False
        ready, _, _ = select.select(list(self._open), [], [], max(0, timeout))
        for fd in ready:
            data = os.read(fd, 65536)
            if data:
                self._open[fd] += data
            else:
                del self._open[fd]
        return True

    def until(self, cond, what, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while not cond():
            left = deadline - time.monotonic()
            if left <= 0 or not self.pump(left):
                if cond():
                    return
                raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{self.dump()}")

    def wait_line(self, line, stream="out", timeout=TIMEOUT):
        """Waits for a whole line on stdout (or stderr)."""
        buf = self.out if stream == "out" else self.err
        self.until(lambda: line.encode() in bytes(buf).splitlines(), f"{line!r} on std{stream}", timeout)

    def finish(self, timeout=TIMEOUT):
        """Reads stdout and stderr to their EOF: every holder of the write ends is gone."""
        self.until(lambda: not self._open, "EOF on the container's stdout and stderr", timeout)
        return self.text()

    def text(self):
        return bytes(self.out).decode(errors="replace"), bytes(self.err).decode(errors="replace")

    def write(self, data):
        os.write(self.stdin_w, data.encode() if isinstance(data, str) else data)

    def dump(self):
        return f"stdout: {bytes(self.out)!r}\nstderr: {bytes(self.err)!r}"

    def close(self):
        for fd in self._child + [self.stdin_w] + list(self._open):
            try:
                os.close(fd)
            except OSError:
                pass
        self._child = []
        self._open = {}


# -- a created container ---------------------------------------------------------------------------------


class Container:
    """A container made by `tether create`: its id, its stdio, and a pidfd of its process taken while it
    waits for `start` (it cannot exit by itself before)."""

    def __init__(self, rt, cid, stdio, returncode, pid_file):
        self.rt = rt
        self.id = cid
        self.stdio = stdio
        self.returncode = returncode
        self.pid = None
        self.pidfd = None
        self.pid_file = pid_file
        if returncode == 0 and os.path.exists(pid_file):
            with open(pid_file) as f:
                self.pid = int(f.read())
            self.pidfd = os.pidfd_open(self.pid)
            rt._pidfds.append(self.pidfd)

    def start(self):
        r = self.rt.tether("start", self.id)
        assert r.returncode == 0, r.stderr
        return r

    def state(self):
        return self.rt.state(self.id)

    def status(self):
        return self.state()["status"]

    def kill(self, *args):
        r = self.rt.tether("kill", self.id, *args)
        assert r.returncode == 0, r.stderr
        return r

    def wait_exit(self, timeout=TIMEOUT):
        assert pidfd_exited(self.pidfd, timeout), f"container {self.id} did not exit\n{self.stdio.dump()}"

    def exited(self):
        return pidfd_exited(self.pidfd, 0)

    def delete(self, *args):
        r = self.rt.tether("delete", *args, self.id)
        assert r.returncode == 0, r.stderr
        return r


# -- cgroups -----------------------------------------------------------------------------------------------


def default_cgroup_parents(name="tether"):
    """Where tether puts a container without linux.cgroupsPath: <own group>/tether in every hierarchy (or
    <own group>/NAME, for a parent of that name)."""
    own = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            own["" if not controllers else controllers] = path
    dirs = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            fstype, options, mount, root = fields[sep + 1], set(fields[sep + 3].split(",")), fields[4], fields[3]
            for controllers, path in own.items():
                if (fstype == "cgroup2" and controllers == "") or \
                        (fstype == "cgroup" and controllers and set(controllers.split(",")) <= options):
                    below = path[len(root):] if root != "/" and path.startswith(root) else path
                    dirs.append(os.path.join(mount + below, name))
    return dirs


# -- one test's runtime ----------------------------------------------------------------------------------


class Tether:
    """`tether --root <own state dir>` for one test, and what it made, removed on close()."""

    def __init__(self, base, rootfs):
        self.rootfs = rootfs
        self.work = tempfile.mkdtemp(prefix="t-", dir=base)
        os.chmod(self.work, 0o755)
        self.root = os.path.join(self.work, "state")
        self.marker = "tether-test-" + uuid.uuid4().hex[:12]
        self.binary = TETHER   # a test that attacks the binary itself runs a copy
        self.ids = []
        self._pidfds = []
        self._stdios = []
        self._popens = []
        self._bundles = 0
        self._creates = 0
        # The default cgroup parents this test may make (those missing now); removed at close if empty.
        self._cgroup_parents = [d for d in default_cgroup_parents() if not os.path.exists(d)]
        # The containers of config() and run() go below a parent of this test's own, named by its marker, so
        # that tests running side by side never meet in a cgroup; removed at close.
        self._cgroup_parents += default_cgroup_parents(self.marker)

    # -- running tether ------------------------------------------------------------------------------

    def argv(self, *args):
        return [self.binary, "--root", self.root] + [str(a) for a in args]

    def tether(self, *args, timeout=TIMEOUT):
        """Runs a verb that leaves no process behind (state, list, kill, delete, start, or a foreground
        `run`): its stdin is an empty pipe, its output is captured."""
        for cid in _ids_in(args):
            self._track(cid)
        return subprocess.run(self.argv(*args), input=b"", capture_output=True, timeout=timeout)

    def spawn(self, *args, stdio=None, fd3=None):
        """Starts tether with the container's own pipes for stdio, and fd3 (if given) as its fd 3;
        returns (Popen, Stdio)."""
        stdio = stdio or self.stdio()
        for cid in _ids_in(args):
            self._track(cid)
        extra = {}
        if fd3 is not None:
            # Not dup2()ed here: our own fd 3 is pytest's. The child's, between fork and exec.
            extra = dict(pass_fds=[3], preexec_fn=lambda: os.dup2(fd3, 3))
        try:
            p = subprocess.Popen(self.argv(*args), **extra, **stdio.popen_kwargs())
        finally:
            stdio.close_child_ends()
        self._popens.append(p)
        return p, stdio

    def stdio(self):
        s = Stdio()
        self._stdios.append(s)
        return s

    def _track(self, cid):
        if cid not in self.ids:
            self.ids.append(cid)

    # -- containers ----------------------------------------------------------------------------------

    def sh(self, script):
        """A shell command line whose $0 is this test's marker, so that its processes can be found."""
        return ["sh", "-c", script, self.marker]

    def config(self, args, **overrides):
        """A minimal bundle config: the busybox rootfs, /proc and a /dev tmpfs (devices are made there, not in
        the shared rootfs), new pid, mount, ipc, uts and network namespaces."""
        c = {
            "ociVersion": "1.0.2",
            "root": {"path": self.rootfs},
            "process": {"args": list(args), "env": ["PATH=/bin", "HOME=/root"], "cwd": "/",
                        "user": {"uid": 0, "gid": 0}},
            "mounts": [
                {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
                {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]},
            ],
            "linux": {"namespaces": [{"type": t} for t in ("pid", "mount", "ipc", "uts", "network")],
                      "cgroupsPath": self.marker + "/"},   # a parent: the container's id is added below it
        }
        c.update(overrides)
        return c

    def bundle(self, config, text=None):
        """Writes a bundle directory with config.json (the dict, or text as is); returns its path."""
        self._bundles += 1
        path = os.path.join(self.work, f"bundle{self._bundles}")
        os.mkdir(path)
        with open(os.path.join(path, "config.json"), "w") as f:
            f.write(text if text is not None else json.dumps(config, indent=2))
        return path

    def create(self, cid, bundle, *opts, check=True, fd3=None):
        """`tether create --bundle B --pid-file F OPTS ID`, with the container's own pipes. Waits for create
        to exit, not for EOF: the container keeps the pipes."""
        self._creates += 1
        pid_file = os.path.join(self.work, f"create{self._creates}.pid")   # not named by the id: it may be bad
        p, stdio = self.spawn("create", "--bundle", bundle, "--pid-file", pid_file, *opts, cid, fd3=fd3)
        try:
            rc = p.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"tether create {cid} did not return\n{stdio.dump()}")
        if rc != 0:
            stdio.finish()   # its process is gone, killed by create
        c = Container(self, cid, stdio, rc, pid_file)
        if check:
            assert rc == 0, f"create {cid} failed ({rc})\n{stdio.dump()}"
        return c

    def run(self, *opts, cmd, cid="c", timeout=TIMEOUT):
        """Friendly `tether run --rootfs ROOTFS OPTS ID -- CMD` in the foreground; returns CompletedProcess."""
        return self.tether("run", "--rootfs", self.rootfs, "--cgroup-parent", self.marker, *opts, cid, "--", *cmd,
                           timeout=timeout)

    def run_sh(self, script, *opts, cid="c"):
        """run() of a shell script; asserts it succeeded and returns its stdout."""
        r = self.run(*opts, cmd=self.sh(script), cid=cid)
        assert r.returncode == 0, f"rc {r.returncode}\nstdout: {r.stdout!r}\nstderr: {r.stderr!r}"
        return r.stdout.decode()

    def run_bundle(self, config, cid="b", timeout=TIMEOUT):
        """`tether run --bundle B ID` of config in the foreground; returns CompletedProcess."""
        return self.tether("run", "--bundle", self.bundle(config), cid, timeout=timeout)

    def state(self, cid):
        r = self.tether("state", cid)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    # -- what is left --------------------------------------------------------------------------------

    def state_entries(self):
        try:
            return sorted(os.listdir(self.root))
        except FileNotFoundError:
            return []

    def processes(self):
        """Host pids of the live processes of this test: a container's (its argv has the marker), or
        tether's and a container's before it execs (a fork of tether: its argv has our --root)."""
        found = []
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) == os.getpid():
                continue
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    cmdline = f.read()
            except OSError:
                continue
            if self.marker.encode() in cmdline or self.root.encode() + b"\0" in cmdline:
                found.append(int(name))
        return found

    def mounts(self):
        """Host mounts under this test's directory or the rootfs (none should ever be)."""
        with open("/proc/self/mountinfo") as f:
            return [line for line in f if self.work in line or self.rootfs in line]

    def assert_nothing_left(self, keep=()):
        """No state directory (but those of keep), no process, no mount behind."""
        assert self.state_entries() == sorted(keep), f"state left in {self.root}"
        assert self.processes() == [], "processes left behind"
        assert self.mounts() == [], "mounts left behind"

    def close(self):
        errors = []
        # A `tether run` still running first: its container then stays, with its state, for delete.
        for p in self._popens:
            if p.poll() is None:
                p.kill()
            p.wait(TIMEOUT)
        for cid in self.ids:
            pidfd = None
            r = subprocess.run(self.argv("state", cid), input=b"", capture_output=True, timeout=TIMEOUT)
            if r.returncode == 0:
                pid = json.loads(r.stdout).get("pid", 0)
                if pid > 0:
                    try:
                        pidfd = os.pidfd_open(pid)
                    except OSError:
                        pidfd = None
                r = subprocess.run(self.argv("delete", "--force", cid), input=b"", capture_output=True,
                                   timeout=TIMEOUT)
                if r.returncode != 0:
                    errors.append(f"delete --force {cid}: {r.stderr!r}")
            if pidfd is not None:
                if not pidfd_exited(pidfd, TIMEOUT):
                    errors.append(f"container {cid} survived delete --force")
                os.close(pidfd)
        for d in self._cgroup_parents:
            try:
                os.rmdir(d)
            except OSError:
                pass   # never made, or not empty: someone else's by now
        for fd in self._pidfds:
            os.close(fd)
        for s in self._stdios:
            s.close()
        left = self.state_entries()
        procs = self.processes()
        mounts = self.mounts()
        if not mounts:
            shutil.rmtree(self.work, ignore_errors=True)
        if errors or left or procs or mounts:
            raise AssertionError(f"left behind: {errors} state={left} processes={procs} mounts={mounts}")


def _ids_in(args):
    """The container id of a verb's argv: its last word for the verbs that take one (create, start, state,
    kill, delete); `run` and `kill ID SIG` pass ids to Tether explicitly. No id starts with '-': such a
    last word is an option (`state --help`)."""
    args = [str(a) for a in args]
    if not args:
        return []
    verb, found = args[0], []
    if verb in ("create", "start", "state", "delete") and len(args) >= 2:
        found = [args[-1]]
    elif verb == "run":
        found = [args[args.index("--") - 1]] if "--" in args else [args[-1]]
    return [cid for cid in found if not cid.startswith("-")]


@pytest.fixture
def rt(base, rootfs):
    t = Tether(base, rootfs)
    yield t
    t.close()


# -- reading what a container printed ----------------------------------------------------------------------


def parse_status(text):
    """/proc/PID/status lines ("Key:\tvalue") as a dict."""
    out = {}
    for line in text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out


def parse_mountinfo(text):
    """/proc/PID/mountinfo as a list of dicts (mount point, root, options, fstype, source, super options)."""
    mounts = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 10 or "-" not in fields:
            continue
        sep = fields.index("-")
        mounts.append({"root": fields[3], "target": fields[4], "options": set(fields[5].split(",")),
                       "fstype": fields[sep + 1], "source": fields[sep + 2],
                       "super": set(fields[sep + 3].split(","))})
    return mounts


def mount_at(mounts, target):
    """The top mount at target (the last one listed), or None."""
    found = [m for m in mounts if m["target"] == target]
    return found[-1] if found else None


def wait_signalfd(pid, stdio=None, timeout=TIMEOUT):
    """Waits until process pid has a signalfd open: `tether run` reads the signals it forwards from one, and
    until then a signal would kill it. The one wait that polls, as helpers.Init.wait_listening: nothing
    reports this state. It checks /proc every few ms (reading the container's output meanwhile), bounded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            links = []
        if "anon_inode:[signalfd]" in links:
            return
        if stdio is not None:
            stdio.pump(0.005)
        else:
            select.select([], [], [], 0.005)
    raise AssertionError(f"process {pid} never opened a signalfd")


def host_ns(name):
    return os.readlink(f"/proc/self/ns/{name}")


def signal_name(sig):
    return signal.Signals(sig).name[3:]
