"""Container escapes, played as an attacker inside the container would play them, against real containers.
Each attack must fail: no host file is read through a runtime's fd, no host binary is written, no caller's
mount namespace is pivoted.

- A host directory as working directory (CVE-2024-21626): process.cwd or exec --cwd /proc/self/fd/N.
- The created container's waiting process and an exec's process (while it sets up) hold host fds: a
  process of the container reads a host file through /proc/PID/fd/N.
- /proc/self/exe (CVE-2019-5736): the image's /bin/sh is `#!/proc/self/exe`, or an attacker opens the
  waiting first process's /proc/1/exe, and writes the runtime's binary once it is not busy (against a copy).
- No mount namespace in the config, or one joined by path: the runtime pivots a namespace it did not make.

The secret is a host file beside the state root (WORK/host-secret); the state root (WORK/state) and each
container's state directory are what the runtime has open, so the attacks look for the secret one, two and
three levels up from whatever they reach.
"""

import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys

import pytest

import runtime_helpers
from runtime_helpers import TIMEOUT, base, rootfs, rt  # noqa: F401 (fixtures)

runtime_helpers.skip_unless_selected()

# Reads WORK/host-secret from a directory below it (the state root, a state directory, /).
READ_UP = "for d in {dirs}; do for up in .. ../.. ../../..; do cat \"$d/$up/host-secret\" 2>/dev/null; done; done"


@pytest.fixture
def secret(rt):
    text = f"{rt.marker}-host-secret"
    with open(os.path.join(rt.work, "host-secret"), "w") as f:
        f.write(text + "\n")
    return text


def running(rt, cid, script):
    """A started container running the shell script, its pipes kept for reading."""
    c = rt.create(cid, rt.bundle(rt.config(rt.sh(script))))
    c.start()
    return c


# -- 1. a host directory as working directory -------------------------------------------------------------

FDS = range(3, 9)


@pytest.mark.parametrize("fd", FDS)
def test_run_cwd_through_a_leaked_fd(rt, secret, fd):
    config = rt.config(rt.sh(READ_UP.format(dirs=".") + "; pwd"))
    config["process"]["cwd"] = f"/proc/self/fd/{fd}"
    r = rt.run_bundle(config, cid=f"cwd{fd}")
    assert secret.encode() not in r.stdout, r.stdout
    assert r.returncode != 0, (r.stdout, r.stderr)
    assert b"process.cwd" in r.stderr or b"/proc/self/fd" in r.stderr, r.stderr
    rt.assert_nothing_left()


@pytest.mark.parametrize("fd", FDS)
def test_create_cwd_through_a_leaked_fd(rt, secret, fd):
    config = rt.config(rt.sh(READ_UP.format(dirs=".") + "; pwd"))
    config["process"]["cwd"] = f"/proc/self/fd/{fd}"
    c = rt.create(f"ccwd{fd}", rt.bundle(config), check=False)
    if c.returncode == 0:
        c.start()
        c.wait_exit()
    out, err = c.stdio.finish()
    assert secret not in out, out
    assert c.returncode != 0, out


@pytest.mark.parametrize("fd", FDS)
def test_exec_cwd_through_a_leaked_fd(rt, secret, fd):
    running(rt, "ecwd", "sleep 1000")
    r = rt.tether("exec", "--cwd", f"/proc/self/fd/{fd}", "ecwd", "sh", "-c", READ_UP.format(dirs=".") + "; pwd")
    assert secret.encode() not in r.stdout, r.stdout
    assert r.returncode == 255, (r.stdout, r.stderr)


# -- 2, 3. host fds of the waiting first process and of an exec's process ---------------------------------


def test_waiting_first_process_exposes_no_host_fd(rt, secret):
    rt.create("waiting", rt.bundle(rt.config(rt.sh("echo started"))))
    probe = READ_UP.format(dirs="/proc/1/fd/* /proc/1/cwd /proc/1/root") + "; ls /proc/1/fd; true"
    r = rt.tether("exec", "waiting", "sh", "-c", probe)
    assert secret.encode() not in r.stdout, r.stdout
    assert r.returncode == 0, r.stderr


@pytest.fixture
def scanner_rootfs(rt, rootfs):
    """The busybox rootfs with the attacker (escape-scan.c) at /scan."""
    root = os.path.join(rt.work, "scan-rootfs")
    shutil.copytree(rootfs, root, symlinks=True)
    shutil.copy2(os.environ["TETHER_TEST_ESCAPE_SCAN"], os.path.join(root, "scan"))
    return root


def test_exec_race_exposes_no_host_fd(rt, secret, scanner_rootfs):
    """A process of the container scans every process's fds while the host execs into it, again and again."""
    config = rt.config(["/scan", "host-secret", rt.marker])
    config["root"] = {"path": scanner_rootfs}
    c = rt.create("race", rt.bundle(config))
    c.start()
    c.stdio.wait_line("scanning")
    codes = []
    for _ in range(20):
        codes.append(rt.tether("exec", "race", "true").returncode)
        if c.exited():   # the attacker found the secret and ended, and the container with it
            break
    c.delete("--force")
    out, _ = c.stdio.finish()
    assert secret not in out, out
    assert codes == [0] * 20


# -- 4. /proc/self/exe ------------------------------------------------------------------------------------

# Waits for a process whose exe is not busybox (the runtime's binary, run by the kernel for `#!/proc/self/exe`),
# holds it open, and writes the attacker's program over it once nobody runs it any more. `[ -ef ]` and
# `exec 3<` are shell builtins: the loop forks nothing, so it sees even a short-lived process.
WRITE_BACK = ("while :; do "
              "if err=$( (printf '#!/bin/sh\\necho PWNED\\n' >/proc/self/fd/3) 2>&1 ); then echo WROTE; break; fi; "
              "case \"$err\" in *busy*) ;; *) echo \"DENIED $err\"; break;; esac; done")
CATCH_EXE = ("echo ready; while :; do for e in /proc/[0-9]*/exe; do "
             "if [ -e \"$e\" ] && ! [ \"$e\" -ef /bin/busybox ] && exec 3<\"$e\"; then break 2; fi; done; done; "
             "echo opened; " + WRITE_BACK)


@pytest.fixture
def tether_copy(rt):
    """The attacks write to the binary: they get a copy of their own, in a directory of its own."""
    d = os.path.join(rt.work, "bin")
    os.mkdir(d)
    path = os.path.join(d, "tether")
    shutil.copy2(runtime_helpers.TETHER, path)
    rt.binary = path
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    yield path, digest
    rt.binary = runtime_helpers.TETHER   # the teardown's tether must be a working one


def unchanged(copy):
    path, digest = copy
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest() == digest


@pytest.fixture
def evil_rootfs(rt, rootfs):
    """The busybox rootfs with /bin/sh a `#!/proc/self/exe` script."""
    root = os.path.join(rt.work, "evil-rootfs")
    shutil.copytree(rootfs, root, symlinks=True)
    os.unlink(os.path.join(root, "bin", "sh"))
    with open(os.path.join(root, "bin", "sh"), "w") as f:
        f.write("#!/proc/self/exe\n")
    os.chmod(os.path.join(root, "bin", "sh"), 0o755)
    return root


def test_proc_self_exe_interpreter_cannot_overwrite_the_runtime(rt, tether_copy, evil_rootfs):
    config = rt.config(["/bin/busybox", "sh", "-c", CATCH_EXE, rt.marker])
    config["root"] = {"path": evil_rootfs}
    c = rt.create("exe1", rt.bundle(config))
    c.start()
    c.stdio.wait_line("ready")
    out = bytes(c.stdio.out)
    for _ in range(100):
        rt.tether("exec", "exe1", "/bin/sh", "-c", "true")
        c.stdio.pump(0.01)
        out = bytes(c.stdio.out)
        if b"opened" in out:
            break
    assert b"opened" in out, "the attacker never saw the interpreter: the test proves nothing\n" + c.stdio.dump()
    c.stdio.until(lambda: b"WROTE" in c.stdio.out or b"DENIED" in c.stdio.out, "the attacker's write")
    assert b"DENIED" in c.stdio.out, c.stdio.dump()
    assert unchanged(tether_copy)
    r = subprocess.run([tether_copy[0], "--version"], capture_output=True, timeout=TIMEOUT)
    assert b"PWNED" not in r.stdout and r.returncode == 0, r


def test_waiting_first_process_exe_cannot_be_opened(rt, tether_copy):
    """An attacker exec'd into a created container opens /proc/1/exe, the runtime's binary while the first
    process waits, and writes it once `start` has made the first process exec its program."""
    c = rt.create("exe2", rt.bundle(rt.config(rt.sh("echo started; sleep 1000"))))
    attack = "if exec 3</proc/1/exe; then echo opened; " + WRITE_BACK + "; else echo DENIED open; fi"
    p, stdio = rt.spawn("exec", "--detach", "exe2", "sh", "-c", attack, rt.marker)
    assert p.wait(TIMEOUT) == 0
    stdio.until(lambda: b"opened" in stdio.out or b"DENIED" in stdio.out, "the attacker's open")
    if b"opened" in stdio.out:
        c.start()
        stdio.until(lambda: b"WROTE" in stdio.out or b"DENIED" in stdio.out, "the attacker's write")
    assert b"DENIED" in stdio.out, stdio.dump()
    assert unchanged(tether_copy)
    c.delete("--force")


# -- 5. a mount namespace that is not the container's own -------------------------------------------------


def test_no_mount_namespace_is_refused(rt):
    """Run in a private mount namespace of the test's, so that a runtime that pivots anyway harms only it."""
    config = rt.config(rt.sh("echo ran"))
    config["linux"]["namespaces"] = [{"type": t} for t in ("pid", "ipc", "uts", "network")]
    r = subprocess.run(["unshare", "--mount", "--propagation", "private"] + rt.argv("run", "--bundle",
                       rt.bundle(config), "nomnt"), input=b"", capture_output=True, timeout=TIMEOUT)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert b"ran" not in r.stdout
    assert b"'mount' namespace" in r.stderr, r.stderr
    rt.assert_nothing_left()


def test_joined_mount_namespace_is_not_pivoted(rt):
    """The container joins the mount namespace of a process of the test's: that process's root stays."""
    holder = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                               "echo up; exec sleep 1000", rt.marker], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        assert holder.stdout.readline() == b"up\n"
        ns = f"/proc/{holder.pid}/ns/mnt"
        config = rt.config(rt.sh("echo ran"))
        config["linux"]["namespaces"] = [{"type": t} for t in ("pid", "ipc", "uts", "network")] + \
            [{"type": "mount", "path": ns}]
        r = rt.run_bundle(config, cid="joined")
        assert (r.returncode, r.stdout) == (0, b"ran\n"), r.stderr
        root = os.stat(f"/proc/{holder.pid}/root/")
        host = os.stat("/")
        assert (root.st_dev, root.st_ino) == (host.st_dev, host.st_ino), "the joined namespace was pivoted"
        with open(f"/proc/{holder.pid}/mountinfo") as f:
            assert rt.rootfs not in f.read()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(TIMEOUT)
        holder.stdout.close()



# -- fds the caller did not pass -------------------------------------------------------------------------


def test_preserve_fds_cannot_pass_the_runtimes_own(rt):
    """With no fd 3 given, --preserve-fds 1 would hand the container the runtime's first own fd: its log
    file on the host, open for writing."""
    log = os.path.join(rt.work, "tether.log")
    r = rt.tether("--log", log, "run", "--preserve-fds", "1", "--rootfs", rt.rootfs, "pf", "--",
                  "sh", "-c", "readlink /proc/self/fd/3; echo escaped >&3")
    assert log.encode() not in r.stdout, r.stdout
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert b"--preserve-fds 1 passes fd 3, which was not open when tether started" in r.stderr, r.stderr
    with open(log, "rb") as f:
        assert b"escaped" not in f.read()
    rt.assert_nothing_left()


# -- 6. what the image or a sharer of the rootfs plants in /dev and /proc ---------------------------------


def rootfs_copy(rt, rootfs, name):
    root = os.path.join(rt.work, name)
    shutil.copytree(rootfs, root, symlinks=True)
    return root


def no_dev_tmpfs(config):
    """The config without its /dev tmpfs: devices are made in the image's own /dev, as runc does then."""
    config["mounts"] = [m for m in config["mounts"] if m["destination"] != "/dev"]
    return config


def masked_proc_file():
    """A file of /proc that docker masks and this kernel has (it may lack kcore or sched_debug)."""
    for name in ("timer_list", "keys", "kcore", "sched_debug", "latency_stats", "timer_stats"):
        if os.path.isfile(f"/proc/{name}"):
            return f"/proc/{name}"
    pytest.skip("no maskable file in /proc")


def test_masked_path_is_not_bound_from_an_image_symlink(rt, rootfs):
    """CVE-2025-31133: a maskedPaths file is hidden by binding /dev/null over it. The image's /dev/null is a
    symlink to /proc/sys/kernel/core_pattern: the masked file becomes the host's core_pattern, writable,
    though /proc/sys is read-only (a `|program` there runs as the host's root). The attack only opens it for
    writing, it writes nothing."""
    masked = masked_proc_file()
    root = rootfs_copy(rt, rootfs, "null-rootfs")
    os.symlink("/proc/sys/kernel/core_pattern", os.path.join(root, "dev", "null"))
    script = (f"grep ' {masked} ' /proc/self/mountinfo; "
              f"if exec 3<>{masked}; then echo WRITABLE; fi; "
              f"if [ -c {masked} ]; then echo NULLDEV; fi; echo done")
    config = no_dev_tmpfs(rt.config(rt.sh(script)))
    config["root"] = {"path": root}
    config["linux"]["maskedPaths"] = [masked]
    config["linux"]["readonlyPaths"] = ["/proc/sys"]
    r = rt.run_bundle(config, cid="nullmask")
    assert b"core_pattern" not in r.stdout, r.stdout
    # Writable is what a masked file is, when it is the null device; anything else must not be.
    assert b"WRITABLE" not in r.stdout or b"NULLDEV" in r.stdout, r.stdout
    assert r.stdout.endswith(b"done\n"), (r.stdout, r.stderr)


def test_device_mode_is_not_applied_through_a_swapped_symlink(rt, rootfs):
    """A process that shares the rootfs (another container of the same image directory) swaps /dev/null,
    just made by mknod, for a symlink to a host file: the chmod that follows must not reach that file."""
    root = rootfs_copy(rt, rootfs, "race-rootfs")
    dev = os.path.join(root, "dev")
    victim = os.path.join(rt.work, "victim")
    with open(victim, "w") as f:
        f.write("host file\n")
    os.chmod(victim, 0o600)
    racer = subprocess.Popen([sys.executable, "-c", RACER, dev, victim, rt.marker], stdin=subprocess.DEVNULL)
    try:
        config = no_dev_tmpfs(rt.config(["true"]))
        config["root"] = {"path": root}
        bundle = rt.bundle(config)
        for i in range(300):
            try:
                os.unlink(os.path.join(dev, "null"))
            except FileNotFoundError:
                pass
            rt.tether("run", "--bundle", bundle, "devrace")
            mode = stat.S_IMODE(os.stat(victim).st_mode)
            assert mode == 0o600, f"run {i}: the host file is now {mode:o}"
    finally:
        racer.kill()
        racer.wait(TIMEOUT)


# Replaces DIR/null by a symlink to TARGET as soon as it is a device node; argv[3] is the test's marker.
RACER = """
import os, stat, sys
d, target = sys.argv[1], sys.argv[2]
null, tmp = os.path.join(d, "null"), os.path.join(d, ".racer")
lstat, rename, S_ISCHR = os.lstat, os.rename, stat.S_ISCHR
try:
    os.unlink(tmp)
except OSError:
    pass
os.symlink(target, tmp)
while True:
    try:
        if S_ISCHR(lstat(null).st_mode):
            rename(tmp, null)
            os.symlink(target, tmp)
    except OSError:
        pass
"""


def test_proc_is_not_mounted_through_an_image_symlink(rt, rootfs):
    """CVE-2019-19921: the image's /proc is a symlink to /data, where a volume of the container's (its
    content the attacker's, from an earlier run) is mounted after /proc. Then /proc is the volume: what the
    runtime writes there after pivot_root (/proc/self/attr/apparmor/exec, linux.sysctl) lands in the
    attacker's files, an AppArmor profile is never applied. runc refuses proc on anything but a directory."""
    root = rootfs_copy(rt, rootfs, "proc-rootfs")
    os.rmdir(os.path.join(root, "proc"))
    os.symlink("/data", os.path.join(root, "proc"))
    volume = os.path.join(rt.work, "volume")
    for d in ("self/attr/apparmor", "sys/net/ipv4"):
        os.makedirs(os.path.join(volume, d))
    for f in ("self/attr/apparmor/exec", "sys/net/ipv4/ip_forward"):
        open(os.path.join(volume, f), "w").close()
    config = rt.config(rt.sh("stat -f -c %T /proc"))
    config["root"] = {"path": root}
    config["mounts"].append({"destination": "/data", "type": "bind", "source": volume, "options": ["rbind"]})
    config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    r = rt.run_bundle(config, cid="procsym")
    with open(os.path.join(volume, "sys/net/ipv4/ip_forward")) as f:
        assert f.read() == "", "the runtime wrote the sysctl into the attacker's volume"
    assert r.returncode != 0 or r.stdout == b"proc\n", (r.stdout, r.stderr)


def test_start_container_hook_gets_no_host_environment(rt):
    """A startContainer hook runs in the container, a program of the image: the runtime's environment (the
    caller's, with whatever secrets it holds) is not its to read. runc's init clears its environment first
    (libcontainer/init_linux.go: os.Clearenv)."""
    config = rt.config(rt.sh("cat /dev/hook-env"))
    config["hooks"] = {"startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "env > /dev/hook-env"]}]}
    env = dict(os.environ, TETHER_TEST_HOST_SECRET=rt.marker + "-secret")
    r = subprocess.run(rt.argv("run", "--bundle", rt.bundle(config), "hookenv"), input=b"",
                       capture_output=True, env=env, timeout=TIMEOUT)
    rt._track("hookenv")
    assert r.returncode == 0, r.stderr
    assert b"PATH=" in r.stdout, r.stdout   # the hook ran
    assert (rt.marker + "-secret").encode() not in r.stdout, r.stdout


def test_sysctl_without_a_procfs_is_refused(rt):
    """With no procfs at /proc (none mounted, the image's /proc a plain directory), a sysctl has nowhere to
    go: refused with a clear error, never written into the image's files."""
    config = rt.config(rt.sh("echo ran"))
    config["mounts"] = [m for m in config["mounts"] if m["type"] != "proc"]
    config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    r = rt.run_bundle(config, cid="noproc")
    assert r.returncode == 1 and b"ran" not in r.stdout, (r.stdout, r.stderr)
    assert b"sysctl 'net.ipv4.ip_forward' needs a procfs at /proc, and the container has none" in r.stderr, r.stderr
    assert not os.path.exists(os.path.join(rt.rootfs, "proc", "sys"))
    rt.assert_nothing_left()
