"""Namespaces, seen from inside the container: new ones differ from the host's, joined ones (--net PATH,
linux.namespaces[].path) are the very ones, --net host is the host's; a user namespace with its id
mappings, a time namespace with its offsets; hostname and domainname in the UTS namespace."""

import os
import shutil
import socket
import subprocess
import uuid

import pytest

import runtime_helpers
from runtime_helpers import NAMESPACES, base, host_ns, rootfs, rt  # noqa: F401 (fixtures)

runtime_helpers.skip_unless_selected()

PRINT_NS = "for n in " + " ".join(NAMESPACES) + "; do echo $n $(readlink /proc/self/ns/$n); done"
FRIENDLY_NEW = {"pid", "net", "ipc", "uts", "mnt", "cgroup"}


def namespaces(text):
    return dict(line.split(" ", 1) for line in text.splitlines())


def host_namespaces():
    return {n: host_ns(n) for n in NAMESPACES}


def test_friendly_run_makes_new_namespaces(rt):
    inside = namespaces(rt.run_sh(PRINT_NS))
    host = host_namespaces()
    for n in NAMESPACES:
        if n in FRIENDLY_NEW:
            assert inside[n] != host[n], f"{n}: the host's"
        else:
            assert inside[n] == host[n], f"{n}: a new one, unasked"


def test_pid_namespace_program_is_pid1(rt):
    """The program is PID 1 and sees only itself and its children: no host process."""
    lines = rt.run_sh("echo $$; ps -o pid,args; exit 0").splitlines()
    assert lines[0] == "1"
    procs = [line.split(None, 1) for line in lines[2:]]
    assert [p[0] for p in procs] == ["1", "2"], lines
    assert procs[0][1].startswith("sh -c") and rt.marker in procs[0][1]
    assert procs[1][1].startswith("{ps} ")   # busybox runs the applet in the forked shell


def test_net_host(rt):
    inside = namespaces(rt.run_sh(PRINT_NS, "--net", "host"))
    host = host_namespaces()
    assert inside["net"] == host["net"]
    for n in FRIENDLY_NEW - {"net"}:
        assert inside[n] != host[n], n


def test_net_none_has_only_loopback(rt):
    assert rt.run_sh("ls /sys/class/net").split() == ["lo"]


@pytest.fixture
def netns():
    """A named network namespace (ip netns add), deleted afterwards; yields its path."""
    ip = shutil.which("ip")
    if ip is None:
        pytest.skip("no ip (iproute2) to make a network namespace")
    name = "tether-test-" + uuid.uuid4().hex[:8]
    r = subprocess.run([ip, "netns", "add", name], capture_output=True, input=b"")
    if r.returncode != 0:
        pytest.skip(f"ip netns add failed: {r.stderr.decode().strip()}")
    try:
        yield f"/run/netns/{name}"
    finally:
        subprocess.run([ip, "netns", "delete", name], capture_output=True, input=b"")


def ns_id(path):
    st = os.stat(path)
    return f"net:[{st.st_ino}]"


def test_net_path_friendly(rt, netns):
    inside = namespaces(rt.run_sh(PRINT_NS, "--net", netns))
    assert inside["net"] == ns_id(netns)
    assert inside["net"] != host_ns("net")


def test_net_path_bundle(rt, netns):
    c = rt.config(rt.sh(PRINT_NS))
    c["linux"]["namespaces"] = [{"type": "pid"}, {"type": "mount"}, {"type": "network", "path": netns}]
    r = rt.run_bundle(c)
    assert r.returncode == 0, r.stderr
    inside = namespaces(r.stdout.decode())
    assert inside["net"] == ns_id(netns)
    assert inside["uts"] == host_ns("uts")


# -- user namespace ----------------------------------------------------------------------------------------

HOST_ID = 100000


def test_user_namespace_mappings(rt):
    """Root in the container is HOST_ID on the host: the maps say so, and files show it both ways."""
    owned = os.path.join(rt.work, "owned")
    os.mkdir(owned, 0o755)
    for name, uid in (("host-root", 0), ("mapped", HOST_ID + 1000)):
        with open(os.path.join(owned, name), "w") as f:
            f.write(name)
        os.chown(os.path.join(owned, name), uid, uid)
    os.mkdir(os.path.join(owned, "w"), 0o755)
    os.chown(os.path.join(owned, "w"), HOST_ID, HOST_ID)

    c = rt.config(rt.sh("cat /proc/self/uid_map /proc/self/gid_map; id; readlink /proc/self/ns/user; "
                        "stat -c '%n %u:%g' /mnt/host-root /mnt/mapped; echo new > /mnt/w/new"))
    c["linux"]["namespaces"].append({"type": "user"})
    c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": HOST_ID, "size": 65536}]
    c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": HOST_ID, "size": 65536}]
    # On /mnt: the mapped root may not make a mount point in the rootfs, which the host's root owns.
    c["mounts"].append({"destination": "/mnt", "type": "bind", "source": owned, "options": ["rbind"]})
    r = rt.run_bundle(c)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert lines[0].split() == ["0", str(HOST_ID), "65536"]
    assert lines[1].split() == ["0", str(HOST_ID), "65536"]
    assert lines[2] == "uid=0 gid=0"
    assert lines[3] != host_ns("user")
    assert lines[4:6] == ["/mnt/host-root 65534:65534", "/mnt/mapped 1000:1000"]
    st = os.stat(os.path.join(owned, "w", "new"))
    assert (st.st_uid, st.st_gid) == (HOST_ID, HOST_ID)


def test_user_namespace_host_pid_is_mapped(rt):
    """Seen from the host, the container's process runs as HOST_ID."""
    c = rt.config(rt.sh("echo started; read x"))
    c["linux"]["namespaces"].append({"type": "user"})
    c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": HOST_ID, "size": 65536}]
    c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": HOST_ID, "size": 65536}]
    ct = rt.create("userns", rt.bundle(c))
    ct.start()
    ct.stdio.wait_line("started")
    st = os.stat(f"/proc/{ct.pid}")
    assert (st.st_uid, st.st_gid) == (HOST_ID, HOST_ID)


# -- time namespace ----------------------------------------------------------------------------------------


def needs_time_namespace():
    if not os.path.exists("/proc/self/ns/time"):
        pytest.skip("the kernel has no time namespaces (5.6+)")


def read_uptime():
    with open("/proc/uptime") as f:
        return float(f.read().split()[0])


def time_config(rt, offsets, script):
    c = rt.config(rt.sh(script))
    c["linux"]["namespaces"].append({"type": "time"})
    c["linux"]["timeOffsets"] = offsets
    return c


def test_time_namespace_monotonic_offset(rt):
    """The monotonic offset, as given (no nanosecs: 0), and no boottime offset."""
    needs_time_namespace()
    r = rt.run_bundle(time_config(rt, {"monotonic": {"secs": 86400}},
                                  "readlink /proc/self/ns/time; cat /proc/self/timens_offsets"))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert lines[0] != host_ns("time")
    assert [line.split() for line in lines[1:]] == [["monotonic", "86400", "0"], ["boottime", "0", "0"]]


def test_time_namespace_boottime_offset_moves_uptime(rt):
    """/proc/uptime counts CLOCK_BOOTTIME, shifted by the boottime offset (fs/proc/uptime.c)."""
    needs_time_namespace()
    before = read_uptime()
    r = rt.run_bundle(time_config(rt, {"boottime": {"secs": 86400}, "monotonic": {"secs": 3600, "nanosecs": 5}},
                                  "cat /proc/uptime; cat /proc/self/timens_offsets"))
    after = read_uptime()
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    inside = float(lines[0].split()[0])
    # /proc/uptime has two decimals: compared in hundredths, as integers (98539.96 > 12139.96 + 86400
    # in binary floating point)
    assert round(before * 100) + 8640000 <= round(inside * 100) <= round(after * 100) + 8640000
    assert [line.split() for line in lines[1:]] == [["monotonic", "3600", "5"], ["boottime", "86400", "0"]]


# -- UTS: hostname, domainname ---------------------------------------------------------------------------


def test_hostname_friendly(rt):
    before = socket.gethostname()
    assert rt.run_sh("hostname", "--hostname", "box-1.example").strip() == "box-1.example"
    assert socket.gethostname() == before


def test_hostname_friendly_default(rt):
    assert rt.run_sh("hostname").strip() == "tether"


def test_hostname_and_domainname_bundle(rt):
    before = (socket.gethostname(), open("/proc/sys/kernel/domainname").read())
    c = rt.config(rt.sh("hostname; cat /proc/sys/kernel/domainname"), hostname="bundled",
                  domainname="tether.example")
    r = rt.run_bundle(c)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().splitlines() == ["bundled", "tether.example"]
    assert (socket.gethostname(), open("/proc/sys/kernel/domainname").read()) == before
