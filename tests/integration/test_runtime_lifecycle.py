"""tether's container lifecycle, runc's command line: create, start, state, kill, delete, list, `run` in the
foreground (its exit status, the signals it forwards) and detached, the pid file, and --init."""

import json
import os
import re
import signal

import pytest

import runtime_helpers
from runtime_helpers import TETHER, base, rootfs, rt, signal_name, wait_signalfd  # noqa: F401 (fixtures)

runtime_helpers.skip_unless_selected()

# Prints "ready" once its trap is set, then waits on stdin; the trapped signal makes it say so and exit 7.
TRAP = "trap 'echo caught {sig}; exit 7' {sig}; echo ready; read x; echo stdin-closed"
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z")


def no_pidns(rt, args):
    """A config whose process is not PID 1 of a namespace: a signal's default action applies to it."""
    c = rt.config(args)
    c["linux"]["namespaces"] = [{"type": t} for t in ("mount", "ipc", "uts", "network")]
    return c


# -- run: exit status --------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [0, 1, 42, 255])
def test_run_exit_code_is_the_programs(rt, code):
    r = rt.run(cmd=rt.sh(f"exit {code}"))
    assert r.returncode == code, r.stderr
    rt.assert_nothing_left()


@pytest.mark.parametrize("sig", [signal.SIGUSR1, signal.SIGTERM, signal.SIGKILL], ids=signal_name)
def test_run_exit_code_after_signal_is_128_plus_n(rt, sig):
    """The program kills itself: run reports it as a shell does. Not PID 1 of a namespace, where the
    kernel would drop a signal it sends itself."""
    r = rt.run_bundle(no_pidns(rt, rt.sh(f"kill -s {signal_name(sig)} $$; exit 3")))
    assert r.returncode == 128 + sig, r.stderr
    rt.assert_nothing_left()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1], ids=signal_name)
def test_run_forwards_signal(rt, sig):
    """A signal sent to `tether run` reaches the container's program (here PID 1, which handles it)."""
    name = signal_name(sig)
    p, io = rt.spawn("run", "--rootfs", rt.rootfs, "fwd", "--", *rt.sh(TRAP.format(sig=name)))
    io.wait_line("ready")
    wait_signalfd(p.pid, io)
    p.send_signal(sig)
    assert p.wait(runtime_helpers.TIMEOUT) == 7, io.dump()
    out, _ = io.finish()
    assert f"caught {name}" in out.splitlines()
    rt.assert_nothing_left()


def test_run_forwarded_sigterm_kills_program(rt):
    """Without a handler the forwarded SIGTERM kills the program, and run exits 128+15."""
    p, io = rt.spawn("run", "--bundle", rt.bundle(no_pidns(rt, rt.sh("echo ready; read x"))), "fwd")
    io.wait_line("ready")
    wait_signalfd(p.pid, io)
    p.send_signal(signal.SIGTERM)
    assert p.wait(runtime_helpers.TIMEOUT) == 128 + signal.SIGTERM, io.dump()
    rt.assert_nothing_left()


def test_run_removes_state_unless_keep(rt):
    assert rt.run(cmd=["true"], cid="gone").returncode == 0
    assert rt.state_entries() == []
    r = rt.tether("run", "--rootfs", rt.rootfs, "--keep", "kept", "--", "true")
    assert r.returncode == 0, r.stderr
    assert rt.state_entries() == ["kept"]
    s = rt.state("kept")
    assert (s["status"], s["pid"]) == ("stopped", 0)
    assert rt.tether("delete", "kept").returncode == 0
    rt.assert_nothing_left()


def test_run_detach(rt):
    p, io = rt.spawn("run", "--rootfs", rt.rootfs, "--detach", "det", "--", *rt.sh("echo ready; read x; exit 5"))
    assert p.wait(runtime_helpers.TIMEOUT) == 0, io.dump()
    io.wait_line("ready")
    s = rt.state("det")
    assert s["status"] == "running"
    pidfd = os.pidfd_open(s["pid"])
    try:
        io.write("go\n")
        assert runtime_helpers.pidfd_exited(pidfd, runtime_helpers.TIMEOUT)
    finally:
        os.close(pidfd)
    assert rt.state("det")["status"] == "stopped"
    assert rt.tether("delete", "det").returncode == 0
    rt.assert_nothing_left()


# -- create, start, state, kill, delete ------------------------------------------------------------------


def test_states_create_start_kill_delete(rt):
    c = rt.create("life", rt.bundle(rt.config(rt.sh("echo started; read x"))))
    s = c.state()
    assert s["status"] == "created"
    assert s["pid"] == c.pid > 0
    assert os.readlink(f"/proc/{c.pid}/ns/pid") != runtime_helpers.host_ns("pid")

    c.start()
    c.stdio.wait_line("started")
    s = c.state()
    assert (s["status"], s["pid"]) == ("running", c.pid)

    c.kill("KILL")
    c.wait_exit()
    s = c.state()
    assert (s["status"], s["pid"]) == ("stopped", 0)

    c.delete()
    r = rt.tether("state", "life")
    assert r.returncode == 1
    assert "container 'life' does not exist" in r.stderr.decode()
    rt.assert_nothing_left()


def test_created_container_has_not_run_its_program(rt):
    """Until start, the process is still tether, waiting: the program has not been executed. (Its binary
    is tether's sealed copy, not the file on disk: see test_runtime_escapes.py.)"""
    c = rt.create("wait", rt.bundle(rt.config(rt.sh("echo started; read x"))))
    exe = os.readlink(f"/proc/{c.pid}/exe")
    assert os.path.basename(exe) == os.path.basename(TETHER) and exe != os.path.realpath(TETHER), exe
    assert not c.exited()
    c.start()
    c.stdio.wait_line("started")
    assert os.readlink(f"/proc/{c.pid}/exe").endswith("/bin/busybox")


def test_start_twice_is_refused(rt):
    c = rt.create("twice", rt.bundle(rt.config(rt.sh("echo started; read x"))))
    c.start()
    r = rt.tether("start", "twice")
    assert r.returncode == 1
    assert "container 'twice' has already been started" in r.stderr.decode()
    assert c.status() == "running"


def test_pid_file_is_the_state_pid(rt):
    c = rt.create("pidf", rt.bundle(rt.config(rt.sh("read x"))))
    with open(c.pid_file) as f:
        text = f.read()
    assert text == str(c.pid)
    assert c.state()["pid"] == int(text)
    assert not os.path.exists(c.pid_file + ".tmp")


def test_state_fields(rt):
    config = rt.config(rt.sh("read x"), annotations={"org.example.key": "value", "io.tether/empty": ""})
    bundle = rt.bundle(config)
    c = rt.create("fields", bundle)
    s = c.state()
    assert s["ociVersion"] == "1.0.2"
    assert s["id"] == "fields"
    assert s["status"] == "created"
    assert s["pid"] == c.pid
    assert s["bundle"] == os.path.realpath(bundle)
    assert s["annotations"] == {"org.example.key": "value", "io.tether/empty": ""}
    assert s["rootfs"] == os.path.realpath(rt.rootfs)
    assert RFC3339.fullmatch(s["created"]), s["created"]


def test_state_of_config_without_annotations(rt):
    c = rt.create("noann", rt.bundle(rt.config(rt.sh("read x"))))
    assert c.state().get("annotations", {}) == {}


@pytest.mark.parametrize("how", [["TERM"], ["SIGTERM"], ["15"], []], ids=["TERM", "SIGTERM", "15", "default"])
def test_kill_signal_forms(rt, how):
    """kill by name, by SIG name, by number, and by default: SIGTERM each time."""
    c = rt.create("k", rt.bundle(rt.config(rt.sh(TRAP.format(sig="TERM")))))
    c.start()
    c.stdio.wait_line("ready")
    c.kill(*how)
    c.wait_exit()
    out, _ = c.stdio.finish()
    assert out.splitlines() == ["ready", "caught TERM"]
    assert c.status() == "stopped"


def test_kill_other_signal(rt):
    c = rt.create("k", rt.bundle(rt.config(rt.sh(TRAP.format(sig="USR2")))))
    c.start()
    c.stdio.wait_line("ready")
    c.kill("SIGUSR2")
    c.wait_exit()
    assert c.stdio.finish()[0].splitlines() == ["ready", "caught USR2"]


def test_kill_created_container(rt):
    """A created container's process dies of SIGKILL before it ever runs the program."""
    c = rt.create("k", rt.bundle(rt.config(rt.sh("echo started"))))
    c.kill("KILL")
    c.wait_exit()
    assert c.status() == "stopped"
    assert c.stdio.finish() == ("", "")


def test_delete_stopped_container(rt):
    c = rt.create("done", rt.bundle(rt.config(rt.sh("exit 0"))))
    c.start()
    c.wait_exit()
    assert c.status() == "stopped"
    c.delete()
    rt.assert_nothing_left()


def test_delete_created_container_kills_it(rt):
    c = rt.create("cr", rt.bundle(rt.config(rt.sh("echo started"))))
    c.delete()
    c.wait_exit()
    assert c.stdio.finish() == ("", "")
    rt.assert_nothing_left()


@pytest.mark.parametrize("preserve", [True, False], ids=["preserved", "closed"])
def test_preserve_fds(rt, preserve):
    """--preserve-fds 1 passes fd 3 on to the program; without it, the program does not get it."""
    r, w = os.pipe()
    try:
        opts = ["--preserve-fds", "1"] if preserve else []
        c = rt.create("fds", rt.bundle(rt.config(rt.sh("echo through-fd-3 >&3 && echo wrote"))), *opts, fd3=w)
        os.close(w)
        w = None
        c.start()
        c.wait_exit()
        out, err = c.stdio.finish()
        if preserve:
            assert out == "wrote\n", err
            assert os.read(r, 100) == b"through-fd-3\n"
        else:
            assert out == ""
            assert "Bad file descriptor" in err, err
            assert os.read(r, 100) == b""   # EOF: no copy of the write end is left anywhere
    finally:
        os.close(r)
        if w is not None:
            os.close(w)


def test_no_pivot(rt):
    """--no-pivot: the rootfs is moved onto / and chrooted into, instead of pivot_root."""
    p, io = rt.spawn("run", "--no-pivot", "--bundle", rt.bundle(rt.config(rt.sh("ls /bin/busybox; hostname x"))), "np")
    assert p.wait(runtime_helpers.TIMEOUT) == 0, io.dump()
    assert io.finish()[0] == "/bin/busybox\n"


# -- list --------------------------------------------------------------------------------------------------


def make_two(rt):
    """One created and one running container."""
    bundle = rt.bundle(rt.config(rt.sh("echo started; read x")))
    a = rt.create("alpha", bundle)
    b = rt.create("beta-1.x_y", bundle)
    b.start()
    b.stdio.wait_line("started")
    return bundle, a, b


def test_list_table(rt):
    """runc's table: Go's tabwriter (minwidth 12, padding 3), columns ID PID STATUS BUNDLE CREATED OWNER."""
    bundle, a, b = make_two(rt)
    r = rt.tether("list")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    header = lines[0]
    assert header.split() == ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]
    starts = [header.index(h) for h in header.split()]
    assert starts[0] == 0
    for prev, nxt in zip(starts, starts[1:]):
        assert nxt - prev >= 12
    rows = {}
    for line in lines[1:]:
        cells = [line[s:e].rstrip() for s, e in zip(starts, starts[1:] + [None])]
        assert all(line[s - 1] == " " for s in starts[1:]), f"cells out of their columns: {line!r}"
        rows[cells[0]] = cells
    assert set(rows) == {"alpha", "beta-1.x_y"}
    for c, status in ((a, "created"), (b, "running")):
        s = c.state()
        assert rows[c.id] == [c.id, str(c.pid), status, os.path.realpath(bundle), s["created"], "root"]


def test_list_json(rt):
    bundle, a, b = make_two(rt)
    r = rt.tether("list", "--format", "json")
    assert r.returncode == 0, r.stderr
    entries = {e["id"]: e for e in json.loads(r.stdout)}
    assert set(entries) == {"alpha", "beta-1.x_y"}
    for c, status in ((a, "created"), (b, "running")):
        e = entries[c.id]
        assert (e["status"], e["pid"], e["bundle"]) == (status, c.pid, os.path.realpath(bundle))
        assert e["created"] == c.state()["created"]


def test_list_quiet(rt):
    make_two(rt)
    r = rt.tether("list", "-q")
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.decode().split()) == ["alpha", "beta-1.x_y"]


def test_list_empty(rt):
    r = rt.tether("list")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().splitlines()[0].split() == ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]
    assert len(r.stdout.decode().splitlines()) == 1
    r = rt.tether("list", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) in (None, [])


def test_list_shows_stopped(rt):
    c = rt.create("st", rt.bundle(rt.config(rt.sh("exit 0"))))
    c.start()
    c.wait_exit()
    e = json.loads(rt.tether("list", "--format", "json").stdout)
    assert [(x["id"], x["status"], x["pid"]) for x in e] == [("st", "stopped", 0)]


# -- --init ------------------------------------------------------------------------------------------------


def test_init_is_pid1(rt):
    out = rt.run_sh("readlink /proc/1/exe; tr '\\0' ' ' < /proc/1/cmdline; echo; echo $$", "--init")
    exe, cmdline, me = out.splitlines()
    assert exe == "/dev/tether-init"
    assert cmdline.split()[:4] == ["/dev/tether-init", "--", "sh", "-c"]
    assert me == "2"


def test_init_exit_code(rt):
    r = rt.run("--init", cmd=rt.sh("exit 42"))
    assert r.returncode == 42, r.stderr


def test_init_signal_exit_code(rt):
    """The program (PID 2 now) may kill itself: tether-init reports 128+N, and run passes it on."""
    r = rt.run("--init", cmd=rt.sh("kill -s USR1 $$"))
    assert r.returncode == 128 + signal.SIGUSR1, r.stderr


def test_init_forwards_run_signal(rt):
    p, io = rt.spawn("run", "--rootfs", rt.rootfs, "--init", "fwd", "--", *rt.sh(TRAP.format(sig="TERM")))
    io.wait_line("ready")
    wait_signalfd(p.pid, io)
    p.send_signal(signal.SIGTERM)
    assert p.wait(runtime_helpers.TIMEOUT) == 7, io.dump()
    assert "caught TERM" in io.finish()[0].splitlines()
