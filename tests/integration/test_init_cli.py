"""tether-init's contract with whoever starts it: arguments and environment passed through untouched, the
exit status (the program's, 128+N, -e, 126/127), usage errors, --version for dockerd, and stdout left to
the program alone."""

import os
import re
import signal
import subprocess

import pytest

from helpers import DEFAULT_ENV, PYTHON, Agent, run_direct

# Prints the exact argv and environment the kernel gave this process (not what Python made of them).
PRINT_CMDLINE = ["-c", "import sys; sys.stdout.buffer.write(open('/proc/self/cmdline', 'rb').read())"]
PRINT_ENVIRON = ["-c", "import sys; sys.stdout.buffer.write(open('/proc/self/environ', 'rb').read())"]

# Arguments tether-init must neither parse nor touch, its own options among them.
ODD_ARGS = ["-v", "--grace", "0", "--", "-", "", "a b", "--version", "-h", "-s", "-p", "ü", b"\xff\xfe", "*",
            "$HOME", "x\ny", "--pause"]


def _b(a):
    return a if isinstance(a, bytes) else os.fsencode(a)


def run_payload(start, init_bin, args, pid1, env=None):
    """Runs tether-init ARGS to its end, as PID 1 of a namespace or as a plain child (with -s, so that
    nothing is printed about reaping). Returns (status, stdout, stderr)."""
    if pid1:
        i = start(args, env=env)
        rc = i.finish()
        return rc, bytes(i.out), bytes(i.err)
    r = run_direct(init_bin, ["-s"] + args, env=env)
    return r.returncode, r.stdout, r.stderr


@pytest.mark.parametrize("pid1", [True, False], ids=["pid1", "child"])
@pytest.mark.parametrize("layout", ["dashdash", "bare", "options"])
def test_args_passed_exactly(start, init_bin, pid1, layout):
    payload = [PYTHON] + PRINT_CMDLINE + ODD_ARGS
    args = {"dashdash": ["--"] + payload,
            "bare": payload,
            "options": ["-g", "-e", "3", "--grace", "1", "--"] + payload}[layout]
    rc, out, err = run_payload(start, init_bin, args, pid1)
    assert rc == 0, err
    assert out == b"".join(_b(a) + b"\0" for a in payload)


@pytest.mark.parametrize("pid1", [True, False], ids=["pid1", "child"])
def test_environment_passed_unchanged(start, init_bin, pid1):
    env = {"PATH": "/usr/bin:/bin", "EMPTY": "", "EQUALS": "a=b=c", "NEWLINE": "x\ny", "SPACES": "  s  ",
           "UTF8": "ü", b"BYTES": b"\xff\x01", "TINI_SUBREAPER": "", "TINI_VERBOSITY": "1",
           "LD_NOTHING": "1", "Z_LAST": "z"}
    rc, out, err = run_payload(start, init_bin, ["--", PYTHON] + PRINT_ENVIRON, pid1, env=env)
    assert rc == 0, err
    assert out == b"".join(_b(k) + b"=" + _b(v) + b"\0" for k, v in env.items())


@pytest.mark.parametrize("code", [0, 1, 42, 255])
def test_exit_code_is_the_programs(start, code):
    i = start(["--", "/bin/sh", "-c", f"exit {code}"])
    assert i.wait() == code


def test_exit_code_smoke(start, any_init_bin):
    i = start(["--", "/bin/sh", "-c", "exit 42"], binary=any_init_bin)
    assert i.wait() == 42
    r = run_direct(any_init_bin, ["-s", "--", "/bin/sh", "-c", "exit 42"])
    assert r.returncode == 42, r.stderr


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGKILL, signal.SIGUSR1, signal.SIGTERM],
                         ids=lambda s: s.name)
def test_exit_code_after_signal_is_128_plus_n(start, sig):
    i = start(["--", "/bin/sh", "-c", f"kill -s {sig.name[3:]} $$; exit 3"])
    assert i.wait() == 128 + sig


@pytest.mark.parametrize("opts,action,expected", [
    (["-e", "42"], "exit 42", 0),
    (["-e", "42"], "exit 43", 43),
    (["-e", "3", "-e", "42"], "exit 3", 0),
    (["-e", "3", "-e", "42"], "exit 42", 0),
    (["-e", "3", "-e", "42"], "exit 4", 4),
    (["-e", "143"], "die TERM", 0),
    (["-e", "143"], "die USR1", 138),
], ids=["remapped", "other-kept", "repeat-first", "repeat-second", "repeat-other", "signal-remapped",
        "signal-kept"])
def test_exit_code_remap(start, opts, action, expected):
    i = start(opts + ["--", Agent()])
    i.ready()
    i.cmd(action, wait=False)
    assert i.wait() == expected


@pytest.mark.parametrize("pid1", [True, False], ids=["pid1", "child"])
@pytest.mark.parametrize("program", ["tether-no-such-program", "/nonexistent/tether-prog"])
def test_exec_not_found_is_127(start, init_bin, program, pid1):
    rc, out, err = run_payload(start, init_bin, ["--", program, "arg"], pid1)
    assert rc == 127
    assert out == b""
    assert f"'{program}'".encode() in err, err


def test_exec_not_found_smoke(any_init_bin):
    r = run_direct(any_init_bin, ["-s", "--", "tether-no-such-program"])
    assert r.returncode == 127
    assert b"'tether-no-such-program'" in r.stderr


@pytest.mark.parametrize("pid1", [True, False], ids=["pid1", "child"])
@pytest.mark.parametrize("kind", ["no-x-bit", "directory"])
def test_exec_not_executable_is_126(start, init_bin, tmp_path, kind, pid1):
    if kind == "directory":
        program = tmp_path / "a-directory"
        program.mkdir()
    else:
        program = tmp_path / "not-executable"
        program.write_text("#!/bin/sh\nexit 0\n")
        program.chmod(0o644)
    rc, out, err = run_payload(start, init_bin, ["--", str(program)], pid1)
    assert rc == 126
    assert out == b""
    assert f"'{program}'".encode() in err, err


def parse_init_version(v):
    """moby/moby:daemon/info_unix.go parseInitVersion, which dockerd runs on `docker-init --version`."""
    parts = v.split(" - ")
    version = commit = ""
    if len(parts) >= 2:
        git_parts = parts[1].strip().split(".")
        if len(git_parts) == 2 and git_parts[0] == "git":
            commit = git_parts[1]
    parts[0] = parts[0].strip()
    if parts[0].startswith("tini version "):
        version = parts[0][len("tini version "):]
    if version == "" and commit == "":
        raise ValueError(f"unknown output format: {v}")
    return version, commit


def test_version_parses_as_tini(any_init_bin):
    r = run_direct(any_init_bin, ["--version"])
    assert r.returncode == 0
    assert r.stderr == b""
    out = r.stdout.decode()
    assert out.count("\n") == 1 and out.endswith("\n")
    version, commit = parse_init_version(out)
    expected = os.environ.get("TETHER_VERSION")
    if expected:
        assert version.split()[0] == expected, version
    assert re.fullmatch(r"[0-9a-f]{7,40}|unknown", commit), commit
    # The commit is one of ours (a build from a tarball says "unknown").
    src = os.path.join(os.path.dirname(__file__), "..", "..")
    if commit != "unknown" and os.path.exists(os.path.join(src, ".git")):
        assert subprocess.run(["git", "-C", src, "cat-file", "-e", commit + "^{commit}"]).returncode == 0


@pytest.mark.parametrize("opt", ["-h", "--help"])
def test_help(init_bin, opt):
    r = run_direct(init_bin, [opt])
    assert r.returncode == 0
    assert r.stdout.startswith(b"Usage: tether-init")
    assert r.stderr == b""


def test_license(init_bin):
    r = run_direct(init_bin, ["-l"])
    assert r.returncode == 0
    assert b"license" in r.stdout
    assert r.stderr == b""


@pytest.mark.parametrize("args,env,message", [
    (["-x"], {}, "unknown option '-x'"),
    (["--bogus"], {}, "unknown option '--bogus'"),
    (["-p", "NOSUCHSIG"], {}, "invalid signal 'NOSUCHSIG'"),
    (["-p", "65"], {}, "invalid signal '65'"),
    (["-e", "256"], {}, "invalid exit code '256'"),
    (["-e", "x"], {}, "invalid exit code 'x'"),
    (["--grace", "soon"], {}, "invalid --grace 'soon'"),
    (["--grace", "-1"], {}, "invalid --grace '-1'"),
    (["--grace", "99999999"], {}, "invalid --grace '99999999'"),
    ([], {"TINI_VERBOSITY": "loud"}, "invalid TINI_VERBOSITY 'loud'"),
    (["--pause", "--"], {}, "--pause takes no program"),
], ids=["unknown-short", "unknown-long", "bad-signal-name", "bad-signal-number", "exit-code-range",
        "exit-code-text", "grace-text", "grace-negative", "grace-too-long", "verbosity-env", "pause-with-program"])
def test_usage_error(init_bin, tmp_path, args, env, message):
    marker = tmp_path / "ran"
    r = run_direct(init_bin, args + ["touch", str(marker)], env={"PATH": "/usr/bin:/bin", **env})
    assert r.returncode == 2
    assert r.stdout == b""
    err = r.stderr.decode()
    assert f"tether-init: {message}" in err, err
    assert "Usage: tether-init" in err
    assert not marker.exists(), "the program ran despite the usage error"


@pytest.mark.parametrize("args,message", [
    ([], "no program given"),
    (["--grace"], "option '--grace' needs an argument"),
    (["-p"], "option '-p' needs an argument"),
], ids=["no-program", "grace-no-argument", "p-no-argument"])
def test_usage_error_missing(init_bin, args, message):
    r = run_direct(init_bin, args)
    assert r.returncode == 2
    assert r.stdout == b""
    assert f"tether-init: {message}".encode() in r.stderr, r.stderr
    assert b"Usage: tether-init" in r.stderr


def test_stdout_is_the_programs_alone(start):
    """With every diagnostic enabled and things to say (a forwarded signal, a leftover), stdout still
    carries exactly the program's bytes; the diagnostics went to stderr."""
    payload = b"exact\x00bytes\n\xffno newline at the end"
    i = start(["-vvvv", "--", Agent()])
    i.ready()
    i.cmd("stdout " + payload.hex())
    i.send(signal.SIGUSR1)
    i.barrier()
    i.cmd("spawn leftover term-exit")
    i.spawned("leftover")
    i.cmd("exit 0", wait=False)
    assert i.finish() == 0
    assert bytes(i.out) == payload
    lines = i.stderr_lines()
    assert len(lines) >= 3, lines
    assert all(line.startswith("tether-init: ") for line in lines), lines


@pytest.mark.parametrize("opts,env,expect", [
    ([], {}, None),
    (["-v"], {}, r"SIGTERM"),
    (["-vv"], {}, r"started '"),
    ([], {"TINI_VERBOSITY": "3"}, r"started '"),
    (["-vvvv"], {}, r"forwarded SIGUSR1"),
], ids=["quiet-by-default", "v-info", "vv-debug", "env-debug", "vvvv-trace"])
def test_verbosity(start, opts, env, expect):
    """The same run (a forwarded signal, a leftover ended) says nothing by default and more with each -v
    or TINI_VERBOSITY, all of it on stderr."""
    i = start(opts + ["--", Agent()], env={"PATH": "/usr/bin:/bin", **env})
    i.ready()
    i.send(signal.SIGUSR1)
    i.barrier()
    i.cmd("spawn leftover term-exit")
    i.spawned("leftover")
    i.cmd("exit 0", wait=False)
    assert i.finish() == 0
    assert bytes(i.out) == b""
    if expect is None:
        assert bytes(i.err) == b""
    else:
        assert re.search(expect, bytes(i.err).decode()), bytes(i.err)
        assert all(line.startswith("tether-init: ") for line in i.stderr_lines())


@pytest.mark.parametrize("pid1", [True, False], ids=["pid1", "child"])
def test_program_starts_with_clean_signal_state(start, init_bin, pid1):
    """tether-init blocks everything and ignores SIGTTIN/SIGTTOU for itself; its program starts as
    tether-init was started (here: nothing blocked, nothing ignored). grep execs straight from
    tether-init and changes nothing itself."""
    rc, out, err = run_payload(start, init_bin, ["--", "/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"],
                               pid1)
    assert rc == 0, err
    assert out == b"SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"


@pytest.mark.parametrize("pid1", [True, False], ids=["pid1", "child"])
def test_program_inherits_no_fd_of_inits(start, init_bin, pid1):
    """Only stdin, stdout and stderr: not tether-init's signalfd, nor the pipe that carries exec errors."""
    # The fd that lists the directory is gone by the time it would be read.
    listing = ("import os, sys\nfds = {}\nfor f in os.listdir('/proc/self/fd'):\n"
               "    try: fds[int(f)] = os.readlink(f'/proc/self/fd/{f}')\n    except OSError: pass\n"
               "sys.stdout.write(repr(sorted(fds.items())))")
    rc, out, err = run_payload(start, init_bin, ["--", PYTHON, "-I", "-S", "-c", listing], pid1)
    assert rc == 0, err
    fds = dict(eval(out))
    assert sorted(fds) == [0, 1, 2], fds


@pytest.mark.parametrize("how", ["path", "PATH"])
def test_script_without_shebang_runs_under_sh(init_bin, tmp_path, how):
    """POSIX execvp() runs an executable without "#!" with /bin/sh, as glibc and so tini do; musl's returns
    ENOEXEC, which the static build must not turn into 126."""
    script = tmp_path / "noshebang"
    script.write_text('echo "ran as a script: $0 $1"\nexit 7\n')
    script.chmod(0o755)
    env = dict(DEFAULT_ENV, PATH=f"{tmp_path}:/usr/bin:/bin")
    target = str(script) if how == "path" else "noshebang"
    r = run_direct(init_bin, ["-s", "--", target, "arg1"], env=env)
    assert r.returncode == 7, r.stderr
    assert r.stdout == f"ran as a script: {script} arg1\n".encode()
