"""User namespaces against crun and runc (issue 8): one without id mappings, bind mount sources only the
host's root can reach, device nodes bound into one, idmapped mounts."""

import ctypes
import os
import subprocess

import pytest

import runtime_helpers
from runtime_helpers import (CAP, base, mount_at, parse_mountinfo, parse_status,  # noqa: F401 (fixtures)
                             rootfs, rt)

runtime_helpers.skip_unless_selected()

HOST_ID = 100000


def run_ok(rt, config, cid="u"):
    r = rt.run_bundle(config, cid=cid)
    assert r.returncode == 0, f"rc {r.returncode}\nstdout: {r.stdout!r}\nstderr: {r.stderr!r}"
    return r.stdout.decode()


def userns_config(rt, script, mapped=True):
    """A container in a user namespace, its root HOST_ID on the host; /mnt is a tmpfs of its own, where
    the mapped root can make mount points (the rootfs is the host root's, and shared by the tests)."""
    c = rt.config(rt.sh(script))
    c["mounts"].append({"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["mode=755"]})
    c["linux"]["namespaces"].append({"type": "user"})
    if mapped:
        c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": HOST_ID, "size": 65536}]
        c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": HOST_ID, "size": 65536}]
    return c


def overflow_id(kind):
    with open(f"/proc/sys/kernel/overflow{kind}") as f:
        return int(f.read())


# -- 1. a user namespace without uid/gid mappings -----------------------------------------------------------


def test_user_namespace_without_mappings(rt):
    """With no uidMappings and gidMappings the kernel maps no id: the process keeps the overflow uid and gid
    it has there, and the capabilities the config gives it in the namespace (here through the ambient set,
    the only one that survives the exec of a process whose uid is not 0). runc refuses such a config; the
    kernel allows it. A process that maps no uid can create no file, so /dev is a directory of the test's,
    bound: no device node has to be made."""
    dev = os.path.join(rt.work, "dev")
    os.mkdir(dev, 0o755)
    caps = ["CAP_SYS_ADMIN"]
    c = userns_config(rt, "wc -l < /proc/self/uid_map; wc -l < /proc/self/gid_map; id -u; id -g; "
                          "grep -E '^Cap(Eff|Amb)' /proc/self/status; "
                          "mount -t tmpfs t /tmp && grep -c ' /tmp ' /proc/self/mountinfo", mapped=False)
    c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/dev"]
    c["mounts"].append({"destination": "/dev", "type": "bind", "source": dev, "options": ["rbind"]})
    c["process"]["capabilities"] = {s: caps for s in ("bounding", "effective", "permitted", "inheritable",
                                                      "ambient")}
    lines = run_ok(rt, c).splitlines()
    assert lines[:4] == ["0", "0", str(overflow_id("uid")), str(overflow_id("gid"))], lines
    status = parse_status("\n".join(lines[4:6]))
    assert int(status["CapEff"], 16) == 1 << CAP["SYS_ADMIN"], status
    assert int(status["CapAmb"], 16) == 1 << CAP["SYS_ADMIN"], status
    assert lines[6:] == ["1"], lines   # the tmpfs it mounted: CAP_SYS_ADMIN in its namespace


def test_user_namespace_without_mappings_refuses_other_user(rt):
    """Without mappings no uid but the overflow one can be had: another process.user is refused, not
    silently ignored."""
    c = userns_config(rt, "true", mapped=False)
    c["process"]["user"] = {"uid": 1000, "gid": 1000}
    r = rt.run_bundle(c, cid="u")
    assert r.returncode != 0
    assert b"maps no uid" in r.stderr, r.stderr


# -- 2. bind mount sources opened by the runtime, on the host ---------------------------------------------


def private_tree(rt):
    """rt.work/private, 0700 and root's: only the host's root reaches what lies below it. In it inner/
    (0755) with a file, and the directory itself as a source of its own."""
    private = os.path.join(rt.work, "private")
    os.mkdir(private, 0o700)
    inner = os.path.join(private, "inner")
    os.mkdir(inner, 0o755)
    with open(os.path.join(inner, "file"), "w") as f:
        f.write("behind a 0700 directory\n")
    return private, inner


def test_bind_source_only_host_root_reaches(rt):
    """crun (prepare_and_send_mount_mounts) and runc (mountFd) open bind sources on the host's side when the
    container has a user namespace: its root, mapped to HOST_ID, could not reach a source below a 0700
    directory of the host's root, or the directory itself. Both mount; the container sees the 0700
    directory as the overflow uid's, and reads what lies below."""
    private, inner = private_tree(rt)
    c = userns_config(rt, "stat -c '%u %a' /mnt/private; cat /mnt/inner/file; "
                          "grep -c -E ' /mnt/(private|inner) ' /proc/self/mountinfo")
    c["mounts"] += [{"destination": "/mnt/private", "type": "bind", "source": private, "options": ["bind"]},
                    {"destination": "/mnt/inner", "type": "bind", "source": inner, "options": ["rbind", "ro"]}]
    lines = run_ok(rt, c).splitlines()
    assert lines == [f"{overflow_id('uid')} 700", "behind a 0700 directory", "2"], lines


def test_bind_source_file_only_host_root_reaches(rt):
    """The same for a file as the source, onto a file."""
    private, inner = private_tree(rt)
    c = userns_config(rt, "cat /mnt/file")
    c["mounts"].append({"destination": "/mnt/file", "type": "bind", "source": os.path.join(inner, "file"),
                        "options": ["bind", "ro"]})
    assert run_ok(rt, c) == "behind a 0700 directory\n"


@pytest.fixture
def hidden_tree(rt):
    """private/inner (as private_tree) with a tmpfs mounted on inner/hidden, over a file the host hides
    there; yields (private, inner). The mount is the test's, unmounted afterwards."""
    private, inner = private_tree(rt)
    hidden = os.path.join(inner, "hidden")
    os.mkdir(hidden)
    with open(os.path.join(hidden, "secret"), "w") as f:
        f.write("hidden by a mount\n")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=755", "tether-userns-hide", hidden], check=True)
    try:
        with open(os.path.join(hidden, "on-tmpfs"), "w") as f:
            f.write("submount\n")
        yield private, inner
    finally:
        subprocess.run(["umount", hidden], check=True)


def test_bind_source_rbind_takes_submounts(rt, hidden_tree):
    """open_tree(OPEN_TREE_CLONE | AT_RECURSIVE) for rbind: the mount below the source comes along, and,
    taken in the container's mount namespace, stays locked there (mount_namespaces(7)): the container's
    root cannot unmount it to see what the host hid below it."""
    _, inner = hidden_tree
    c = userns_config(rt, "ls /mnt/r/hidden; umount /mnt/r/hidden 2>/dev/null && echo UNMOUNTED; "
                          "ls /mnt/r/hidden")
    c["mounts"].append({"destination": "/mnt/r", "type": "bind", "source": inner, "options": ["rbind"]})
    assert run_ok(rt, c).split() == ["on-tmpfs", "on-tmpfs"]


def test_bind_source_with_submounts_must_be_rbind(rt, hidden_tree):
    """A plain bind would show what the mounts below its source hide: in a user namespace the kernel
    refuses it (EINVAL), as when the container's process bound it itself; the message says what to do."""
    _, inner = hidden_tree
    c = userns_config(rt, "true")
    c["mounts"].append({"destination": "/mnt/b", "type": "bind", "source": inner, "options": ["bind"]})
    r = rt.run_bundle(c, cid="u")
    assert r.returncode == 1
    assert f"'{inner}'".encode() in r.stderr and b"rbind" in r.stderr, r.stderr


def test_bind_source_host_read_only_stays_read_only(rt):
    """A source the host mounted read-only: the container's root cannot remount its bind read-write, since
    the clone is taken where the kernel locked that flag (crun 1.8.1, which clones in the host's namespace,
    lets it)."""
    private, inner = private_tree(rt)
    ro = os.path.join(private, "ro")
    os.mkdir(ro, 0o755)
    subprocess.run(["mount", "--bind", inner, ro], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", ro], check=True)
        c = userns_config(rt, "mount -o remount,bind,rw /mnt/ro 2>/dev/null && echo REMOUNTED; "
                              "touch /mnt/ro/new 2>/dev/null && echo WROTE; cat /mnt/ro/file")
        c["mounts"].append({"destination": "/mnt/ro", "type": "bind", "source": ro, "options": ["bind"]})
        assert run_ok(rt, c) == "behind a 0700 directory\n"
        assert not os.path.exists(os.path.join(inner, "new"))
    finally:
        subprocess.run(["umount", ro], check=True)


# -- 3. device nodes in a user namespace ------------------------------------------------------------------


def test_user_namespace_devices_are_nosuid_noexec_binds(rt):
    """Where mknod is not allowed, a device is the host's node bound in; crun (libcrun_create_dev) binds it
    nosuid and noexec, as a device node needs neither. Every default device and linux.devices entry."""
    c = userns_config(rt, "cat /proc/self/mountinfo")
    c["linux"]["devices"] = [{"path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200}]
    mounts = parse_mountinfo(run_ok(rt, c))
    for dev in ("null", "zero", "full", "random", "urandom", "tty", "net/tun"):
        m = mount_at(mounts, f"/dev/{dev}")
        assert m is not None, f"/dev/{dev} is not a bind mount"
        assert {"nosuid", "noexec"} <= m["options"], (dev, m)
        assert "nodev" not in m["options"], (dev, m)   # it must still work as a device


# -- 4. idmapped mounts -----------------------------------------------------------------------------------

OWNER = 1000   # the host uid/gid that owns the test's directories


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


def idmap_unsupported(path):
    """Why an idmapped mount of path cannot be made here (None if it can): the probe makes one, as tether
    does, with open_tree(2) and mount_setattr(2) (Linux 5.12; and a filesystem that allows it: ext4 since
    5.12, tmpfs since 6.3), in a user namespace of unshare(1)'s."""
    libc = ctypes.CDLL(None, use_errno=True)
    sys_open_tree, sys_mount_setattr = 428, 442
    at_fdcwd, at_empty_path, open_tree_clone, mount_attr_idmap = -100, 0x1000, 1, 0x00100000
    holder = subprocess.Popen(["unshare", "--user", "--map-root-user", "sh", "-c", "echo ready; read x"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        if holder.stdout.readline() != b"ready\n":
            return "unshare --user --map-root-user failed"
        userns = os.open(f"/proc/{holder.pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
        try:
            fd = libc.syscall(sys_open_tree, at_fdcwd, path.encode(), open_tree_clone | os.O_CLOEXEC)
            if fd < 0:
                return f"open_tree(2): {os.strerror(ctypes.get_errno())}"
            try:
                attr = _MountAttr(mount_attr_idmap, 0, 0, userns)
                if libc.syscall(sys_mount_setattr, fd, b"", at_empty_path, ctypes.byref(attr),
                                ctypes.sizeof(attr)) < 0:
                    return f"mount_setattr(MOUNT_ATTR_IDMAP) on {path}: {os.strerror(ctypes.get_errno())}"
            finally:
                os.close(fd)
        finally:
            os.close(userns)
    finally:
        holder.stdin.close()
        holder.wait()
    return None


def owned_tree(rt, name, uid=OWNER):
    """rt.work/NAME (0755), owned by uid, with a file of uid's and one of host root's."""
    d = os.path.join(rt.work, name)
    os.mkdir(d, 0o755)
    for f, owner in (("mine", uid), ("roots", 0)):
        with open(os.path.join(d, f), "w") as fh:
            fh.write(f + "\n")
        os.chown(os.path.join(d, f), owner, owner)
    os.chown(d, uid, uid)
    return d


@pytest.fixture
def idmap(rt):
    reason = idmap_unsupported(rt.work)
    if reason:
        pytest.skip(f"no idmapped mounts here: {reason}")


def mapping(container_id, host_id, size):
    return [{"containerID": container_id, "hostID": host_id, "size": size}]


def test_idmap_with_mount_mappings(rt, idmap):
    """uidMappings/gidMappings of the mount (config.md "POSIX-platform Mounts"), in a user namespace made for
    it, as crun and runc do: the directory of host uid 1000 is the container root's (1000 on disk is
    HOST_ID, which is the container's 0), and what the container's root creates lands as 1000 on disk."""
    d = owned_tree(rt, "owned")
    c = userns_config(rt, "stat -c '%n %u:%g' /mnt/d /mnt/d/mine /mnt/d/roots; echo x > /mnt/d/new && echo made")
    c["mounts"].append({"destination": "/mnt/d", "type": "bind", "source": d, "options": ["bind", "idmap"],
                        "uidMappings": mapping(OWNER, HOST_ID, 1), "gidMappings": mapping(OWNER, HOST_ID, 1)})
    assert run_ok(rt, c).splitlines() == ["/mnt/d 0:0", "/mnt/d/mine 0:0", "/mnt/d/roots 65534:65534", "made"]
    st = os.stat(os.path.join(d, "new"))
    assert (st.st_uid, st.st_gid) == (OWNER, OWNER)


def test_idmap_takes_container_mappings(rt, idmap):
    """idmap without mappings of the mount uses the container's user namespace (runc's specconv, crun's
    maybe_get_idmapped_mount): host root's files are its root's, and its root writes as host root."""
    d = owned_tree(rt, "roots", uid=0)
    c = userns_config(rt, "stat -c '%n %u:%g' /mnt/d /mnt/d/mine /mnt/d/roots; touch /mnt/d/new && echo made")
    c["mounts"].append({"destination": "/mnt/d", "type": "bind", "source": d, "options": ["rbind", "idmap"]})
    assert run_ok(rt, c).splitlines() == ["/mnt/d 0:0", "/mnt/d/mine 0:0", "/mnt/d/roots 0:0", "made"]
    st = os.stat(os.path.join(d, "new"))
    assert (st.st_uid, st.st_gid) == (0, 0)


def test_idmap_without_user_namespace(rt, idmap):
    """Mappings of the mount need no user namespace of the container's: a container of the host's root sees
    the directory of uid 1000 as root's."""
    d = owned_tree(rt, "owned")
    c = rt.config(rt.sh("stat -c '%u:%g' /mnt/d /mnt/d/roots"))
    c["mounts"] += [{"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["mode=755"]},
                    {"destination": "/mnt/d", "type": "bind", "source": d, "options": ["bind", "idmap"],
                     "uidMappings": mapping(OWNER, 0, 1), "gidMappings": mapping(OWNER, 0, 1)}]
    assert run_ok(rt, c).split() == ["0:0", "65534:65534"]


@pytest.fixture
def tree_with_submount(rt):
    """owned (uid 1000) with sub/, on which the test binds another directory of uid 1000's; unmounted
    afterwards."""
    d = owned_tree(rt, "owned")
    other = owned_tree(rt, "other")
    sub = os.path.join(d, "sub")
    os.mkdir(sub)
    subprocess.run(["mount", "--bind", other, sub], check=True)
    try:
        yield d
    finally:
        subprocess.run(["umount", sub], check=True)


@pytest.mark.parametrize("option, sub_owner", [("ridmap", "0:0"), ("idmap", "65534:65534")])
def test_ridmap_maps_submounts(rt, idmap, tree_with_submount, option, sub_owner):
    """With rbind, ridmap maps every mount of the tree (mount_setattr(AT_RECURSIVE)), idmap only its top."""
    c = userns_config(rt, "stat -c '%u:%g' /mnt/d/mine /mnt/d/sub/mine")
    c["mounts"].append({"destination": "/mnt/d", "type": "bind", "source": tree_with_submount,
                        "options": ["rbind", option],
                        "uidMappings": mapping(OWNER, HOST_ID, 1), "gidMappings": mapping(OWNER, HOST_ID, 1)})
    assert run_ok(rt, c).split() == ["0:0", sub_owner]


def test_idmap_without_any_mappings_is_refused(rt):
    c = rt.config(["true"])
    c["mounts"].append({"destination": "/mnt", "type": "bind", "source": rt.work, "options": ["bind", "idmap"]})
    r = rt.run_bundle(c, cid="u")
    assert r.returncode == 1
    assert b"mounts[2].options: idmap without uidMappings and gidMappings" in r.stderr, r.stderr


def test_mount_sources_are_closed_before_exec(rt, idmap):
    """The mount fds the runtime passes are closed once attached: the program holds only stdio (3: ls's own
    /proc/self/fd), and no hook or program of the container's can reach a host mount through them."""
    private, inner = private_tree(rt)
    d = owned_tree(rt, "owned")
    c = userns_config(rt, "ls /proc/self/fd")
    c["mounts"] += [{"destination": "/mnt/i", "type": "bind", "source": inner, "options": ["rbind"]},
                    {"destination": "/mnt/d", "type": "bind", "source": d, "options": ["bind", "idmap"],
                     "uidMappings": mapping(OWNER, HOST_ID, 1), "gidMappings": mapping(OWNER, HOST_ID, 1)}]
    assert sorted(int(fd) for fd in run_ok(rt, c).split()) == [0, 1, 2, 3]
