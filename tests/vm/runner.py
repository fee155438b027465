#!/usr/bin/python3
"""The vm suite's runner: boots a Debian 12 guest with systemd as PID 1 under qemu (TCG) once, brings in
the freshly built tether, tether-init, tether-shim, tether-busd and shimctl (with contrib's units and
D-Bus files for them) and the guest tests, and hands the results back.

  runner.py --build DIR                   the suite: TAP of every guest test on stdout, for meson
  runner.py --build DIR [--share DIR] -- CMD...   CMD in the guest; its output and exit status (run.sh)

The image comes from image.sh (cached under DIR/vm-cache). The root disk is attached with snapshot=on, so
every run starts clean. The guest gets a read-only 9p share with the binaries, the tests and the payload;
tests/vm/image/tether-vm-boot runs it once multi-user.target is reached, with stdout on ttyS1, stderr on
ttyS2, and "ready"/"exit STATUS" on ttyS3, each a unix socket this runner listens on; ttyS0, the console,
goes to a file whose last lines are printed when anything fails.

Never hangs: qemu runs under a deadline (TETHER_VM_TIMEOUT, seconds) and is killed by its pid, which is
ours until we reap it; it also dies with the runner (PR_SET_PDEATHSIG). The run directory (share, sockets,
console log, qemu's snapshot overlay) is removed on every path; after a SIGKILL, by the next runner.

Exit status: the suite's 0 or 1; a command's own status, 124 when the guest timed out, 125 when the vm
could not run it."""

import argparse
import ctypes
import glob
import os
import re
import selectors
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
CI = os.environ.get("CI") == "true"

# Pure cgroup v2 and a quick boot: see ../shared/notes/vm.md. panic=-1 and -no-reboot: a guest that
# panics ends qemu at once instead of hanging.
KERNEL_ARGS = ("console=ttyS0 panic=-1 systemd.unified_cgroup_hierarchy=1 mitigations=off cryptomgr.notests "
               "rcupdate.rcu_expedited=1")
SHIM_BINARIES = ("tether-shim", "tether-busd", "shimctl")
SHIM_CONTRIB = ("systemd/tether-busd.service.in", "systemd/tether@.service.in", "dbus/io.tether.Shim1.conf",
                "dbus/io.tether.Shim1.service.in")
HOST_TOOLS = ("qemu-system-x86_64", "mmdebstrap", "mkfs.ext4", "depmod", "modprobe", "cpio", "xz",
              "apt-get", "dpkg-deb", "flock")
CONSOLE_TAIL = 40
RUN_PREFIX = "tether-vm-run-"
TAP_RESULT = re.compile(r"^(ok|not ok)\b\s*(\d+)?\s*(?:-\s*)?(.*)$")
TAP_PLAN = re.compile(r"^1\.\.(\d+)")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def process_start(pid):
    """The start time of process `pid` (in clock ticks since boot), None if there is none."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def sweep_stale_runs():
    """Removes the run directories of runners killed outright: SIGKILL (meson's, after its SIGTERM) left
    them no chance. A directory is stale when the runner its "owner" file names (pid and start time,
    so a reused pid does not count) is gone; one without the file is still being made."""
    for path in glob.glob(os.path.join(tempfile.gettempdir(), RUN_PREFIX + "*")):
        try:
            with open(os.path.join(path, "owner")) as f:
                pid, start = f.read().split()
        except (OSError, ValueError):
            continue
        if process_start(int(pid)) != start:
            log(f"removing {path}, left by a runner that was killed")
            shutil.rmtree(path, ignore_errors=True)


class Failure(Exception):
    """The vm could not run what it was asked to: the message says why."""


class Interrupted(Exception):
    pass


def log(text):
    sys.stderr.write(f"tether-vm: {text}\n")
    sys.stderr.flush()


def _interrupted(signum, frame):
    raise Interrupted(f"interrupted by {signal.Signals(signum).name}")


def _die_with_parent():
    # In qemu's child before exec: if the runner is killed outright (meson's SIGKILL), qemu goes too.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def binaries(build):
    tether = os.environ.get("TETHER") or os.path.join(build, "runtime", "tether")
    init = os.environ.get("TETHER_INIT") or os.path.join(build, "init", "static", "tether-init")
    for path in (tether, init) + tuple(os.path.join(build, "shim", name) for name in SHIM_BINARIES):
        if not os.access(path, os.X_OK):
            raise Failure(f"no executable '{path}': build first (ninja -C {build})")
    return tether, init


def test_programs():
    """The C test programs meson names in TETHER_VM_PROGRAMS (test-cgroup-v2...), for
    guest/test_cgroup_programs.py."""
    programs = [p for p in os.environ.get("TETHER_VM_PROGRAMS", "").split(":") if p]
    for path in programs:
        if not os.access(path, os.X_OK):
            raise Failure(f"no executable '{path}': build first")
    return programs


class Run:
    """One boot: the run directory, the image, qemu and what came back."""

    def __init__(self, build, cache, timeout, image_timeout, share=None, announce=log):
        self.build = build
        self.cache = cache
        self.timeout = timeout
        self.image_timeout = image_timeout
        self.share = share
        self.announce = announce
        self.dir = tempfile.mkdtemp(prefix=RUN_PREFIX)
        with open(os.path.join(self.dir, "owner"), "w") as f:
            f.write(f"{os.getpid()} {process_start(os.getpid())}\n")
        self.qemu = None
        self.builder = None
        self.image = None
        self.status = None  # the payload's exit status, from ttyS3
        self.qemu_status = None
        self.qemu_rss_kb = None
        self.times = {}
        self.out = bytearray()
        self.ctl = bytearray()

    def close(self):
        # Cleanup runs to its end: a second SIGTERM from meson must not leave qemu or the directory.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGHUP})
        for proc in (self.builder, self.qemu):
            if proc is not None and proc.returncode is None:
                self._kill(proc)
        shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def _kill(proc):
        # Our own child, not yet reaped: its pid cannot have been reused. The image builder leads a
        # session of its own (mmdebstrap and apt below it): end all of it.
        try:
            if proc.pid == os.getpgid(proc.pid):
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                    return
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        except ProcessLookupError:
            pass
        proc.wait()

    # -- the image ---------------------------------------------------------------------------------

    def build_image(self):
        start = time.monotonic()
        self.builder = subprocess.Popen([os.path.join(HERE, "image.sh"), self.cache], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, _ = self.builder.communicate(timeout=self.image_timeout)
        except subprocess.TimeoutExpired:
            self._kill(self.builder)
            raise Failure(f"the image build took longer than {self.image_timeout:.0f} s (TETHER_VM_IMAGE_TIMEOUT)")
        if self.builder.returncode != 0:
            raise Failure(f"the image build failed (image.sh exited {self.builder.returncode}; its log is above)")
        self.image = out.strip().splitlines()[-1]
        self.times["image"] = time.monotonic() - start

    # -- what the guest gets -----------------------------------------------------------------------

    def stage(self, payload, env):
        share = os.path.join(self.dir, "in")
        tether, init = binaries(self.build)
        os.makedirs(os.path.join(share, "bin"))
        shutil.copy(tether, os.path.join(share, "bin", "tether"))
        # the systemd cgroup driver's build, which tether runs from beside itself (runtime/cli-systemd.c)
        shutil.copy(os.path.join(os.path.dirname(tether), "tether-systemd"), os.path.join(share, "bin"))
        shutil.copy(init, os.path.join(share, "bin", "tether-init"))
        # tether-shim, tether-busd and shimctl, and what contrib/ installs for them (guest/start.sh puts
        # both in place, as `meson install` would): guest/test_shim_units.py runs them under systemd.
        for name in SHIM_BINARIES:
            shutil.copy(os.path.join(self.build, "shim", name), os.path.join(share, "bin"))
        for name in SHIM_CONTRIB:
            os.makedirs(os.path.join(share, "contrib", os.path.dirname(name)), exist_ok=True)
            shutil.copy(os.path.join(SOURCE, "contrib", name), os.path.join(share, "contrib", name))
        shutil.copy(os.path.join(HERE, "guest", "start.sh"), os.path.join(share, "start"))
        os.makedirs(os.path.join(share, "bin", "tests"))
        for program in test_programs():
            shutil.copy(program, os.path.join(share, "bin", "tests"))
        shutil.copytree(os.path.join(HERE, "guest"), os.path.join(share, "tests", "vm", "guest"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(os.path.join(SOURCE, "tests", "pytest_tap.py"), os.path.join(share, "tests"))
        # The runtime tests' harness, which guest/test_runtime_cgroup_v2.py shares with the host's tests.
        for name in ("helpers.py", "runtime_helpers.py"):
            shutil.copy(os.path.join(SOURCE, "tests", "integration", name), os.path.join(share, "tests"))
        if self.share:
            env = dict(env, TETHER_VM_SHARE=self.share)
        with open(os.path.join(share, "env"), "w") as f:
            f.writelines(f"export {k}={shlex.quote(v)}\n" for k, v in env.items())
        with open(os.path.join(share, "payload"), "w") as f:
            f.write(payload + "\n")
        return share

    # -- the boot ----------------------------------------------------------------------------------

    def qemu_command(self, share, sockets):
        img = self.image
        cmd = ["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-cpu", "max", "-smp", "2", "-m", "2G",
               "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
               "-kernel", os.path.join(img, "vmlinux"), "-initrd", os.path.join(img, "initrd.cpio"),
               "-append", KERNEL_ARGS,
               "-drive", f"file={os.path.join(img, 'root.img')},format=raw,if=none,id=root,snapshot=on",
               "-device", "virtio-blk-pci,drive=root,serial=vmroot",
               "-virtfs", f"local,path={share},mount_tag=tether-vm-in,security_model=passthrough,readonly=on",
               "-chardev", f"file,id=console,path={os.path.join(self.dir, 'console.log')}",
               "-serial", "chardev:console"]
        if self.share:
            cmd += ["-virtfs", f"local,path={self.share},mount_tag=tether-vm-share,security_model=passthrough"]
        for name in ("out", "err", "ctl"):
            cmd += ["-chardev", f"socket,id={name},path={sockets[name]}", "-serial", f"chardev:{name}"]
        return cmd

    def boot(self, share, on_out, on_err):
        """Runs qemu to its end or the deadline; fills self.status (None: the payload never finished)."""
        sel = selectors.DefaultSelector()
        paths = {name: os.path.join(self.dir, f"{name}.sock") for name in ("out", "err", "ctl")}
        for name, path in paths.items():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
            s.bind(path)
            s.listen(1)
            sel.register(s, selectors.EVENT_READ, ("listen", name))
        sinks = {"out": on_out, "err": on_err, "ctl": self._on_ctl}
        tmp = os.path.join(self.dir, "tmp")  # qemu's snapshot overlay lives (unlinked) here
        os.mkdir(tmp)
        qemu_log = open(os.path.join(self.dir, "qemu.log"), "wb")
        start = time.monotonic()
        env = dict(os.environ, TMPDIR=tmp)
        env.pop("MALLOC_PERTURB_", None)  # meson's: it would slow qemu's every allocation
        self.qemu = subprocess.Popen(self.qemu_command(share, paths), stdin=subprocess.DEVNULL, stdout=qemu_log,
                                     stderr=subprocess.STDOUT, env=env, preexec_fn=_die_with_parent)
        qemu_log.close()
        self.announce(f"qemu pid {self.qemu.pid}, run directory {self.dir}")
        pidfd = os.pidfd_open(self.qemu.pid)
        sel.register(pidfd, selectors.EVENT_READ, ("qemu", None))
        deadline = start + self.timeout
        try:
            while self.qemu.returncode is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._kill(self.qemu)
                    phase = "booting" if "boot" not in self.times else "running the payload"
                    raise Failure(f"timed out after {self.timeout:.0f} s {phase} (TETHER_VM_TIMEOUT); qemu killed")
                for key, _ in sel.select(left):
                    self._dispatch(sel, key, sinks, start)
            # qemu is gone: what it wrote is still in the sockets, up to their EOF.
            for key in list(sel.get_map().values()):
                if key.data[0] != "qemu":
                    self._drain(sel, key, sinks)
        finally:
            for key in list(sel.get_map().values()):
                sel.unregister(key.fileobj)
                if key.data[0] == "qemu":
                    os.close(key.fileobj)
                else:
                    key.fileobj.close()
            sel.close()
        self.times["run"] = time.monotonic() - start

    def _dispatch(self, sel, key, sinks, start):
        kind, name = key.data
        if kind == "qemu":
            # Reap it ourselves: wait4 gives its peak RSS.
            _, status, usage = os.wait4(self.qemu.pid, 0)
            self.qemu.returncode = os.waitstatus_to_exitcode(status)
            self.qemu_status = self.qemu.returncode
            self.qemu_rss_kb = usage.ru_maxrss
            self.times["qemu"] = time.monotonic() - start
        elif kind == "listen":
            conn, _ = key.fileobj.accept()
            conn.setblocking(False)
            sel.unregister(key.fileobj)
            key.fileobj.close()
            sel.register(conn, selectors.EVENT_READ, ("conn", name))
        else:
            data = key.fileobj.recv(65536)
            if data:
                sinks[name](data)
                if name == "ctl" and b"ready" in self.ctl and "boot" not in self.times:
                    self.times["boot"] = time.monotonic() - start
            else:
                sel.unregister(key.fileobj)
                key.fileobj.close()

    def _drain(self, sel, key, sinks):
        kind, name = key.data
        if kind == "listen":
            key.fileobj.setblocking(False)
            try:
                conn, _ = key.fileobj.accept()
            except BlockingIOError:
                return  # qemu never connected
            conn.settimeout(5)
            files = [conn]
        else:
            key.fileobj.settimeout(5)
            files = [key.fileobj]
        for f in files:
            try:
                while data := f.recv(65536):
                    sinks[name](data)
            except (TimeoutError, OSError):
                pass
            if f is not key.fileobj:
                f.close()

    def _on_ctl(self, data):
        self.ctl += data
        for line in self.ctl.decode(errors="replace").splitlines():
            words = line.split()
            if len(words) == 2 and words[0] == "exit" and words[1].lstrip("-").isdigit():
                self.status = int(words[1])

    def console_tail(self, n=CONSOLE_TAIL):
        if self.qemu is None:
            return []  # no boot yet: the image build's log says what failed
        lines = []
        for name in ("qemu.log", "console.log"):
            try:
                with open(os.path.join(self.dir, name), "rb") as f:
                    text = ANSI.sub("", f.read().decode(errors="replace")).replace("\r", "")
            except FileNotFoundError:
                continue
            tail = [line for line in text.splitlines() if line.strip()][-n:]
            if tail:
                lines.append(f"--- last {len(tail)} lines of {name} ---")
                lines += tail
        return lines or ["(no console output)"]

    def timing(self):
        t = self.times
        parts = []
        if "image" in t:
            parts.append(f"image ready in {t['image']:.1f} s")
        if "boot" in t:
            parts.append(f"booted in {t['boot']:.1f} s")
            if "qemu" in t:
                parts.append(f"payload and power-off {t['qemu'] - t['boot']:.1f} s")
        if "qemu" in t:
            parts.append(f"qemu ran {t['qemu']:.1f} s")
        if self.qemu_rss_kb:
            parts.append(f"qemu peak RSS {self.qemu_rss_kb // 1024} MiB")
        return "; ".join(parts)


def is_inside(path, top):
    return os.path.commonpath([os.path.realpath(path), os.path.realpath(top)]) == os.path.realpath(top)


def skip_reason():
    if os.environ.get("TETHER_SKIP_VM") == "1":
        if CI:
            log("TETHER_SKIP_VM=1 is ignored: the vm suite is never skipped under CI=true")
        else:
            return "TETHER_SKIP_VM=1 is set"
    if os.geteuid() != 0 and not CI:
        return "needs root, for mmdebstrap's image build and qemu's 9p share"
    missing = [t for t in HOST_TOOLS if shutil.which(t) is None]
    if missing and not CI:
        return f"missing {', '.join(missing)} (./tether.sh test installs them)"
    return None


class Tap:
    """The suite's TAP: the guest's results renumbered, with the runner's own failures as results."""

    def __init__(self):
        self.lines = []
        self.count = 0
        self.failed = 0
        self.guest_plan = None
        self.guest_results = 0

    def result(self, ok, name, comments=()):
        self.count += 1
        self.failed += not ok
        self.lines.append(f"{'ok' if ok else 'not ok'} {self.count} - {name}")
        self.lines += [f"# {c}" for c in comments]

    def comment(self, text):
        self.lines += [f"# {line}" for line in text.splitlines()]

    def guest(self, text):
        for line in text.splitlines():
            m = TAP_RESULT.match(line)
            plan = TAP_PLAN.match(line)
            if m:
                self.guest_results += 1
                self.count += 1
                self.failed += m.group(1) == "not ok"
                self.lines.append(f"{m.group(1)} {self.count} - {m.group(3)}")
            elif plan:
                self.guest_plan = int(plan.group(1))
            elif line.startswith("Bail out!"):
                self.result(False, f"guest: {line}")
            elif line.startswith("#"):
                self.lines.append(line)
            elif line.strip():
                self.lines.append(f"# {line}")

    def emit(self):
        sys.stdout.write(f"1..{self.count}\n" + "".join(f"{line}\n" for line in self.lines))
        sys.stdout.flush()


def run_suite(args):
    reason = skip_reason()
    if reason:
        print(f"1..0 # SKIP {reason}", flush=True)
        return 0
    tap = Tap()
    run = None
    try:
        # The suite says where qemu and its files are, for tests/vm/test_plumbing.py to check they are gone.
        run = Run(args.build, args.cache, args.timeout, args.image_timeout,
                  announce=lambda text: print(f"# vm: {text}", flush=True))
        run.build_image()
        env = {k: os.environ[k] for k in ("TETHER_VM_SELFTEST_FAIL",) if k in os.environ}
        share = run.stage('exec sh "$TETHER_VM_IN/tests/vm/guest/run-tests.sh"', env)
        log(f"booting {run.image} (timeout {args.timeout:.0f} s)")

        def on_err(data):
            sys.stderr.buffer.write(data)
            sys.stderr.flush()

        run.boot(share, run.out.extend, on_err)
        tap.guest(run.out.decode(errors="replace"))
        if run.status is None:
            raise Failure(f"the guest powered off before its tests finished (qemu exited {run.qemu_status})")
        if tap.guest_plan is None or tap.guest_plan != tap.guest_results:
            tap.result(False, f"guest: pytest planned {tap.guest_plan} tests and reported {tap.guest_results}")
        elif run.status != 0 and tap.failed == 0:
            tap.result(False, f"guest: the tests exited {run.status} without a failed test")
        if tap.guest_results == 0:
            tap.result(False, "guest: no test ran")
    except (Failure, Interrupted) as e:
        tail = run.console_tail() if run else []
        tap.result(False, f"vm: {e}", tail)
        log(str(e))
        for line in tail:
            sys.stderr.write(f"{line}\n")
    finally:
        if run:
            if run.timing():
                tap.comment(f"vm: {run.timing()}")
            run.close()
    tap.emit()
    return 1 if tap.failed else 0


def run_command(args):
    run = None
    try:
        run = Run(args.build, args.cache, args.timeout, args.image_timeout, share=args.share)
        run.build_image()
        # The command starts where it was started on the host when that is inside the shared directory.
        cwd = os.getcwd()
        env = {"TETHER_VM_CWD": cwd if args.share and is_inside(cwd, args.share) else (args.share or "/")}
        share = run.stage("exec " + " ".join(shlex.quote(a) for a in args.command), env)

        def write(stream):
            def sink(data):
                stream.buffer.write(data)
                stream.flush()
            return sink

        run.boot(share, write(sys.stdout), write(sys.stderr))
        if run.status is None:
            raise Failure(f"the guest powered off before the command finished (qemu exited {run.qemu_status})")
        log(run.timing())
        return run.status
    except (Failure, Interrupted) as e:
        log(str(e))
        for line in run.console_tail() if run else []:
            sys.stderr.write(f"{line}\n")
        return 124 if "timed out" in str(e) else 125
    finally:
        if run:
            run.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", required=True, help="the meson build directory")
    parser.add_argument("--cache", help="where image.sh keeps the image (default: BUILD/vm-cache)")
    parser.add_argument("--share", help="a host directory mounted read-write at the same path in the guest")
    parser.add_argument("--timeout", type=float, default=float(os.environ.get("TETHER_VM_TIMEOUT", 300)),
                        help="seconds from qemu's start to its end (TETHER_VM_TIMEOUT, default 300)")
    parser.add_argument("--image-timeout", type=float,
                        default=float(os.environ.get("TETHER_VM_IMAGE_TIMEOUT", 300)),
                        help="seconds for the image build (TETHER_VM_IMAGE_TIMEOUT, default 300)")
    parser.add_argument("command", nargs="*", help="run this in the guest instead of the suite")
    args = parser.parse_args()
    args.build = os.path.abspath(args.build)
    args.cache = os.path.abspath(args.cache or os.path.join(args.build, "vm-cache"))
    args.share = os.path.realpath(args.share) if args.share else None
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _interrupted)
    sweep_stale_runs()
    return run_command(args) if args.command else run_suite(args)


if __name__ == "__main__":
    sys.exit(main())
