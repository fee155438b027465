"""Bad input, one test each: tether fails with 1 (2 for usage), says what is wrong naming the object, and
leaves nothing behind: no state directory under --root, no process, no mount."""

import json
import os
import re
import subprocess

import pytest

import runtime_helpers
from runtime_helpers import base, rootfs, rt  # noqa: F401 (fixtures)

runtime_helpers.skip_unless_selected()

ID_MESSAGE = "expected 1 to 128 of [A-Za-z0-9_.-], starting with a letter or digit"
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z")
BAD_IDS = {"dotdot": "../x", "empty": "", "slash": "/", "too-long": "a" * 129, "dot": ".", "dotdot-only": "..",
           "space": "a b", "newline": "a\nb"}


def failed(r_or_c, code=1):
    """(returncode, stderr text) of a CompletedProcess or a failed Container; asserts the code."""
    if isinstance(r_or_c, runtime_helpers.Container):
        r_or_c.stdio.pump(0)   # what a create that wrongly succeeded said (one that failed was read to EOF)
        rc, err = r_or_c.returncode, r_or_c.stdio.text()[1]
    else:
        rc, err = r_or_c.returncode, r_or_c.stderr.decode()
    assert rc == code, f"exit code {rc}, expected {code}; stderr: {err!r}"
    return err


def good_bundle(rt):
    return rt.bundle(rt.config(rt.sh("echo started; read x")))


# -- container ids ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("cid", BAD_IDS.values(), ids=BAD_IDS.keys())
def test_create_bad_id(rt, cid):
    c = rt.create(cid, good_bundle(rt), check=False)
    err = failed(c)
    assert f"invalid container id '{cid}': {ID_MESSAGE}" in err
    rt.assert_nothing_left()
    assert not os.path.exists(rt.root) or os.listdir(rt.root) == []
    assert not os.path.exists(os.path.join(rt.work, "x")), "the id became a path"


@pytest.mark.parametrize("verb", ["start", "state", "delete", "kill"])
def test_other_verbs_bad_id(rt, verb):
    err = failed(rt.tether(verb, "../x"))
    assert f"invalid container id '../x': {ID_MESSAGE}" in err
    rt.assert_nothing_left()


# -- config.json -----------------------------------------------------------------------------------------


# jansson's position of a syntax error: the line, and the column (in characters, not bytes) of the last
# character of the token it could not take.
@pytest.mark.parametrize("broken,line,column", [
    ('{\n  "ociVersion": "1.0.2",\n  "process": {\n    "args": ["sh",,]\n  }\n}\n', 4, 19),
    ('{\n  "ociVersion": "1.0.2",\n  "hostname": "\u00fc", "x": @\n}\n', 3, 25),
    ('{\n  "ociVersion": "1.0.2"\n  "root": {}\n}\n', 3, 8),
], ids=["double-comma", "after-utf8", "missing-comma"])
def test_malformed_json(rt, broken, line, column):
    bundle = rt.bundle(None, text=broken)
    c = rt.create("c", bundle, check=False)
    err = failed(c)
    assert f"{bundle}/config.json:{line}:{column}: malformed JSON" in err
    rt.assert_nothing_left()


def test_empty_config(rt):
    c = rt.create("c", rt.bundle(None, text=""), check=False)
    err = failed(c)
    assert "config.json" in err
    rt.assert_nothing_left()


def test_missing_config(rt):
    bundle = rt.bundle(None, text="")
    os.unlink(os.path.join(bundle, "config.json"))
    c = rt.create("c", bundle, check=False)
    err = failed(c)
    assert f"{bundle}/config.json" in err
    assert "No such file or directory" in err
    rt.assert_nothing_left()


@pytest.mark.parametrize("path,value,expected", [
    ("process.args[0]", 5, "expected a string, got an integer"),
    ("process.user.uid", "root", "got a string"),
    ("process.env", "PATH=/bin", "got a string"),
    ("linux.namespaces[1].type", "pidd", "pidd"),
    ("hostname", ["a"], "got an array"),
], ids=["args0", "uid", "env", "namespace-type", "hostname"])
def test_wrong_type(rt, path, value, expected):
    config = rt.config(["sh", "-c", "true"])
    target, keys = config, path.replace("]", "").replace("[", ".").split(".")
    for k in keys[:-1]:
        target = target[int(k)] if k.isdigit() else target[k]
    last = keys[-1]
    target[int(last) if last.isdigit() else last] = value
    text = json.dumps(config, indent=2)
    c = rt.create("c", rt.bundle(None, text=text), check=False)
    err = failed(c)
    assert f"{path}: " in err, err
    assert expected in err
    assert "config.json:" in err
    rt.assert_nothing_left()


def test_wrong_type_position(rt):
    """The position of a value of the wrong type: where the value starts."""
    text = '{\n  "ociVersion": "1.0.2", "root": {"path": "/"},\n  "process": {"cwd": "/", "args": [5]}\n}\n'
    c = rt.create("c", rt.bundle(None, text=text), check=False)
    err = failed(c)
    assert "config.json:3:36: process.args[0]: expected a string, got an integer" in err
    rt.assert_nothing_left()


def test_missing_rootfs(rt):
    missing = os.path.join(rt.work, "no-such-rootfs")
    config = rt.config(rt.sh("true"))
    config["root"]["path"] = missing
    c = rt.create("c", rt.bundle(config), check=False)
    err = failed(c)
    assert f"rootfs '{missing}'" in err
    assert "No such file or directory" in err
    rt.assert_nothing_left()


def test_missing_rootfs_friendly(rt):
    missing = os.path.join(rt.work, "no-such-rootfs")
    r = rt.tether("run", "--rootfs", missing, "c", "--", "true")
    err = failed(r)
    assert f"rootfs '{missing}'" in err
    rt.assert_nothing_left()


# -- the program -----------------------------------------------------------------------------------------


def test_executable_not_found(rt):
    c = rt.create("c", rt.bundle(rt.config(["tether-no-such-program", "arg"])), check=False)
    err = failed(c)
    assert 'exec: "tether-no-such-program": executable file not found in $PATH' in err
    assert "container 'c'" in err
    rt.assert_nothing_left()


def test_executable_not_found_friendly(rt):
    r = rt.run(cmd=["tether-no-such-program"])
    err = failed(r)
    assert 'exec: "tether-no-such-program": executable file not found in $PATH' in err
    rt.assert_nothing_left()


def test_executable_path_missing(rt):
    c = rt.create("c", rt.bundle(rt.config(["/bin/tether-no-such-program"])), check=False)
    err = failed(c)
    assert 'exec: "/bin/tether-no-such-program": stat /bin/tether-no-such-program: no such file or directory' in err
    rt.assert_nothing_left()


@pytest.mark.parametrize("program", ["/etc/not-executable", "/etc"], ids=["no-x-bit", "directory"])
def test_executable_permission_denied(rt, program):
    # A rootfs of our own: the shared one stays as built.
    root = os.path.join(rt.work, "rootfs")
    os.makedirs(os.path.join(root, "etc"))
    for d in ("proc", "dev"):
        os.mkdir(os.path.join(root, d))
    with open(os.path.join(root, "etc", "not-executable"), "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(os.path.join(root, "etc", "not-executable"), 0o644)
    config = rt.config([program])
    config["root"]["path"] = root
    c = rt.create("c", rt.bundle(config), check=False)
    err = failed(c)
    assert f'exec: "{program}": permission denied' in err
    rt.assert_nothing_left()


# -- verbs on the wrong container ------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["start", "state", "delete", "kill"])
def test_nonexistent_container(rt, verb):
    err = failed(rt.tether(verb, "nope"))
    assert "container 'nope' does not exist" in err
    rt.assert_nothing_left()


def test_create_existing_id(rt):
    first = rt.create("dup", good_bundle(rt))
    again = rt.create("dup", good_bundle(rt), check=False)
    err = failed(again)
    assert "container 'dup' already exists" in err
    s = first.state()
    assert (s["status"], s["pid"]) == ("created", first.pid)
    assert rt.state_entries() == ["dup"]
    assert rt.processes() == [first.pid]


@pytest.mark.parametrize("sig", ["FOO", "SIGFOO", "65", "-1", "", "1x"])
def test_kill_unknown_signal(rt, sig):
    c = rt.create("k", good_bundle(rt))
    err = failed(rt.tether("kill", "k", sig))
    assert f"unknown signal '{sig}'" in err
    assert not c.exited()
    assert c.status() == "created"


def test_kill_stopped_container(rt):
    c = rt.create("k", rt.bundle(rt.config(rt.sh("exit 0"))))
    c.start()
    c.wait_exit()
    err = failed(rt.tether("kill", "k", "KILL"))
    assert "container 'k' is not running (stopped)" in err


def test_delete_running_refused_without_force(rt):
    c = rt.create("busy", good_bundle(rt))
    c.start()
    c.stdio.wait_line("started")
    err = failed(rt.tether("delete", "busy"))
    assert "container 'busy' is running" in err
    assert "--force" in err
    assert not c.exited()
    assert c.status() == "running"
    assert rt.state_entries() == ["busy"]


def test_delete_running_with_force(rt):
    c = rt.create("busy", good_bundle(rt))
    c.start()
    c.stdio.wait_line("started")
    r = rt.tether("delete", "--force", "busy")
    assert r.returncode == 0, r.stderr
    c.wait_exit()
    assert failed(rt.tether("state", "busy")).count("does not exist") == 1
    rt.assert_nothing_left()


# -- usage -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args,message", [
    (["frobnicate"], "unknown command 'frobnicate'"),
    (["--bogus", "list"], "unknown option '--bogus'"),
    (["start"], "expected exactly one container id"),
    (["create", "--bundle"], "option '--bundle' needs an argument"),
    (["list", "--format", "yaml"], "invalid format 'yaml'"),
    (["run", "--rootfs", "/", "--net", "bridge", "c", "--", "true"], "invalid value 'bridge'"),
], ids=["command", "global-option", "start-no-id", "bundle-no-arg", "list-format", "net"])
def test_usage_error(rt, args, message):
    err = failed(rt.tether(*args), code=2)
    assert message in err
    rt.assert_nothing_left()


VERBS = ["create", "delete", "exec", "features", "kill", "list", "ps", "run", "spec", "start", "state"]


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("verb", VERBS)
def test_verb_help(rt, verb, flag):
    """As runc's: the verb's usage on stdout, nothing on stderr, exit 0; no "unknown option" first."""
    r = rt.tether(verb, flag)
    assert (r.returncode, r.stderr) == (0, b""), r.stderr
    assert re.match(f"Usage: tether {verb}[ \n]", r.stdout.decode()), r.stdout
    rt.assert_nothing_left()


@pytest.mark.parametrize("args", [["run", "--bundle", "b", "--help"], ["exec", "-t", "--help"],
                                  ["list", "--quiet", "-h"]], ids=["run", "exec", "list"])
def test_verb_help_after_options(rt, args):
    r = rt.tether(*args)
    assert (r.returncode, r.stderr) == (0, b""), r.stderr
    assert re.match(f"Usage: tether {args[0]}[ \n]", r.stdout.decode()), r.stdout


def test_help_after_the_command_is_the_command_s(rt):
    """Past the id and "--", --help belongs to the container's program."""
    assert rt.run(cmd=["echo", "--help", "-h"]).stdout == b"--help -h\n"


def test_error_also_logged_as_json(rt):
    """--log FILE --log-format json: runc's records, which podman and containerd read back."""
    log = os.path.join(rt.work, "log.json")
    failed(rt.tether("--log", log, "--log-format", "json", "start", "nope"))
    with open(log) as f:
        records = [json.loads(line) for line in f]
    assert [(x["level"], x["msg"]) for x in records] == [("error", "container 'nope' does not exist")]
    assert RFC3339.fullmatch(records[0]["time"]), records


# -- where tether runs -----------------------------------------------------------------------------------


def run_chrooted(rt, config, mount_point=False, opts=()):
    """`tether run --bundle B c` as from a chroot(2): in a private mount namespace of the test's own,
    tether's root is a directory that is not a mount point (unless mount_point: then it is bound onto
    itself, which is what the message advises), holding bind mounts of what tether needs at their own
    paths: /usr (with the merged-/usr links), /dev, /proc, tether's build directory, this session's
    rootfs and state. The mounts die with the namespace. Returns the CompletedProcess."""
    chroot = os.path.join(rt.work, "chroot")
    config["linux"].pop("cgroupsPath", None)   # the chroot has no cgroup file system: ask for no cgroup
    binds = ["/usr", "/dev", os.path.dirname(os.path.realpath(runtime_helpers.TETHER)), os.path.dirname(rt.work)]
    lines = ["set -e"]
    if mount_point:
        lines.append(f"mount --bind {chroot} {chroot}")
    for name in ("bin", "sbin", "lib", "lib32", "lib64"):
        host = os.path.join("/", name)
        if os.path.islink(host):
            os.makedirs(chroot, exist_ok=True)
            os.symlink(os.readlink(host), os.path.join(chroot, name))
        elif os.path.isdir(host):
            binds.append(host)
    for path in binds:
        os.makedirs(chroot + path, exist_ok=True)
        lines.append(f"mount --bind {path} {chroot}{path}")
    os.makedirs(os.path.join(chroot, "proc"))
    lines.append(f"mount -t proc proc {chroot}/proc")
    lines.append(" ".join(["exec", "chroot", chroot] + rt.argv("run", *opts, "--bundle", rt.bundle(config), "c")))
    rt._track("c")
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", "\n".join(lines)],
                          input=b"", capture_output=True, timeout=runtime_helpers.TIMEOUT)


@pytest.mark.parametrize("opts", [(), ("--no-pivot",)], ids=["pivot", "no-pivot"])
def test_root_not_a_mount_point(rt, opts):
    """In a chroot(2) directory the container's mounts cannot be kept from the host's and pivot_root(2)
    cannot work, with or without --no-pivot: the message says so and how to make it work, not a bare
    'Invalid argument'."""
    err = failed(run_chrooted(rt, rt.config(["true"]), opts=opts))
    assert "'/' is not a mount point" in err, err
    assert "chroot" in err and "mount --bind" in err, err
    rt.assert_nothing_left()


def test_root_made_a_mount_point(rt):
    """The advice works: the same chroot, bound onto itself first, runs the container."""
    r = run_chrooted(rt, rt.config(["echo", "inside"]), mount_point=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"inside\n"
    rt.assert_nothing_left()
