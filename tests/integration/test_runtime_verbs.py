"""The verbs beyond the lifecycle: exec, ps, kill --all, spec, features, and the hooks of config.json."""

import json
import os
import signal

import pytest  # noqa: F401

from runtime_helpers import TIMEOUT, base, rootfs, rt  # noqa: F401 (fixtures)
from helpers import pidfd_exited


def running(rt, cid, *args):
    """A started container running ARGS (default: a long sleep)."""
    c = rt.create(cid, rt.bundle(rt.config(list(args) or ["sleep", "1000"])))
    c.start()
    return c


# -- exec ----------------------------------------------------------------------------------------------


def test_exec_runs_in_the_container_with_its_status(rt):
    c = running(rt, "ex1")
    r = rt.tether("exec", "--env", "FOO=bar", "--cwd", "/proc", "ex1",
                  "sh", "-c", "echo $FOO $PWD $$; readlink /proc/1/ns/pid; exit 7")
    assert r.returncode == 7, r.stderr
    foo, cwd, pid, ns = r.stdout.decode().split()
    assert (foo, cwd) == ("bar", "/proc")
    assert int(pid) > 1                       # a process of the container's PID namespace
    assert ns == os.readlink(f"/proc/{c.pid}/ns/pid")
    c.delete("--force")


def test_exec_user_and_no_new_privs(rt):
    running(rt, "ex2")
    r = rt.tether("exec", "--user", "1000:1001", "--no-new-privs", "ex2",
                  "sh", "-c", "id -u; id -g; grep NoNewPrivs /proc/self/status")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().split() == ["1000", "1001", "NoNewPrivs:", "1"]
    rt.tether("delete", "--force", "ex2")


@pytest.mark.parametrize("cmd,message", [
    (["nonexistent"], b'exec: "nonexistent": executable file not found in $PATH'),
    (["/proc"], b'exec: "/proc": permission denied'),
])
def test_exec_failure_is_255_with_runcs_words(rt, cmd, message):
    running(rt, "ex3")
    r = rt.tether("exec", "ex3", *cmd)
    assert r.returncode == 255
    assert b"exec failed: " in r.stderr and message in r.stderr, r.stderr
    rt.tether("delete", "--force", "ex3")


def test_exec_in_a_missing_container_is_255(rt):
    r = rt.tether("exec", "nosuch", "true")
    assert r.returncode == 255
    assert b"container 'nosuch' does not exist" in r.stderr
    rt.assert_nothing_left()


def test_exec_process_file(rt):
    running(rt, "ex4")
    process = os.path.join(rt.work, "process.json")
    with open(process, "w") as f:
        json.dump({"args": ["sh", "-c", "echo $X; exit 3"], "env": ["X=from-file", "PATH=/bin"], "cwd": "/",
                   "user": {"uid": 0, "gid": 0}}, f)
    r = rt.tether("exec", "--process", process, "ex4")
    assert r.returncode == 3, r.stderr
    assert r.stdout == b"from-file\n"
    rt.tether("delete", "--force", "ex4")


# -- ps, kill --all ------------------------------------------------------------------------------------


def test_ps_lists_the_containers_processes(rt):
    c = running(rt, "ps1", "sh", "-c", "sleep 1000 & echo ready; exec sleep 1001")
    c.stdio.wait_line("ready")
    r = rt.tether("ps", "--format", "json", "ps1")
    assert r.returncode == 0, r.stderr
    pids = json.loads(r.stdout)
    assert pids[0] == c.pid and len(pids) == 2
    table = rt.tether("ps", "ps1", "-o", "pid,args")
    lines = table.stdout.decode().splitlines()
    assert lines[0].split() == ["PID", "COMMAND"]
    assert sorted(int(line.split()[0]) for line in lines[1:]) == sorted(pids)
    assert any("sleep 1001" in line for line in lines[1:])
    c.delete("--force")


def test_kill_all_signals_every_process(rt):
    # The init survives TERM (a trap, which its children do not inherit): only --all ends the children.
    c = running(rt, "ka1", "sh", "-c", "trap : TERM; sleep 1000 & sleep 1001 & echo ready; while :; do sleep 1002; done")
    c.stdio.wait_line("ready")
    pids = json.loads(rt.tether("ps", "--format", "json", "ka1").stdout)
    assert len(pids) >= 3
    fds = [os.pidfd_open(p) for p in pids[1:]]
    try:
        assert rt.tether("kill", "--all", "ka1", "TERM").returncode == 0
        assert all(pidfd_exited(fd, TIMEOUT) for fd in fds)
        assert not c.exited()
    finally:
        for fd in fds:
            os.close(fd)
    c.delete("--force")


# -- spec, features ------------------------------------------------------------------------------------


def test_spec_writes_a_secure_default_and_refuses_to_overwrite(rt):
    bundle = os.path.join(rt.work, "specbundle")
    os.mkdir(bundle)
    r = rt.tether("spec", "--bundle", bundle, "--rootfs", rt.rootfs, "--hostname", "h1", "--", "sh", "-c", "exit 5")
    assert r.returncode == 0, r.stderr
    with open(os.path.join(bundle, "config.json")) as f:
        config = json.load(f)
    assert config["process"]["noNewPrivileges"] is True
    assert "CAP_SYS_ADMIN" not in config["process"]["capabilities"]["bounding"]
    assert config["linux"]["seccomp"]["defaultAction"] == "SCMP_ACT_ERRNO"
    assert "/proc/kcore" in config["linux"]["maskedPaths"]
    assert rt.tether("spec", "--bundle", bundle).returncode == 1
    # And it runs as written.
    r = rt.tether("run", "--bundle", bundle, "sp1")
    assert r.returncode == 5, r.stderr
    rt.assert_nothing_left()


def test_features_lists_what_works(rt):
    r = rt.tether("features")
    assert r.returncode == 0, r.stderr
    f = json.loads(r.stdout)
    assert f["ociVersionMax"] == "1.0.2"
    assert set(f["linux"]["namespaces"]) == {"pid", "network", "ipc", "uts", "mount", "user", "cgroup", "time"}
    assert "SCMP_ACT_NOTIFY" not in f["linux"]["seccomp"]["actions"]
    assert "tmpcopyup" not in f["mountOptions"] and "rro" in f["mountOptions"]
    assert {"idmap", "ridmap"} <= set(f["mountOptions"]) and f["linux"]["mountExtensions"]["idmap"]["enabled"]
    assert "createContainer" in f["hooks"]


# -- hooks ---------------------------------------------------------------------------------------------


def hook(log, kind, extra=""):
    """A hook that appends its kind, the state's status and pid from stdin, and what extra prints."""
    script = (f'status=$(tr -d "\\n" | sed \'s/.*"status": *"\\([a-z]*\\)".*/\\1/\'); '
              f'echo "{kind} $status {extra}" >> {log}')
    return {"path": "/bin/sh", "args": ["sh", "-c", script]}


def test_hooks_run_in_order_with_the_state(rt):
    log = os.path.join(rt.work, "hooks.log")
    hooks = {k: [hook(log, k)] for k in ("prestart", "createRuntime", "createContainer", "poststart", "poststop")}
    # startContainer runs inside the container, after pivot_root: it writes where the container can.
    hooks["startContainer"] = [{"path": "/bin/sh", "args": ["sh", "-c", "echo startContainer > /dev/shm/hook"]}]
    config = rt.config(["sh", "-c", "cat /dev/shm/hook"], hooks=hooks)
    config["mounts"].append({"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid"]})
    r = rt.tether("run", "--bundle", rt.bundle(config), "hk1")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"startContainer\n"
    with open(log) as f:
        lines = [line.split()[:2] for line in f]
    assert lines == [["prestart", "creating"], ["createRuntime", "creating"], ["createContainer", "creating"],
                     ["poststart", "running"], ["poststop", "stopped"]]
    rt.assert_nothing_left()


def test_failing_create_hook_fails_create_and_leaves_nothing(rt):
    config = rt.config(["true"], hooks={"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 3"]}]})
    r = rt.tether("create", "--bundle", rt.bundle(config), "hk2")
    assert r.returncode == 1
    assert b"createRuntime hook '/bin/sh' failed with status 3" in r.stderr, r.stderr
    rt.assert_nothing_left()


def test_hook_timeout_kills_it(rt):
    config = rt.config(["true"], hooks={"prestart": [{"path": "/bin/sleep", "args": ["sleep", "1000"], "timeout": 1}]})
    r = rt.tether("run", "--bundle", rt.bundle(config), "hk3", timeout=TIMEOUT)
    assert r.returncode == 1
    assert b"prestart hook '/bin/sleep' failed: Connection timed out" in r.stderr, r.stderr
    rt.assert_nothing_left()


# -- session keyring, AppArmor ------------------------------------------------------------------------


def keyrings_named(name):
    """The keyrings /proc/keys shows under that description ("... keyring   NAME: empty")."""
    with open("/proc/keys") as f:
        return [line for line in f if f" keyring {name}: " in " ".join(line.split()) + " "]


@pytest.mark.parametrize("own", [True, False], ids=["own-keyring", "no-new-keyring"])
def test_container_gets_a_session_keyring_of_its_own(rt, own):
    cid = "keyring-" + rt.marker[-8:] + ("-own" if own else "-no")
    opts = () if own else ("--no-new-keyring",)
    c = rt.create(cid, rt.bundle(rt.config(["sleep", "1000"])), *opts)
    assert len(keyrings_named(cid)) == (1 if own else 0)
    c.delete("--force")


def test_apparmor_profile_without_apparmor_is_refused(rt):
    if os.path.exists("/sys/module/apparmor/parameters/enabled"):
        with open("/sys/module/apparmor/parameters/enabled") as f:
            if f.read().strip() == "Y":
                pytest.skip("AppArmor is enabled on this host")
    config = rt.config(["true"])
    config["process"]["apparmorProfile"] = "docker-default"
    r = rt.tether("create", "--bundle", rt.bundle(config), "aa1")
    assert r.returncode == 1
    assert b"apparmorProfile 'docker-default' is set, but AppArmor is not enabled on this host" in r.stderr, r.stderr
    rt.assert_nothing_left()
