"""The container's filesystem, from its /proc/self/mountinfo and from using it: the read-only root, --mount
and --tmpfs, the default mounts, docker's masked and read-only paths, /dev with its default devices and
links, and linux.devices of a bundle."""

import os

import pytest

import runtime_helpers
from runtime_helpers import base, mount_at, parse_mountinfo, rootfs, rt  # noqa: F401 (fixtures)

runtime_helpers.skip_unless_selected()

MASKED_FILES = ["/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                "/proc/sched_debug"]
MASKED_DIRS = ["/proc/asound", "/proc/acpi", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"]
READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]


def mountinfo(rt, *opts, script="cat /proc/self/mountinfo", cid="c"):
    return parse_mountinfo(rt.run_sh(script, *opts, cid=cid))


# -- root, --mount, --tmpfs -------------------------------------------------------------------------------


def test_root_is_writable_by_default(rt):
    assert "rw" in mount_at(mountinfo(rt), "/")["options"]


def test_readonly_root(rt):
    root = mount_at(mountinfo(rt, "--readonly"), "/")
    assert "ro" in root["options"], root
    r = rt.run("--readonly", cmd=rt.sh("touch /tether-was-here"), cid="write")
    assert r.returncode != 0
    assert b"Read-only file system" in r.stderr, r.stderr
    assert not os.path.exists(os.path.join(rt.rootfs, "tether-was-here"))


@pytest.fixture
def shared_dir(rt):
    d = os.path.join(rt.work, "shared")
    os.mkdir(d)
    with open(os.path.join(d, "hello"), "w") as f:
        f.write("hello from the host\n")
    return d


def test_bind_mount_read_only(rt, shared_dir):
    opts = ["--mount", f"{shared_dir}:/data:ro"]
    m = mount_at(mountinfo(rt, *opts), "/data")
    assert m is not None and "ro" in m["options"], m
    assert rt.run_sh("cat /data/hello", *opts, cid="read") == "hello from the host\n"
    r = rt.run(*opts, cmd=rt.sh("echo x > /data/new"), cid="write")
    assert r.returncode != 0
    assert b"Read-only file system" in r.stderr, r.stderr
    assert os.listdir(shared_dir) == ["hello"]


def test_bind_mount_read_write(rt, shared_dir):
    opts = ["--mount", f"{shared_dir}:/data"]
    m = mount_at(mountinfo(rt, *opts), "/data")
    assert m is not None and "rw" in m["options"], m
    rt.run_sh("cat /data/hello > /data/copy", *opts, cid="write")
    with open(os.path.join(shared_dir, "copy")) as f:
        assert f.read() == "hello from the host\n"


def test_bind_mount_file(rt, shared_dir):
    opts = ["--mount", f"{os.path.join(shared_dir, 'hello')}:/etc/motd:ro"]
    assert rt.run_sh("cat /etc/motd", *opts) == "hello from the host\n"


def test_tmpfs(rt):
    m = mount_at(mountinfo(rt, "--tmpfs", "/scratch"), "/scratch")
    assert m is not None and m["fstype"] == "tmpfs", m
    assert {"rw", "nosuid", "nodev"} <= m["options"], m
    out = rt.run_sh("echo data > /scratch/f && cat /scratch/f && stat -c %a /scratch", "--tmpfs", "/scratch",
                    "--readonly", cid="use")
    assert out.splitlines() == ["data", "1777"]
    assert not os.path.exists(os.path.join(rt.rootfs, "scratch", "f"))


def test_default_mounts(rt):
    mounts = mountinfo(rt)
    expect = {"/proc": "proc", "/dev": "tmpfs", "/dev/pts": "devpts", "/dev/shm": "tmpfs", "/dev/mqueue": "mqueue",
              "/sys": "sysfs"}
    for target, fstype in expect.items():
        m = mount_at(mounts, target)
        assert m is not None and m["fstype"] == fstype, (target, m)
        assert "nosuid" in m["options"], (target, m)
    assert "ro" in mount_at(mounts, "/sys")["options"]
    assert {"noexec", "nodev"} <= mount_at(mounts, "/proc")["options"]


def test_sys_fs_cgroup_read_only(rt):
    """/sys/fs/cgroup and every mount below it are read-only: the container may not write the host's
    cgroups (on a v1 host, the host's tree is bound there)."""
    mounts = mountinfo(rt)
    cgroup = [m for m in mounts if m["target"] == "/sys/fs/cgroup" or m["target"].startswith("/sys/fs/cgroup/")]
    assert cgroup, "no /sys/fs/cgroup"
    for m in cgroup:
        assert "ro" in m["options"], m


# -- masked and read-only paths --------------------------------------------------------------------------


def test_masked_files(rt):
    """Each masked file that exists is /dev/null bound over it: a character device 1:3, empty."""
    present = [p for p in MASKED_FILES if os.path.exists(p)]
    if not present:
        pytest.skip("none of docker's masked /proc files exists on this kernel")
    script = "; ".join(f"stat -c '%n %F %t:%T' {p}; wc -c < {p}" for p in present)
    lines = rt.run_sh(script).splitlines()
    for i, p in enumerate(present):
        assert lines[2 * i] == f"{p} character special file 1:3", lines
        assert lines[2 * i + 1].strip() == "0", lines


def test_masked_dirs(rt):
    """Each masked directory that exists is an empty read-only tmpfs."""
    present = [p for p in MASKED_DIRS if os.path.isdir(p)]
    if not present:
        pytest.skip("none of docker's masked directories exists here")
    assert "/sys/firmware" not in present or os.listdir("/sys/firmware"), "nothing to hide"
    out = rt.run_sh("cat /proc/self/mountinfo; echo ---; " + "; ".join(f"echo {p}: $(ls -A {p})" for p in present))
    info, listing = out.split("---\n")
    mounts = parse_mountinfo(info)
    for p in present:
        m = mount_at(mounts, p)
        assert m is not None and m["fstype"] == "tmpfs" and "ro" in m["options"], (p, m)
        assert f"{p}: " in listing.splitlines() or f"{p}:" in listing.splitlines(), listing


def test_readonly_paths(rt):
    mounts = mountinfo(rt)
    for p in READONLY_PATHS:
        if os.path.exists(p):
            m = mount_at(mounts, p)
            assert m is not None and "ro" in m["options"], (p, m)
    r = rt.run(cmd=rt.sh("echo tether > /proc/sys/kernel/domainname"), cid="write")
    assert r.returncode != 0
    assert b"Read-only file system" in r.stderr, r.stderr


# -- /dev ------------------------------------------------------------------------------------------------

DEFAULT_DEVICES = {"null": "1:3", "zero": "1:5", "full": "1:7", "random": "1:8", "urandom": "1:9", "tty": "5:0"}
DEFAULT_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
                 "stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx"}


def test_default_devices(rt):
    """runtime-spec's default devices, character devices of mode 0666 owned by root."""
    script = "; ".join(f"stat -c '%n %F %t:%T %a %u:%g' /dev/{d}" for d in DEFAULT_DEVICES)
    lines = rt.run_sh(script).splitlines()
    assert lines == [f"/dev/{d} character special file {n} 666 0:0" for d, n in DEFAULT_DEVICES.items()]


def test_default_dev_links(rt):
    script = "; ".join(f"echo {name} $(readlink /dev/{name})" for name in DEFAULT_LINKS)
    assert dict(line.split() for line in rt.run_sh(script).splitlines()) == DEFAULT_LINKS


def test_devices_usable_by_any_user(rt):
    out = rt.run_sh("echo x > /dev/null && head -c 3 /dev/zero | wc -c && head -c 3 /dev/urandom | wc -c",
                    "--user", "1000:1000")
    assert out.split() == ["3", "3"]


def test_config_devices(rt):
    """linux.devices: nodes of the given type, numbers, mode and owner, in directories made for them."""
    c = rt.config(rt.sh("stat -c '%n %F %t:%T %a %u:%g' /dev/tether-null /dev/sub/tether-zero; "
                        "stat -c '%n %F %a' /dev/tether-fifo; echo x > /dev/tether-null && echo written"))
    c["linux"]["devices"] = [
        {"path": "/dev/tether-null", "type": "c", "major": 1, "minor": 3, "fileMode": 0o666, "uid": 1000, "gid": 1001},
        {"path": "/dev/sub/tether-zero", "type": "c", "major": 1, "minor": 5, "fileMode": 0o640},
        {"path": "/dev/tether-fifo", "type": "p", "fileMode": 0o600},
    ]
    r = rt.run_bundle(c)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().splitlines() == [
        "/dev/tether-null character special file 1:3 666 1000:1001",
        "/dev/sub/tether-zero character special file 1:5 640 0:0",
        "/dev/tether-fifo fifo 600",
        "written",
    ]
