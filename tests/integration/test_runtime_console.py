"""process.terminal: the container's pty, handed to whoever listens on --console-socket (as conmon
does for podman -t), for create and for exec --tty."""

import array
import os
import select
import socket

import pytest  # noqa: F401

from runtime_helpers import TIMEOUT, base, rootfs, rt  # noqa: F401 (fixtures)


def listen(rt):
    path = os.path.join(rt.work, "console.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(1)
    s.settimeout(TIMEOUT)
    return s, path


def receive_master(listener):
    """Accepts the runtime's connection and returns (pty name, master fd) from its one message."""
    conn, _ = listener.accept()
    with conn:
        conn.settimeout(TIMEOUT)
        msg, anc, _, _ = conn.recvmsg(256, socket.CMSG_SPACE(4))
    fds = array.array("i")
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:4])
    assert len(fds) == 1, "no fd in the console socket message"
    return msg.decode(), fds[0]


def read_all(fd):
    out = b""
    while True:
        ready, _, _ = select.select([fd], [], [], TIMEOUT)
        assert ready, f"no EOF on the pty; got {out!r}"
        try:
            chunk = os.read(fd, 4096)
        except OSError:   # EIO: the last holder of the slave is gone
            return out
        if not chunk:
            return out
        out += chunk


def test_create_hands_the_pty_over_the_console_socket(rt):
    listener, path = listen(rt)
    config = rt.config(["sh", "-c", "tty; stty size; [ /dev/console -ef $(tty) ] && echo console; exit 4"])
    config["process"]["terminal"] = True
    config["process"]["consoleSize"] = {"height": 31, "width": 97}
    config["mounts"].append({"destination": "/dev/pts", "type": "devpts", "source": "devpts",
                             "options": ["newinstance", "ptmxmode=0666", "mode=0620"]})
    bundle = rt.bundle(config)
    p, stdio = rt.spawn("create", "--bundle", bundle, "--console-socket", path, "tty1")
    name, master = receive_master(listener)
    try:
        assert p.wait(TIMEOUT) == 0, stdio.dump()
        assert name.startswith("/dev/pts/")
        assert rt.tether("start", "tty1").returncode == 0
        out = read_all(master).decode()
    finally:
        os.close(master)
        listener.close()
    assert out.split("\r\n")[:3] == [name, "31 97", "console"], out
    rt.tether("delete", "--force", "tty1")


def test_terminal_without_console_socket_is_refused(rt):
    config = rt.config(["true"])
    config["process"]["terminal"] = True
    r = rt.tether("create", "--bundle", rt.bundle(config), "tty2")
    assert r.returncode == 1
    assert b"process.terminal is set, but no --console-socket is given" in r.stderr
    rt.assert_nothing_left()


def test_exec_tty_gets_its_own_pty(rt):
    config = rt.config(["sleep", "1000"])
    config["mounts"].append({"destination": "/dev/pts", "type": "devpts", "source": "devpts",
                             "options": ["newinstance", "ptmxmode=0666", "mode=0620"]})
    c = rt.create("tty3", rt.bundle(config))
    assert rt.tether("start", "tty3").returncode == 0
    listener, path = listen(rt)
    p, stdio = rt.spawn("exec", "--tty", "--console-socket", path, "tty3", "sh", "-c", "tty; exit 9")
    name, master = receive_master(listener)
    try:
        out = read_all(master).decode()
    finally:
        os.close(master)
        listener.close()
    assert p.wait(TIMEOUT) == 9, stdio.dump()
    assert out.strip() == name
    assert rt.tether("delete", "--force", "tty3").returncode == 0
    del c


def test_run_tty_relays_the_terminal(rt):
    """`tether run --tty` without --console-socket: the runtime relays its own terminal to the
    container's pty, and ^C typed there is the container's SIGINT."""
    pid, fd = os.forkpty()
    if pid == 0:
        try:
            os.execv(rt.argv()[0], rt.argv("run", "--tty", "--rootfs", rt.rootfs, "tty4", "--",
                                           # PID 1 of its namespace gets only signals it handles
                                           "sh", "-c", "trap 'exit 130' INT; tty; echo ready; sleep 1000 & wait"))
        finally:
            os._exit(127)
    out = b""
    try:
        while b"ready" not in out:
            ready, _, _ = select.select([fd], [], [], TIMEOUT)
            assert ready, f"no 'ready' from the container: {out!r}"
            out += os.read(fd, 4096)
        os.write(fd, b"\x03")
        out += read_all(fd)
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 130, out
    assert out.split(b"\r\n")[0].startswith(b"/dev/pts/"), out
    rt.assert_nothing_left()
