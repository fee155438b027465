"""The cgroup library's C test programs (tests/integration/test-cgroup-v2*.c, which the runner brings into
bin/tests of its share) against the guest's real controllers. Each program runs once, at collection, in a
transient scope with Delegate=yes, moved into a leaf "test" of it so that the scope may hand its
controllers down (cgroup v2's "no internal process" rule); the scope is the group the program treats as its
own (TETHER_TEST_CGROUP_BASE, tests/integration/cgroup-test.h). Every TAP line of every program becomes a
test of its own, so that the host's TAP counts each check; one more test per program checks that it ran
to its plan and exited accordingly."""

import os
import re
import uuid

import pytest

from guest_helpers import IN, TIMEOUT, run

PROGRAMS = os.path.join(IN, "bin", "tests")
CONTROLLERS = "+cpuset +cpu +io +memory +pids"
SETUP = f"""set -e
cg=/sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)
mkdir "$cg/test"
echo $$ >"$cg/test/cgroup.procs"
echo "{CONTROLLERS}" >"$cg/cgroup.subtree_control"
export TETHER_TEST_CGROUP_BASE="${{cg#/sys/fs/cgroup}}"
exec "$0"
"""
RESULT = re.compile(r"^(ok|not ok) (\d+)(?: - (.*))?$")
PLAN = re.compile(r"^1\.\.(\d+)(.*)$")


def programs():
    try:
        return sorted(os.listdir(PROGRAMS))
    except FileNotFoundError:
        return []


def run_program(name):
    """Runs one program in its scope; returns (results, plan, plan directive, exit status, output), each
    result (ok, number, description, the comment lines after it)."""
    unit = f"tether-vm-{name}-{uuid.uuid4().hex[:8]}.scope"
    r = run(["systemd-run", "--quiet", "--scope", "-p", "Delegate=yes", "--unit", unit, "--",
             "sh", "-c", SETUP, os.path.join(PROGRAMS, name)], timeout=4 * TIMEOUT)
    results, plan, directive = [], None, ""
    for line in r.stdout.splitlines():
        m, p = RESULT.match(line), PLAN.match(line)
        if m:
            results.append((m.group(1) == "ok", int(m.group(2)), m.group(3) or "", []))
        elif p:
            plan, directive = int(p.group(1)), p.group(2)
        elif line.startswith("#") and results:
            results[-1][3].append(line)
    return results, plan, directive, r.returncode, r.stdout + r.stderr


RUNS = {}


def pytest_generate_tests(metafunc):
    if "program" not in metafunc.fixturenames:
        return
    for name in programs():
        RUNS[name] = run_program(name)
    if "check" in metafunc.fixturenames:
        params = [(name, res) for name, (results, *_) in RUNS.items() for res in results]
        metafunc.parametrize("program,check", params,
                             ids=[f"{name} {res[1]} {res[2]}" for name, res in params])
    else:
        metafunc.parametrize("program", list(RUNS))


def test_check(program, check):
    ok, number, description, comments = check
    if not ok:
        pytest.fail("\n".join([f"not ok {number} - {description}"] + comments), pytrace=False)
    if "# SKIP" in description:
        pytest.skip(description.split("# SKIP", 1)[1].strip())


def test_program_ran_to_its_plan(program):
    results, plan, directive, status, output = RUNS[program]
    # The guest is where these programs have all they need: a skip here is a failure.
    assert plan is not None and plan > 0, f"{program} ran nothing ({directive.strip()}):\n{output}"
    assert [r[1] for r in results] == list(range(1, plan + 1)), f"{program} broke off:\n{output}"
    assert status == (0 if all(r[0] for r in results) else 1), output


def test_programs_were_brought_in():
    assert {"test-cgroup-v2", "test-cgroup-v2-limits", "test-cgroup-v2-devices",
            "test-cgroup-systemd"} <= set(programs())
