"""Where runc and crun agree and a payload relies on it (issue 8, "conformance gaps against crun and runc"):
each test names what runc or crun does that tether must do too."""

import os

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
