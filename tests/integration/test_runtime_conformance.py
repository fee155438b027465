"""Where runc and crun agree and a payload relies on it (issue 8, "conformance gaps against crun and runc"):
each test names what runc or crun does that tether must do too."""

import json
import os
import shutil
import socket
import subprocess

import pytest

import runtime_helpers
from runtime_helpers import base, rootfs, rt  # noqa: F401 (fixtures)

runtime_helpers.skip_unless_selected()


def run_ok(rt, config, cid="b"):
    r = rt.run_bundle(config, cid=cid)
    assert r.returncode == 0, f"rc {r.returncode}\nstdout: {r.stdout!r}\nstderr: {r.stderr!r}"
    return r.stdout.decode()


# -- 1. lo is up in a new network namespace --------------------------------------------------------------


def link_flags(text):
    """The flags of `ip -o link show lo`: "1: lo: <LOOPBACK,UP,LOWER_UP> mtu ..." -> {"LOOPBACK", ...}."""
    return set(text.split("<", 1)[1].split(">", 1)[0].split(","))


def test_loopback_up_in_new_network_namespace(rt):
    """runc (libcontainer/network_linux.go loopback) and crun (libcrun_configure_network) bring lo up;
    `docker run --network none` gives the container nothing else to talk to itself on."""
    assert "UP" in link_flags(run_ok(rt, rt.config(["ip", "-o", "link", "show", "lo"])))
    assert "UP" in link_flags(rt.run_sh("ip -o link show lo"))


# -- 2. HOME from the container's /etc/passwd --------------------------------------------------------------


PASSWD = ("root:x:0:0:root:/root:/bin/sh\n"
          "# not an entry\n"
          "web:x:1000:1000:Web:/srv/web:/bin/sh\n")


def env_of(text):
    return [line for line in text.splitlines() if line.startswith("HOME=")]


@pytest.fixture
def passwd_rootfs(rt):
    """A bundle config whose /etc/passwd (bound read-only over the image's) is PASSWD."""
    path = os.path.join(rt.work, "passwd")
    with open(path, "w") as f:
        f.write(PASSWD)

    def config(args, **kw):
        c = rt.config(args, **kw)
        c["mounts"].append({"destination": "/etc/passwd", "type": "bind", "source": path,
                            "options": ["bind", "ro"]})
        return c
    return config


@pytest.mark.parametrize("uid,home", [(0, "/root"), (1000, "/srv/web"), (4242, "/")])
def test_home_from_passwd(rt, passwd_rootfs, uid, home):
    """runc (libcontainer/env.go prepareEnv): without HOME in process.env, the home of process.user.uid in
    the container's /etc/passwd, or / when it has no entry."""
    c = passwd_rootfs(["env"])
    c["process"]["env"] = ["PATH=/bin", "HOME="]
    c["process"]["user"] = {"uid": uid, "gid": uid}
    assert env_of(run_ok(rt, c)) == [f"HOME={home}"]


def test_home_from_config_wins(rt, passwd_rootfs):
    c = passwd_rootfs(["env"])
    c["process"]["env"] = ["HOME=/elsewhere", "PATH=/bin"]
    assert env_of(run_ok(rt, c)) == ["HOME=/elsewhere"]


def test_home_without_passwd_is_root_dir(rt):
    """No /etc/passwd at all (the test image has none): HOME=/."""
    c = rt.config(["env"])
    c["process"]["env"] = ["PATH=/bin"]
    assert env_of(run_ok(rt, c)) == ["HOME=/"]


def test_home_passwd_symlink_stays_in_rootfs(rt):
    """/etc/passwd is read inside the container's root, at create and at exec: an absolute symlink to a host
    file resolves to a path the container lacks, so HOME is /, not the host file's /evil."""
    evil = os.path.join(rt.work, "evil-passwd")
    with open(evil, "w") as f:
        f.write("root:x:0:0:root:/evil:/bin/sh\n")
    c = rt.config(rt.sh("env; echo ready; read x"))
    c["process"]["env"] = ["PATH=/bin"]
    c["mounts"].append({"destination": "/etc", "type": "tmpfs", "source": "tmpfs", "options": ["mode=755"]})
    # In the container's mount namespace before pivot_root: the rootfs's /etc is the tmpfs.
    link = f"ln -s {evil} {rt.rootfs}/etc/passwd"
    c["hooks"] = {"createContainer": [{"path": "/bin/sh", "args": ["sh", "-c", link]}]}
    ct = rt.create("evil", rt.bundle(c))
    ct.start()
    ct.stdio.wait_line("ready")
    assert env_of(bytes(ct.stdio.out).decode()) == ["HOME=/"]
    r = rt.tether("exec", "evil", "env")
    assert r.returncode == 0, r.stderr
    assert env_of(r.stdout.decode()) == ["HOME=/"]
    ct.stdio.write("\n")
    ct.wait_exit()


def test_home_in_exec(rt, passwd_rootfs):
    c = passwd_rootfs(rt.sh("echo ready; read x"))
    c["process"]["env"] = ["PATH=/bin"]
    ct = rt.create("home", rt.bundle(c))
    ct.start()
    ct.stdio.wait_line("ready")
    r = rt.tether("exec", "--user", "1000", "home", "env")
    assert r.returncode == 0, r.stderr
    assert env_of(r.stdout.decode()) == ["HOME=/srv/web"]
    r = rt.tether("exec", "--env", "HOME=/x", "home", "env")
    assert env_of(r.stdout.decode()) == ["HOME=/x"]
    ct.stdio.write("\n")
    ct.wait_exit()


# -- 3. socket activation: LISTEN_FDS --------------------------------------------------------------------


def run_activated(rt, config, fds, listen_env, *opts):
    """`tether run` of config as systemd starts a socket-activated unit: fds at 3, 4, ... and listen_env
    (LISTEN_PID=$$ is tether's own pid: the shell execs it). Returns (returncode, stdout)."""
    stdio = rt.stdio()

    def place_fds():
        dups = [os.dup(s.fileno()) for s in fds]
        for i, fd in enumerate(dups):
            os.dup2(fd, 3 + i)

    script = f'{listen_env} exec "$@"'
    argv = ["/bin/sh", "-c", script, "sh"] + rt.argv("run", "--bundle", rt.bundle(config), *opts, "act")
    rt._track("act")
    p = subprocess.Popen(argv, pass_fds=list(range(3, 3 + len(fds))), preexec_fn=place_fds,
                         **stdio.popen_kwargs())
    stdio.close_child_ends()
    rt._popens.append(p)
    out, err = stdio.finish()
    return p.wait(runtime_helpers.TIMEOUT), out, err


FD_REPORT = ('echo "LISTEN_FDS=$LISTEN_FDS LISTEN_PID=$LISTEN_PID self=$$";'
             'for fd in 3 4 5; do echo "$fd $(readlink /proc/self/fd/$fd)"; done')


def socket_inode(s):
    return f"socket:[{os.fstat(s.fileno()).st_ino}]"


def test_listen_fds_passed_with_listen_pid_of_container(rt):
    """runc (utils_linux.go, docs/terminals.md): when LISTEN_PID is the runtime's own pid, the LISTEN_FDS
    fds from 3 go to the container ahead of --preserve-fds's, with LISTEN_FDS and LISTEN_PID set for it."""
    socks = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(3)]
    try:
        c = rt.config(rt.sh(FD_REPORT))
        c["process"]["env"] = ["PATH=/bin", "LISTEN_FDS=9", "LISTEN_PID=9"]   # ours replace these
        rc, out, err = run_activated(rt, c, socks, "LISTEN_FDS=2 LISTEN_PID=$$", "--preserve-fds", "1")
        assert rc == 0, err
        lines = out.splitlines()
        assert lines[0] == "LISTEN_FDS=2 LISTEN_PID=1 self=1"
        assert lines[1:] == [f"{i + 3} {socket_inode(s)}" for i, s in enumerate(socks)]
    finally:
        for s in socks:
            s.close()


def test_listen_fds_for_another_pid_are_not_passed(rt):
    """LISTEN_PID names someone else (the shell's parent): the fds are not ours to pass on, as in runc."""
    socks = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)]
    try:
        c = rt.config(rt.sh(FD_REPORT))
        c["process"]["env"] = ["PATH=/bin"]
        rc, out, err = run_activated(rt, c, socks, "LISTEN_FDS=1 LISTEN_PID=$PPID")
        assert rc == 0, err
        lines = out.splitlines()
        assert lines[0] == "LISTEN_FDS= LISTEN_PID= self=1"
        assert lines[1] == "3 "
    finally:
        for s in socks:
            s.close()


# -- 4. a missing process.cwd is created, inside the rootfs ----------------------------------------------


def test_missing_cwd_is_created(rt):
    """runc (libcontainer/rootfs_linux.go prepareRootfs) creates process.cwd after pivot_root, 0755."""
    c = rt.config(rt.sh("pwd; stat -c %a ."))
    c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"})
    c["process"]["cwd"] = "/tmp/new/deeper"
    assert run_ok(rt, c).split() == ["/tmp/new/deeper", "755"]


def test_missing_cwd_through_symlink_stays_in_rootfs(rt):
    """The attack: cwd through a symlink to an absolute path that exists on the host (/etc) must create the
    directory under the container's /etc, never the host's."""
    name = "tether-cwd-" + rt.marker
    c = rt.config(rt.sh("pwd; ls -d /etc/" + name))
    for d in ("/mnt", "/etc"):
        c["mounts"].append({"destination": d, "type": "tmpfs", "source": "tmpfs", "options": ["mode=755"]})
    link = f"ln -s /etc {rt.rootfs}/mnt/link"
    c["hooks"] = {"createContainer": [{"path": "/bin/sh", "args": ["sh", "-c", link]}]}
    c["process"]["cwd"] = f"/mnt/link/{name}"
    try:
        assert run_ok(rt, c).split() == [f"/etc/{name}", f"/etc/{name}"]   # getcwd(): the link resolved
    finally:
        assert not os.path.exists(f"/etc/{name}"), "created on the host"


# -- 5. exec's noNewPrivileges -----------------------------------------------------------------------------


def nnp(r):
    assert r.returncode == 0, r.stderr
    return r.stdout.decode().split()[-1]


def test_exec_no_new_privs_as_runc(rt):
    """runc exec (exec.go getProcess, utils_linux.go newProcess): the process is config.json's, so its
    noNewPrivileges holds unless --no-new-privs[=BOOL] is given, which sets it either way; a --process FILE
    is taken as it is, its noNewPrivileges absent meaning false, and the flag ignored."""
    c = rt.config(rt.sh("echo ready; read x"))
    c["process"]["noNewPrivileges"] = True
    ct = rt.create("nnp", rt.bundle(c))
    ct.start()
    ct.stdio.wait_line("ready")
    show = ["grep", "NoNewPrivs", "/proc/self/status"]
    assert nnp(rt.tether("exec", "nnp", *show)) == "1"
    assert nnp(rt.tether("exec", "--no-new-privs=false", "nnp", *show)) == "0"
    assert nnp(rt.tether("exec", "--no-new-privs=true", "nnp", *show)) == "1"
    process = os.path.join(rt.work, "process.json")
    with open(process, "w") as f:
        json.dump({"args": show, "cwd": "/", "user": {"uid": 0, "gid": 0}}, f)
    assert nnp(rt.tether("exec", "--process", process, "nnp")) == "0"
    assert nnp(rt.tether("exec", "--process", process, "--no-new-privs", "nnp")) == "0"
    r = rt.tether("exec", "--no-new-privs=maybe", "nnp", *show)
    assert r.returncode == 2 and b"--no-new-privs" in r.stderr, r.stderr
    ct.stdio.write("\n")
    ct.wait_exit()


# -- 6. a hook without env inherits the runtime's environment -----------------------------------------------


@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "createContainer", "poststart", "poststop"])
def test_hook_without_env_inherits_runtimes(rt, kind):
    """crun (src/libcrun/container.c: env = environ unless the hook has one) and runc (configs.Command.Run:
    exec.Cmd with a nil Env) give such a hook the runtime's environment; one with env gets just that."""
    out = os.path.join(rt.work, "hook-env")
    c = rt.config(["true"])
    c["hooks"] = {kind: [
        {"path": "/bin/sh", "args": ["sh", "-c", f"env > {out}"]},
        {"path": "/bin/sh", "args": ["sh", "-c", f"env > {out}.own"], "env": ["OWN=1"]},
    ]}
    env = dict(os.environ, TETHER_CONFORM_HOOK="inherited")
    r = subprocess.run(rt.argv("run", "--bundle", rt.bundle(c), "hk"), input=b"", capture_output=True,
                       env=env, timeout=runtime_helpers.TIMEOUT)
    rt._track("hk")
    assert r.returncode == 0, r.stderr
    with open(out) as f:
        assert "TETHER_CONFORM_HOOK=inherited" in f.read().splitlines()
    with open(out + ".own") as f:
        assert "TETHER_CONFORM_HOOK=inherited" not in f.read()


# -- 7. linux.rootfsPropagation ---------------------------------------------------------------------------


def root_propagation(mountinfo):
    """The optional fields of the container's root in its mountinfo: shared:N, master:N, unbindable."""
    for line in mountinfo.splitlines():
        fields = line.split()
        if fields[4] == "/":
            tags = fields[6:fields.index("-")]
            return {t.split(":")[0] for t in tags}
    raise AssertionError(f"no / in\n{mountinfo}")


@pytest.fixture
def shared_rootfs(rt):
    """The rootfs bound at a shared mount point of this test's own, as on a systemd host (this one's / is
    private): there a slave root has a master, and a leak of the container's mounts to the host would show."""
    path = os.path.join(rt.work, "shared-root")
    os.mkdir(path)
    subprocess.run(["mount", "--bind", rt.rootfs, path], check=True)
    try:
        subprocess.run(["mount", "--make-shared", path], check=True)
        yield path
    finally:
        subprocess.run(["umount", "-R", path], check=True)   # -R: what a leak put below it, too


def mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(path)]


@pytest.mark.parametrize("propagation,tags", [
    ("shared", {"shared"}), ("rshared", {"shared"}), ("slave", {"master"}), ("rslave", {"master"}),
    ("private", set()), ("rprivate", set()), ("unbindable", {"unbindable"}), ("runbindable", {"unbindable"}),
])
def test_rootfs_propagation(rt, shared_rootfs, propagation, tags):
    """runc (libcontainer/rootfs_linux.go prepareRoot, then after pivot_root for shared and unbindable)
    gives the container's root the propagation asked for; no mount of the container reaches the host."""
    c = rt.config(["cat", "/proc/self/mountinfo"], root={"path": shared_rootfs})
    c["linux"]["rootfsPropagation"] = propagation
    assert root_propagation(run_ok(rt, c)) == tags
    assert mounts_under(shared_rootfs) == [shared_rootfs]


# -- 8. a mount destination through a dangling symlink ------------------------------------------------------


def own_rootfs(rt, name="own-root"):
    """A rootfs of this test's own, to hold what the shared one must not: /bin/busybox (static) only."""
    root = os.path.join(rt.work, name)
    os.makedirs(os.path.join(root, "bin"))
    shutil.copy2(runtime_helpers.BUSYBOX, os.path.join(root, "bin", "busybox"))
    for d in ("proc", "dev", "mnt"):
        os.mkdir(os.path.join(root, d))
    return root


def busybox_sh(rt, script):
    return ["/bin/busybox", "sh", "-c", "PATH=/bin; busybox --install -s /bin 2>/dev/null; " + script,
            rt.marker]


def test_mount_destination_through_dangling_symlink(rt):
    """A destination whose symlink points nowhere yet is created where the link points, resolved inside the
    rootfs, as openat2 RESOLVE_IN_ROOT resolves it: absolute links from the rootfs, relative ones from the
    link's directory; a link to a host path (that exists on the host) gets it made inside the rootfs."""
    root = own_rootfs(rt)
    outside = os.path.join(rt.work, "outside")       # exists on the host, not in the rootfs
    os.mkdir(outside)
    os.symlink("/data/deep", os.path.join(root, "mnt", "abs"))
    os.symlink("../rel-target/x", os.path.join(root, "mnt", "rel"))
    os.symlink(outside + "/sub", os.path.join(root, "mnt", "escape"))
    os.symlink("/data/file", os.path.join(root, "mnt", "file"))
    src = os.path.join(rt.work, "bound-file")
    with open(src, "w") as f:
        f.write("bound\n")
    c = rt.config(busybox_sh(rt, "for d in /data/deep /rel-target/x " + outside + "/sub; do "
                                  "grep -q \" $d tmpfs \" /proc/self/mounts && echo $d; done; cat /data/file"),
                  root={"path": root})
    c["process"]["env"] = ["PATH=/bin"]
    for d in ("/mnt/abs", "/mnt/rel", "/mnt/escape"):
        c["mounts"].append({"destination": d, "type": "tmpfs", "source": "tmpfs"})
    c["mounts"].append({"destination": "/mnt/file", "type": "bind", "source": src, "options": ["bind"]})
    assert run_ok(rt, c).split() == ["/data/deep", "/rel-target/x", outside + "/sub", "bound"]
    assert os.listdir(outside) == []
    assert os.path.isdir(os.path.join(root, outside.lstrip("/"), "sub"))


# -- 9. no /proc, /sys or /sys/fs/cgroup mount ---------------------------------------------------------------


DOCKER_MASKED = ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/scsi", "/sys/firmware",
                 "/sys/devices/virtual/powercap"]
DOCKER_READONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]


def test_no_proc_mount(rt):
    """runc and crun run a config that mounts no /proc (nor /sys, /sys/fs/cgroup); masked and read-only
    paths it lacks are skipped. The container sees its image's empty /proc."""
    c = rt.config(rt.sh("ls -A /proc /sys; echo done"))
    c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/proc"]
    c["linux"]["maskedPaths"] = DOCKER_MASKED
    c["linux"]["readonlyPaths"] = DOCKER_READONLY
    assert run_ok(rt, c).split() == ["/proc:", "/sys:", "done"]


def test_no_proc_mount_create_start(rt):
    """The same through create and start: the first process waits for start without /proc."""
    c = rt.config(rt.sh("echo started"))
    c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/proc"]
    ct = rt.create("noproc", rt.bundle(c))
    assert ct.status() == "created"
    ct.start()
    ct.stdio.wait_line("started")
    ct.wait_exit()


def test_first_process_holds_no_host_fd(rt):
    """Only stdio reaches the program: no exec fifo, no state directory, no socket of the runtime."""
    out = run_ok(rt, rt.config(["ls", "/proc/self/fd"]))
    assert sorted(int(fd) for fd in out.split()) == [0, 1, 2, 3], out   # 3: ls's own /proc/self/fd


def test_start_of_dead_created_container(rt):
    """A created container whose process died is reported, not started."""
    ct = rt.create("dead", rt.bundle(rt.config(["true"])))
    os.kill(ct.pid, 9)
    ct.wait_exit()
    r = rt.tether("start", "dead")
    assert r.returncode == 1
    assert b"exited before it started" in r.stderr or b"is stopped" in r.stderr, r.stderr


# -- 10. the host's /dev bound at /dev; devices in a user namespace -------------------------------------------


def test_bound_dev_gets_no_default_devices(rt):
    """runc (libcontainer/rootfs_linux.go needsSetupDev): with /dev a bind mount, it is the caller's /dev as
    it is: no default device, no linux.devices node, no symlink is made in it. A directory of this test's own
    stands in for the host's /dev, so that a regression cannot touch the real one."""
    fake = os.path.join(rt.work, "fake-dev")
    os.mkdir(fake)
    with open(os.path.join(fake, "null"), "w") as f:
        f.write("marker\n")
    c = rt.config(rt.sh("ls -A /dev; cat /dev/null"))
    c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/dev"]
    c["mounts"].append({"destination": "/dev", "type": "bind", "source": fake, "options": ["rbind"]})
    c["linux"]["devices"] = [{"path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200}]
    assert run_ok(rt, c).split() == ["null", "marker"]
    assert os.listdir(fake) == ["null"]
    with open(os.path.join(fake, "null")) as f:
        assert f.read() == "marker\n"


def test_user_namespace_device_is_bind_of_host_node(rt):
    """runc (createDevices): in a user namespace, where mknod is not allowed, a linux.devices entry is the
    host's node bound there."""
    c = rt.config(rt.sh("stat -c '%t:%T' /dev/net/tun; grep -c ' /dev/net/tun ' /proc/self/mountinfo"))
    c["linux"]["namespaces"].append({"type": "user"})
    c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    c["linux"]["devices"] = [{"path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200}]
    assert run_ok(rt, c).split() == ["a:c8", "1"]


# -- 11. stdio owned by the container's user ------------------------------------------------------------------


def test_stdio_chowned_to_container_user(rt):
    """runc (libcontainer/init_linux.go fixStdioPermissions): stdio is given to process.user's uid before
    the process changes to it, so that it can reopen /proc/self/fd/N or /dev/stdout; here stdout is a
    regular file, stdin and stderr pipes. Not /dev/null, not a terminal that is not the container's."""
    out_path = os.path.join(rt.work, "stdout")
    c = rt.config(rt.sh("stat -L -c %u /proc/self/fd/0 /proc/self/fd/2; echo via-path >> /dev/stdout"))
    c["process"]["user"] = {"uid": 1000, "gid": 1000}
    b = rt.bundle(c)
    rt._track("fx")
    with open(out_path, "w") as out:
        r = subprocess.run(rt.argv("run", "--bundle", b, "fx"), stdout=out,
                           stderr=subprocess.PIPE, input=b"", timeout=runtime_helpers.TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert os.stat(out_path).st_uid == 1000
    with open(out_path) as f:
        assert f.read().split() == ["1000", "1000", "via-path"]


def test_stdio_dev_null_and_foreign_tty_not_chowned(rt):
    master, slave = os.openpty()
    try:
        before = os.fstat(slave).st_uid, os.stat("/dev/null").st_uid
        c = rt.config(["true"])
        c["process"]["user"] = {"uid": 1000, "gid": 1000}
        b = rt.bundle(c)
        rt._track("fy")
        with open("/dev/null", "rb") as null:
            r = subprocess.run(rt.argv("run", "--bundle", b, "fy"), stdin=null, stdout=slave,
                               stderr=subprocess.PIPE, timeout=runtime_helpers.TIMEOUT)
        assert r.returncode == 0, r.stderr
        assert (os.fstat(slave).st_uid, os.stat("/dev/null").st_uid) == before
    finally:
        os.close(master)
        os.close(slave)


# -- 12. spec --rootless ------------------------------------------------------------------------------------


def test_spec_rootless_as_runc(rt):
    """runc spec --rootless (libcontainer/specconv/example.go ToRootless): no network namespace, a user
    namespace mapping the caller's euid and egid to 0 (size 1), /sys an rbind of the host's, no uid=/gid=
    mount options, no linux.resources; the rest as the plain spec."""
    plain, rootless = (os.path.join(rt.work, n) for n in ("plain", "rootless"))
    specs = {}
    for path, opts in ((plain, []), (rootless, ["--rootless"])):
        os.mkdir(path)
        r = rt.tether("spec", "--bundle", path, *opts)
        assert r.returncode == 0, r.stderr
        with open(os.path.join(path, "config.json")) as f:
            specs[path] = json.load(f)
    p, s = specs[plain], specs[rootless]
    types = [n["type"] for n in s["linux"]["namespaces"]]
    assert types == [n["type"] for n in p["linux"]["namespaces"] if n["type"] not in ("network", "user")] + ["user"]
    assert s["linux"]["uidMappings"] == [{"containerID": 0, "hostID": os.geteuid(), "size": 1}]
    assert s["linux"]["gidMappings"] == [{"containerID": 0, "hostID": os.getegid(), "size": 1}]
    sysfs = [m for m in s["mounts"] if m["destination"] == "/sys"]
    assert sysfs == [{"destination": "/sys", "type": "none", "source": "/sys",
                      "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]}]
    for m in s["mounts"]:
        assert not [o for o in m.get("options", []) if o.startswith(("uid=", "gid="))], m
    assert "gid=5" in next(m for m in p["mounts"] if m["destination"] == "/dev/pts")["options"]
    assert "resources" not in s["linux"]
    assert s["process"] == p["process"]
    r = rt.tether("run", "--rootless", "--rootfs", rt.rootfs, "x", "--", "true")
    assert r.returncode == 2, r.stderr
