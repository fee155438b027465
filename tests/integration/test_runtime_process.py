"""The container's process as configured: user, groups, umask, working directory, environment, rlimits,
from a bundle's config.json and from the friendly flags."""

import pytest

import runtime_helpers
from runtime_helpers import base, rootfs, rt  # noqa: F401 (fixtures)

runtime_helpers.skip_unless_selected()


def run_ok(rt, config):
    r = rt.run_bundle(config)
    assert r.returncode == 0, r.stderr
    return r.stdout.decode()


def test_user_and_groups_bundle(rt):
    c = rt.config(["id"])
    c["process"]["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [5, 7, 1001]}
    assert run_ok(rt, c).strip() == "uid=1000 gid=1001 groups=5,7,1001"


def test_user_without_additional_gids_has_no_groups(rt):
    """The runtime's own supplementary groups are not left to the container."""
    c = rt.config(rt.sh("id -u; id -g; id -G"))
    c["process"]["user"] = {"uid": 1000, "gid": 1001}
    assert run_ok(rt, c).split() == ["1000", "1001", "1001"]


@pytest.mark.parametrize("user,expected", [("1000:1001", "uid=1000 gid=1001"), ("0:0", "uid=0 gid=0")])
def test_user_friendly(rt, user, expected):
    assert rt.run_sh("id", "--user", user).strip() == expected


def test_umask(rt):
    c = rt.config(rt.sh("umask"))
    c["process"]["user"]["umask"] = 0o027
    assert run_ok(rt, c).strip() == "0027"


def test_cwd_bundle(rt):
    c = rt.config(rt.sh("pwd"))
    c["process"]["cwd"] = "/tmp"
    assert run_ok(rt, c).strip() == "/tmp"


def test_cwd_friendly(rt):
    assert rt.run_sh("pwd", "--cwd", "/etc").strip() == "/etc"
    assert rt.run_sh("pwd", cid="default").strip() == "/"


def test_env_bundle_exact(rt):
    """env, exec'd without a shell, prints exactly the environment of process.env, and HOME, which it lacks:
    / when the image has no /etc/passwd, as in runc."""
    env = ["PATH=/bin", "EMPTY=", "EQUALS=a=b=c", "SPACES=  s  ", "UTF8=ü"]
    c = rt.config(["env"])
    c["process"]["env"] = env
    assert run_ok(rt, c).splitlines() == env + ["HOME=/"]


def test_env_friendly(rt):
    out = rt.run_sh("env", "--env", "FOO=bar", "--env", "WITH_EQUALS=x=y")
    env = dict(line.split("=", 1) for line in out.splitlines())
    assert env["FOO"] == "bar"
    assert env["WITH_EQUALS"] == "x=y"
    assert env["PATH"] == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert env["HOME"] == "/root"


def test_path_from_env_finds_program(rt):
    """args[0] without a slash is looked up in process.env's PATH, not the runtime's."""
    c = rt.config(["hostname"], hostname="pathfound")
    c["process"]["env"] = ["PATH=/nonexistent:/bin"]
    assert run_ok(rt, c).strip() == "pathfound"


def test_rlimits_bundle(rt):
    c = rt.config(rt.sh("ulimit -n; ulimit -Hn; ulimit -c"))
    c["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456},
                               {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]
    assert run_ok(rt, c).split() == ["123", "456", "0"]


def test_rlimits_friendly_default(rt):
    assert rt.run_sh("ulimit -n; ulimit -Hn").split() == ["1024", "1024"]


def test_args_passed_exactly(rt):
    """process.args reach the program unchanged, odd ones included."""
    args = ["", "a b", "--", "-x", "$HOME", "*", "ü", "x\ny"]
    c = rt.config(["sh", "-c", "for a in \"$@\"; do printf '[%s]' \"$a\"; done", "sh"] + args)
    assert run_ok(rt, c) == "".join(f"[{a}]" for a in args)
