"""podman and docker running containers with tether as their OCI runtime: the issue's "done when" checks,
end to end, with the engines Debian ships (podman 4.3, docker.io 20.10 and containerd 1.6 in Debian 12).

    podman --runtime TETHER run --rm IMAGE true
    docker run --rm --runtime tether IMAGE true            (dockerd --add-runtime tether=TETHER)
    docker run --rm --runtime tether IMAGE sh -c 'exit 3'  (exits 3)

IMAGE is runtime_helpers' busybox-static rootfs, imported from a tarball (`podman import`, `docker import`),
never pulled. The engines get a copy of TETHER: other sessions rebuild build/ while suites run, and an
engine must never exec a half-written binary.

Isolation. podman runs with its own --root, --runroot, --tmpdir, --network-config-dir, a private
containers.conf (CONTAINERS_CONF), vfs storage and no network. containerd and dockerd are started here with
their own config, root, state, exec root, sockets and pid file, report readiness over sd_notify, and
are stopped by pid; the docker CLI (Debian's, /usr/bin) talks to that socket only. What the engines create
outside their directories anyway is removed afterwards when it did not exist before (HostPaths): podman's
blob info cache /var/lib/containers/cache and netavark's /run/containers/networks; tether's default state
root /run/tether (podman 4.3 does not hand --runtime-flag on to the `podman container cleanup` that runs
`delete`, so under podman the runtime must use its default root); dockerd's /run/docker/plugins; the
containerd shims' socket directory /run/containerd/s; dockerd's key /etc/docker/key.json.

Cgroups (cgroupfs driver in both). Each engine gets a cgroup parent of its own, relative
(tether-engines-ENGINE-RANDOM): runc resolves a relative cgroupsPath below its own cgroup. podman puts conmon
into PARENT/conmon from the root of every hierarchy whatever the parent, so it runs with
--cgroups=no-conmon and then creates no cgroup itself; tether makes the container's group from cgroupsPath.
Whatever a runtime creates under the parent, below our own cgroup or at a hierarchy's root (where a relative
path can land), is removed when the engine's fixture ends. podman reads contrib/containers.conf.d/tether.conf
(ahead of our own settings in its private containers.conf), as an installed podman would.

A test is skipped, with the reason, only when its engine cannot start here: not installed, `podman info`
failing, containerd or dockerd exiting or not reporting READY=1 in time. After that every failure is one:
the containers run under tether. Every engine command is bounded (ENGINE_TIMEOUT); when a fixture ends,
containers, images, daemons (by pidfd), conmon and shims left over (by pid, found by their command line
naming our directory) and the cgroups made under our parents are removed, and the runtime's state of each
container the test ran must be gone.
"""

import glob
import json
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time

import pytest

import runtime_helpers
from helpers import TIMEOUT, descendants_of, kill_by_pidfd, pidfd_exited
from runtime_helpers import TETHER, base, rootfs  # noqa: F401 (fixtures)

runtime_helpers.skip_unless_selected()

# One engine command (a run includes podman's or containerd's own setup); bounds failures only.
ENGINE_TIMEOUT = float(os.environ.get("TETHER_ENGINE_TIMEOUT", "60"))
# Debian's engines and their helpers (conmon, containerd-shim-runc-v2), and Debian's docker CLI rather than
# another one earlier on PATH (/usr/local/bin has a newer one here).
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
IMAGE = "localhost/tether-engines:busybox"
TETHER_DEFAULT_ROOT = "/run/tether"
# root lacks CAP_SYS_RESOURCE here and RLIMIT_NOFILE's hard limit is 20000: podman's defaults (1048576,
# and NPROC unlimited) would make every container's setrlimit() fail.
PODMAN_RUN_OPTIONS = ["--network", "none", "--pull", "never", "--cgroups", "no-conmon",
                      "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]


def system_binary(name):
    return shutil.which(name, path=SYSTEM_PATH)


class Unavailable(Exception):
    """The engine cannot start on this machine: the tests that need it are skipped with this reason."""


def tail(path, lines=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return f"({path}: {e.strerror})"


def one_line(text, limit=400):
    text = " ".join(text.split())
    return text if len(text) <= limit else "..." + text[-limit:]


def described(r):
    """A finished engine command, for an assertion message."""
    return f"{r.args}\nexit {r.returncode}\nstdout: {r.stdout!r}\nstderr: {r.stderr.decode(errors='replace')}"


def run_bounded(argv, env, timeout=ENGINE_TIMEOUT):
    """Runs an engine command with its stdin empty and its output captured; a hang fails, it is killed."""
    try:
        return subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"{argv} did not finish within {timeout:.0f}s\nstdout: {e.stdout!r}\n"
                             f"stderr: {e.stderr!r}") from None


def state_left(root, cid):
    """The runtime's state directory of container cid under root, if it is still there."""
    path = os.path.join(root, cid)
    return path if os.path.lexists(path) else None


def read_cid(path):
    with open(path) as f:
        return f.read().strip()


# -- what the engines leave outside their own directories ------------------------------------------------


class HostPaths:
    """Paths an engine may create outside its directories. Those that do not exist when this is made are
    removed by cleanup(): children before parents, a directory only when empty, except the trees (caches,
    files) named in `whole`, removed with their content."""

    def __init__(self, paths, whole=()):
        self.new = [p for p in paths if not os.path.lexists(p)]
        self.whole = set(whole)

    def cleanup(self):
        for p in reversed(self.new):
            if not os.path.lexists(p):
                continue
            try:
                if p in self.whole and os.path.isdir(p) and not os.path.islink(p):
                    shutil.rmtree(p)
                elif p in self.whole or not os.path.isdir(p):
                    os.unlink(p)
                else:
                    os.rmdir(p)
            except OSError:
                pass   # not empty: someone else's by now


# -- cgroups -----------------------------------------------------------------------------------------------


def _cgroup_mounts():
    """(mount point, root of the mount, super options) of each cgroup and cgroup2 mount."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            if fields[sep + 1] in ("cgroup", "cgroup2"):
                found.append((fields[4], fields[3], fields[sep + 1], set(fields[sep + 3].split(","))))
    return found


def cgroup_candidates(name):
    """Where a relative cgroup path `name` may land in each hierarchy: below our own cgroup there (runc's
    reading of a relative cgroupsPath) or at its root (podman's, for its own cgroups)."""
    own = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            own[controllers] = path
    dirs = []
    for mountpoint, mount_root, fstype, options in _cgroup_mounts():
        path = None
        for controllers, p in own.items():
            if fstype == "cgroup2" and controllers == "":
                path = p
            elif fstype == "cgroup" and controllers and set(controllers.split(",")) <= options:
                path = p
        candidates = [os.path.join(mountpoint, name)]
        if path is not None and (path + "/").startswith(mount_root.rstrip("/") + "/"):
            rel = path[len(mount_root.rstrip("/")):].lstrip("/")
            candidates.append(os.path.join(mountpoint, rel, name))
        dirs += [d for d in candidates if d not in dirs]
    return dirs


class CgroupParent:
    """A relative cgroup parent of our own for an engine's containers; close() removes every cgroup made
    under it, in every hierarchy, innermost first."""

    def __init__(self, engine):
        self.name = f"tether-engines-{engine}-{secrets.token_hex(4)}"
        self.dirs = cgroup_candidates(self.name)
        existing = [d for d in self.dirs if os.path.exists(d)]
        assert not existing, f"cgroups named like ours exist already: {existing}"

    def close(self):
        errors = []
        for top in self.dirs:
            if not os.path.isdir(top):
                continue
            for d, _, _ in sorted(os.walk(top), key=lambda x: -len(x[0])):
                try:
                    os.rmdir(d)
                except OSError as e:
                    errors.append(f"{d}: {e.strerror}")
        return errors


# -- processes -----------------------------------------------------------------------------------------------


def processes_naming(path):
    """Host pids of the processes whose command line names something under path (conmon, shims, podman's
    cleanup, a runtime), and of all their descendants (the containers)."""
    found = set()
    needle = path.encode()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                if needle in f.read():
                    found.add(int(name))
        except OSError:
            continue
    for pid in list(found):
        found.update(descendants_of(pid))
    return sorted(found)


def kill_leftovers(path):
    """SIGKILLs what processes_naming(path) finds, by pidfd, and waits for each; returns their pids."""
    pids = processes_naming(path)
    fds = []
    for pid in pids:
        try:
            fds.append(os.pidfd_open(pid))
        except OSError:
            continue
    for fd in fds:
        kill_by_pidfd(fd)
    for fd in fds:
        pidfd_exited(fd, TIMEOUT)
        os.close(fd)
    return pids


def mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(path + "/")]


def unmount_all(path):
    """Detaches what is still mounted under path (innermost first), so that it can be removed; returns it."""
    left = mounts_under(path)
    for target in sorted(left, key=len, reverse=True):
        subprocess.run(["umount", "-l", target], stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
    return left


# -- shared fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def image_tar(base, rootfs):
    """The busybox rootfs as a tarball, as `podman import` and `docker import` take it."""
    path = os.path.join(base, "engines-busybox.tar")
    with tarfile.open(path, "w") as t:
        t.add(rootfs, arcname=".")
    yield path
    os.unlink(path)


@pytest.fixture(scope="module")
def tether_copy(base):
    d = tempfile.mkdtemp(prefix="engines-bin-", dir=base)
    os.chmod(d, 0o755)
    path = os.path.join(d, "tether")
    shutil.copy2(TETHER, path)
    yield path
    shutil.rmtree(d)


# -- podman ------------------------------------------------------------------------------------------------------


class Podman:
    """One isolated podman, with tether as its runtime."""

    def __init__(self, base, tether):
        self.dir = tempfile.mkdtemp(prefix="podman-", dir=base)
        self.tether = tether
        self.cgroup = CgroupParent("podman")
        self.host_paths = HostPaths(
                ["/var/lib/containers", "/var/lib/containers/cache", "/run/containers", "/run/containers/networks",
                 TETHER_DEFAULT_ROOT],
                whole=["/var/lib/containers/cache"])
        self.cids = []
        self.started = False
        d = {k: os.path.join(self.dir, k) for k in ("root", "run", "tmp", "net", "home")}
        for k in ("tmp", "home"):
            os.mkdir(d[k])
        conf = os.path.join(self.dir, "containers.conf")
        # tether's drop-in first (it ends in [engine]), then our keys in the same table.
        with open(os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                               "contrib", "containers.conf.d", "tether.conf")) as f:
            dropin = f.read()
        # ... with the runtime's name leading to our copy of the binary: podman matches the lists by name.
        dropin = dropin.replace('"/usr/local/bin/tether",\n        "/usr/bin/tether",', f'"{tether}",')
        assert f'"{tether}"' in dropin
        with open(conf, "w") as f:
            f.write(dropin +
                    'cgroup_manager = "cgroupfs"\n'
                    'events_logger = "file"\n'
                    f'image_copy_tmp_dir = "{d["tmp"]}"\n')
        self.env = {"PATH": SYSTEM_PATH, "HOME": d["home"], "TMPDIR": d["tmp"], "CONTAINERS_CONF": conf}
        self.argv = [system_binary("podman"), "--root", d["root"], "--runroot", d["run"], "--tmpdir", d["tmp"],
                     "--network-config-dir", d["net"], "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs",
                     "--events-backend", "file", "--runtime", "tether"]

    def cmd(self, *args, timeout=ENGINE_TIMEOUT):
        return run_bounded(self.argv + list(args), self.env, timeout)

    def ok(self, *args):
        r = self.cmd(*args)
        assert r.returncode == 0, described(r)
        return r.stdout.decode()

    def start(self, image_tar):
        r = self.cmd("info", "--format", "json")
        if r.returncode != 0:
            raise Unavailable(f"podman cannot start here: `podman info` exited {r.returncode}: "
                              f"{one_line(r.stderr.decode(errors='replace'))}")
        self.started = True
        self.ok("import", "--quiet", image_tar, IMAGE)

    def run(self, *args, opts=()):
        """`podman run --rm OPTS IMAGE ARGS` with our options and a cidfile; returns (CompletedProcess, id)."""
        cidfile = os.path.join(self.dir, f"cid{len(self.cids)}")
        r = self.cmd("run", "--rm", "--cidfile", cidfile, "--cgroup-parent", self.cgroup.name,
                     *PODMAN_RUN_OPTIONS, *opts, IMAGE, *args)
        cid = read_cid(cidfile) if os.path.exists(cidfile) else None
        if cid:
            self.cids.append(cid)
        return r, cid

    def close(self):
        errors = []
        for args in (("rm", "--all", "--force", "--time", "0"), ("rmi", "--all", "--force")):
            if not self.started:
                break
            try:
                r = self.cmd(*args)
                if r.returncode != 0:
                    errors.append(described(r))
            except AssertionError as e:
                errors.append(str(e))
        left = kill_leftovers(self.dir)
        if left:
            errors.append(f"processes left behind: {left}")
        for cid in self.cids:
            if state_left(TETHER_DEFAULT_ROOT, cid):
                subprocess.run([self.tether, "delete", "--force", cid], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=TIMEOUT)
                errors.append(f"tether's state of {cid} left behind")
        mounts = unmount_all(self.dir)
        if mounts:
            errors.append(f"mounts left behind: {mounts}")
        errors += self.cgroup.close()
        self.host_paths.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)
        return errors


@pytest.fixture(scope="module")
def podman_engine(base, image_tar, tether_copy):
    if system_binary("podman") is None:
        pytest.skip("podman is not installed (Debian: apt-get install podman)")
    p = Podman(base, tether_copy)
    try:
        p.start(image_tar)
    except Unavailable as e:
        errors = p.close()
        pytest.skip(f"{e}{' (cleanup: ' + '; '.join(errors) + ')' if errors else ''}")
    except BaseException:
        p.close()
        raise
    yield p
    errors = p.close()
    assert not errors, "\n".join(errors)


@pytest.fixture
def podman(podman_engine):
    return podman_engine


def test_podman_run_true(podman):
    r, cid = podman.run("true")
    assert r.returncode == 0, described(r)
    assert cid and not state_left(TETHER_DEFAULT_ROOT, cid), "tether's state outlived `podman run --rm`"


def test_podman_run_exit_code_and_output(podman):
    r, cid = podman.run("sh", "-c", "echo out-via-podman; exit 3")
    assert r.returncode == 3, described(r)
    assert r.stdout.decode().splitlines() == ["out-via-podman"], described(r)
    assert cid and not state_left(TETHER_DEFAULT_ROOT, cid)


def test_podman_run_tty(podman):
    """-t: the runtime gets --console-socket and hands conmon the pty's master."""
    r, cid = podman.run("sh", "-c", "tty; exit 4", opts=["--tty"])
    assert r.returncode == 4, described(r)
    assert r.stdout == b"/dev/pts/0\r\n", described(r)   # \r: the pty's onlcr
    assert cid and not state_left(TETHER_DEFAULT_ROOT, cid)


def test_podman_exec_and_force_remove(podman):
    """A detached container, `podman exec` in it (the runtime's exec), then `rm -f` (kill, delete)."""
    cidfile = os.path.join(podman.dir, "cid-exec")
    podman.ok("run", "--detach", "--cidfile", cidfile, "--cgroup-parent", podman.cgroup.name,
              *PODMAN_RUN_OPTIONS, IMAGE, "sleep", "600")
    cid = read_cid(cidfile)
    podman.cids.append(cid)
    r = podman.cmd("exec", cid, "sh", "-c", "echo in-exec; exit 5")
    assert (r.returncode, r.stdout) == (5, b"in-exec\n"), described(r)
    podman.ok("rm", "--force", "--time", "0", cid)
    assert not state_left(TETHER_DEFAULT_ROOT, cid), "tether's state outlived `podman rm -f`"


# -- docker --------------------------------------------------------------------------------------------------


class Daemon:
    """A daemon started here and held by a pidfd; it reports READY=1 over sd_notify (containerd and dockerd
    both do), so that nothing polls for it."""

    def __init__(self, name, argv, env, workdir):
        self.name = name
        self.log = os.path.join(workdir, f"{name}.log")
        notify = os.path.join(workdir, f"{name}.notify")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self.notify.bind(notify)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(argv, env=dict(env, NOTIFY_SOCKET=notify), stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.pidfd = os.pidfd_open(self.proc.pid)

    def wait_ready(self, timeout=ENGINE_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Unavailable(f"{self.name} did not report READY=1 within {timeout:.0f}s: "
                                  f"{one_line(tail(self.log))}")
            ready, _, _ = select.select([self.notify, self.pidfd], [], [], left)
            if self.notify in ready:
                if b"READY=1" in self.notify.recv(4096).split(b"\n"):
                    return
            elif ready:
                raise Unavailable(f"{self.name} exited with status {self.proc.wait(TIMEOUT)}: "
                                  f"{one_line(tail(self.log))}")

    def stop(self, timeout=ENGINE_TIMEOUT):
        """SIGTERM by pidfd, SIGKILL if it is still there after timeout; reaps it. Returns an error or None."""
        error = None
        if self.proc.poll() is None:
            kill_by_pidfd(self.pidfd, signal.SIGTERM)
            if not pidfd_exited(self.pidfd, timeout):
                kill_by_pidfd(self.pidfd, signal.SIGKILL)
                error = f"{self.name} ignored SIGTERM for {timeout:.0f}s, killed"
        self.proc.wait(TIMEOUT)
        os.close(self.pidfd)
        self.notify.close()
        return error


class Docker:
    """containerd and dockerd of our own, with tether added as runtime 'tether', and the docker CLI."""

    def __init__(self, base, tether):
        self.dir = tempfile.mkdtemp(prefix="docker-", dir=base)
        self.tether = tether
        self.cgroup = CgroupParent("docker")
        # dockerd 20.10 writes its identity key to /etc/docker/key.json, with no option to move it.
        self.host_paths = HostPaths(["/run/docker", "/run/docker/plugins", "/run/containerd", "/run/containerd/s",
                                     "/etc/docker/key.json"], whole=["/etc/docker/key.json"])
        self.daemons = []
        self.cids = []
        self.sock = os.path.join(self.dir, "docker.sock")
        self.exec_root = os.path.join(self.dir, "exec")
        home = os.path.join(self.dir, "home")
        os.mkdir(home)
        self.env = {"PATH": SYSTEM_PATH, "HOME": home, "TMPDIR": self.dir,
                    "DOCKER_CONFIG": os.path.join(self.dir, "cli")}
        self.cli = [system_binary("docker"), "--host", f"unix://{self.sock}"]

    def _containerd_config(self):
        d = os.path.join(self.dir, "containerd")
        os.mkdir(d)
        self.containerd_sock = os.path.join(d, "containerd.sock")
        path = os.path.join(d, "config.toml")
        with open(path, "w") as f:
            f.write(f'version = 2\n'
                    f'root = "{d}/root"\n'
                    f'state = "{d}/state"\n'
                    f'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                    f'[grpc]\n  address = "{self.containerd_sock}"\n'
                    f'[ttrpc]\n  address = "{self.containerd_sock}.ttrpc"\n'
                    f'[metrics]\n  address = ""\n'
                    f'[plugins."io.containerd.internal.v1.opt"]\n  path = "{d}/opt"\n')
        return path

    def start(self):
        containerd = Daemon("containerd", [system_binary("containerd"), "--config", self._containerd_config()],
                            self.env, self.dir)
        self.daemons.append(containerd)
        containerd.wait_ready()
        daemon_json = os.path.join(self.dir, "daemon.json")
        with open(daemon_json, "w") as f:
            f.write("{}\n")   # not /etc/docker/daemon.json
        dockerd = Daemon("dockerd", [
                system_binary("dockerd"), "--config-file", daemon_json,
                "--data-root", os.path.join(self.dir, "data"), "--exec-root", self.exec_root,
                "--pidfile", os.path.join(self.dir, "dockerd.pid"), "--host", f"unix://{self.sock}",
                "--containerd", self.containerd_sock,
                "--storage-driver", "vfs", "--bridge", "none", "--iptables=false", "--ip6tables=false",
                "--ip-forward=false", "--ip-masq=false", "--userland-proxy=false",
                "--exec-opt", "native.cgroupdriver=cgroupfs", "--cgroup-parent", self.cgroup.name,
                "--shutdown-timeout", "5", "--add-runtime", f"tether={self.tether}"], self.env, self.dir)
        self.daemons.append(dockerd)
        dockerd.wait_ready()

    def cmd(self, *args, timeout=ENGINE_TIMEOUT):
        return run_bounded(self.cli + list(args), self.env, timeout)

    def ok(self, *args):
        r = self.cmd(*args)
        assert r.returncode == 0, described(r)
        return r.stdout.decode()

    def run(self, *args, opts=()):
        """`docker run --rm --runtime tether OPTS IMAGE ARGS` with a cidfile; returns (CompletedProcess, id)."""
        cidfile = os.path.join(self.dir, f"cid{len(self.cids)}")
        r = self.cmd("run", "--rm", "--runtime", "tether", "--network", "none", "--cidfile", cidfile, *opts,
                     IMAGE, *args)
        cid = read_cid(cidfile) if os.path.exists(cidfile) else None
        if cid:
            self.cids.append(cid)
        return r, cid

    def state_left(self, cid):
        """tether's state of cid under the --root the runc shim passes (EXEC_ROOT/runtime-runc/moby)."""
        left = glob.glob(os.path.join(glob.escape(self.exec_root), "runtime-*", "*", cid))
        return left[0] if left else None

    def close(self):
        errors = []
        if self.daemons and self.daemons[-1].name == "dockerd" and self.daemons[-1].proc.poll() is None:
            for args in (("rm", "--force", *self.cids), ("image", "rm", "--force", IMAGE)):
                if args[0] == "rm" and not self.cids:
                    continue
                try:
                    self.cmd(*args)
                except AssertionError as e:
                    errors.append(str(e))
        for d in reversed(self.daemons):
            e = d.stop()
            if e:
                errors.append(f"{e}\n{tail(d.log)}")
        left = kill_leftovers(self.dir)
        if left:
            errors.append(f"processes left behind: {left}")
        mounts = unmount_all(self.dir)
        if mounts:
            errors.append(f"mounts left behind: {mounts}")
        errors += self.cgroup.close()
        self.host_paths.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)
        return errors


@pytest.fixture(scope="module")
def docker_engine(base, image_tar, tether_copy):
    missing = [b for b in ("dockerd", "containerd", "containerd-shim-runc-v2", "docker") if not system_binary(b)]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (Debian: apt-get install docker.io containerd)")
    d = Docker(base, tether_copy)
    try:
        d.start()
    except Unavailable as e:
        errors = d.close()
        pytest.skip(f"{e}{' (cleanup: ' + '; '.join(errors) + ')' if errors else ''}")
    except BaseException:
        d.close()
        raise
    try:
        d.ok("import", image_tar, IMAGE)
    except BaseException:
        d.close()
        raise
    yield d
    errors = d.close()
    assert not errors, "\n".join(errors)


@pytest.fixture
def docker(docker_engine):
    return docker_engine


def test_docker_run_true(docker):
    r, cid = docker.run("true")
    assert r.returncode == 0, described(r)
    assert cid and not docker.state_left(cid), "tether's state outlived `docker run --rm`"


def test_docker_run_exit_code_and_output(docker):
    r, cid = docker.run("sh", "-c", "echo out-via-docker; exit 3")
    assert r.returncode == 3, described(r)
    assert r.stdout.decode().splitlines() == ["out-via-docker"], described(r)
    assert cid and not docker.state_left(cid)


def test_docker_run_tty(docker):
    """-t: containerd's shim passes --console-socket and reads the pty's master from it."""
    r, cid = docker.run("sh", "-c", "tty; exit 4", opts=["--tty"])
    assert r.returncode == 4, described(r)
    assert r.stdout == b"/dev/pts/0\r\n", described(r)   # \r: the pty's onlcr
    assert cid and not docker.state_left(cid)


def test_docker_exec_and_force_remove(docker):
    """A detached container, `docker exec` in it (the runtime's exec --process), then `rm -f`."""
    cid = docker.ok("run", "--detach", "--runtime", "tether", "--network", "none", IMAGE, "sleep", "600").strip()
    docker.cids.append(cid)
    r = docker.cmd("exec", cid, "sh", "-c", "echo in-exec; exit 5")
    assert (r.returncode, r.stdout) == (5, b"in-exec\n"), described(r)
    docker.ok("rm", "--force", cid)
    assert not docker.state_left(cid), "tether's state outlived `docker rm -f`"


def test_docker_memory_limit_reaches_the_host(docker):
    """docker run --runtime tether --memory 32m, under the daemon's --cgroup-parent PARENT (cgroupfs driver):
    the container's memory group below our own has the limit, read from the host while it runs; gone after
    rm -f."""
    cid = docker.ok("run", "--detach", "--runtime", "tether", "--network", "none", "--memory", "32m", IMAGE,
                    "sleep", "600").strip()
    docker.cids.append(cid)
    with open(os.path.join(docker.state_left(cid), "state.json")) as f:
        group = json.load(f)["cgroupPaths"]["memory"]
    assert docker.cgroup.name in group, group
    mount = [m for m, root, fstype, options in _cgroup_mounts() if fstype == "cgroup" and "memory" in options][0]
    path = os.path.join(mount + group, "memory.limit_in_bytes")
    with open(path) as f:
        assert int(f.read()) == 32 << 20
    docker.ok("rm", "--force", cid)
    assert not os.path.exists(os.path.dirname(path))
    assert not docker.state_left(cid), "tether's state outlived `docker rm -f`"


def test_podman_memory_limit_reaches_the_host(podman):
    """podman --runtime tether run --cgroups=no-conmon --cgroup-parent PARENT --memory 32m: the container's
    memory group below our own has the limit, read from the host while it runs; gone after rm -f."""
    cidfile = os.path.join(podman.dir, "cid-memory")
    podman.ok("run", "--detach", "--cidfile", cidfile, "--cgroup-parent", podman.cgroup.name, "--memory", "32m",
              *PODMAN_RUN_OPTIONS, IMAGE, "sleep", "600")
    cid = read_cid(cidfile)
    podman.cids.append(cid)
    with open(os.path.join(TETHER_DEFAULT_ROOT, cid, "state.json")) as f:
        group = json.load(f)["cgroupPaths"]["memory"]
    assert podman.cgroup.name in group, group
    mount = [m for m, root, fstype, options in _cgroup_mounts() if fstype == "cgroup" and "memory" in options][0]
    path = os.path.join(mount + group, "memory.limit_in_bytes")
    with open(path) as f:
        assert int(f.read()) == 32 << 20
    podman.ok("rm", "--force", "--time", "0", cid)
    assert not os.path.exists(os.path.dirname(path))


def test_podman_cgroups_disabled(podman):
    """contrib/containers.conf.d/tether.conf lists tether in runtime_supports_nocgroups: --cgroups=disabled
    runs, with no cgroup of the container's own (it stays in podman's)."""
    opts = [o for o in PODMAN_RUN_OPTIONS if o not in ("--cgroups", "no-conmon")]
    cidfile = os.path.join(podman.dir, "cid-nocg")
    r = podman.cmd("run", "--rm", "--cidfile", cidfile, "--cgroups", "disabled", *opts, IMAGE,
                   "sh", "-c", "echo no-cgroups")
    if os.path.exists(cidfile):
        podman.cids.append(read_cid(cidfile))
    assert r.returncode == 0, described(r)
    assert r.stdout == b"no-cgroups\n", described(r)
