"""User namespaces against crun and runc (issue 8): one without id mappings, bind mount sources only the
host's root can reach, device nodes bound into one, idmapped mounts."""

import os

import runtime_helpers
from runtime_helpers import CAP, base, parse_status, rootfs, rt  # noqa: F401 (fixtures)

runtime_helpers.skip_unless_selected()

HOST_ID = 100000


def run_ok(rt, config, cid="u"):
    r = rt.run_bundle(config, cid=cid)
    assert r.returncode == 0, f"rc {r.returncode}\nstdout: {r.stdout!r}\nstderr: {r.stderr!r}"
    return r.stdout.decode()


def userns_config(rt, script, mapped=True):
    c = rt.config(rt.sh(script))
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
