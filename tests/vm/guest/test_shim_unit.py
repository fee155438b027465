"""shimctl run on a systemd host: the shim as the transient service tether-shim-ID.service (Type=notify,
Delegate=yes with the container in a group of the service's beside the shim's own, KillMode=mixed), so
that `systemctl stop` stops the container gracefully and no unit stays once it ended; --no-unit keeps
the detached shim."""

import json
import os
import subprocess
import uuid

import pytest

from guest_helpers import run

SHIMCTL = "/usr/local/bin/shimctl"
PAYLOAD = 'trap "exit 7" TERM; echo hi; sleep 600 & wait'


def show(unit, *props):
    r = run(["systemctl", "show", unit] + [f"--property={p}" for p in props])
    assert r.returncode == 0, r.stderr
    return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)


def read(path):
    with open(path) as f:
        return f.read().strip()


@pytest.fixture
def cid():
    name = f"u{uuid.uuid4().hex[:8]}"
    yield name
    run(["systemctl", "stop", f"tether-shim-{name}.service"])
    run([SHIMCTL, "rm", "--force", name])


def shimctl(*args):
    return run([SHIMCTL, *args], stdin=subprocess.DEVNULL)


@pytest.mark.skipif(not os.path.exists(SHIMCTL), reason="the guest has no shimctl")
def test_run_makes_a_transient_service_that_systemctl_stops_gracefully(rootfs, cid):
    unit = f"tether-shim-{cid}.service"
    r = shimctl("run", "--name", cid, "--rootfs", rootfs, "-d", "--", "sh", "-c", PAYLOAD)
    assert (r.returncode, r.stdout.strip()) == (0, cid), r.stderr
    props = show(unit, "ActiveState", "Type", "Delegate", "ControlGroup", "KillMode", "Description", "MainPID")
    assert (props["ActiveState"], props["Type"], props["Delegate"], props["KillMode"]) == \
        ("active", "notify", "yes", "mixed")
    assert cid in props["Description"]
    group = props["ControlGroup"]
    # the shim in its leaf, the container in a group of the service's beside it
    assert read(f"/proc/{props['MainPID']}/cgroup") == f"0::{group}/shim"
    pid = json.loads(shimctl("--json", "status", cid).stdout)["pid"]
    assert read(f"/proc/{pid}/cgroup") == f"0::{group}/{cid}"
    assert json.loads(shimctl("--json", "status", cid).stdout)["unit"] == unit
    r = run(["systemctl", "stop", unit])
    assert r.returncode == 0, r.stderr
    with open(f"/run/tether-shim/{cid}/exit.json") as f:
        assert json.load(f)["exit_code"] == 7   # the payload's TERM trap: a graceful stop
    assert show(unit, "LoadState")["LoadState"] == "not-found"


@pytest.mark.skipif(not os.path.exists(SHIMCTL), reason="the guest has no shimctl")
def test_no_unit_keeps_the_detached_shim(rootfs, cid):
    r = shimctl("run", "--no-unit", "--name", cid, "--rootfs", rootfs, "-d", "--", "sh", "-c", PAYLOAD)
    assert r.returncode == 0, r.stderr
    assert show(f"tether-shim-{cid}.service", "LoadState")["LoadState"] == "not-found"
    assert shimctl("stop", "-t", "10", cid).returncode == 0
    assert shimctl("wait", cid).returncode == 7


@pytest.mark.skipif(not os.path.exists(SHIMCTL), reason="the guest has no shimctl")
def test_a_container_that_cannot_start_fails_run_and_leaves_no_unit(rootfs, cid):
    r = shimctl("run", "--name", cid, "--rootfs", rootfs, "-d", "--", "/no/such/program")
    assert r.returncode == 1
    assert f"container '{cid}'" in r.stderr and "/no/such/program" in r.stderr, r.stderr
    assert show(f"tether-shim-{cid}.service", "LoadState")["LoadState"] == "not-found"
    assert not os.path.exists(f"/run/tether-shim/{cid}")


@pytest.mark.skipif(not os.path.exists(SHIMCTL), reason="the guest has no shimctl")
def test_journald_driver_writes_entries_with_the_container_fields(rootfs, cid):
    import time

    r = shimctl("run", "--no-unit", "--log-driver", "journald", "--name", cid, "--rootfs", rootfs, "-d", "--",
                "sh", "-c", "echo out-line; echo err-line >&2; printf partial; exec sleep 600")
    assert r.returncode == 0, r.stderr
    deadline = time.monotonic() + 60
    while True:   # journald writes what it was sent a moment later
        r = run(["journalctl", f"CONTAINER_ID_FULL={cid}", "--output=json", "--no-pager"])
        entries = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
        if len(entries) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    by_message = {e["MESSAGE"]: e for e in entries}
    assert set(by_message) == {"out-line", "err-line", "partial"}, entries
    assert by_message["out-line"]["PRIORITY"] == "6" and by_message["err-line"]["PRIORITY"] == "3"
    assert by_message["partial"].get("CONTAINER_PARTIAL_MESSAGE") == "true"
    assert by_message["out-line"]["CONTAINER_NAME"] == cid and by_message["out-line"]["CONTAINER_ID"] == cid[:12]
    assert "CONTAINER_PARTIAL_MESSAGE" not in by_message["out-line"]
    assert sorted(shimctl("logs", cid).stdout.split()) == ["err-line", "out-line", "partial"]
    assert shimctl("stop", "-t", "1", cid).returncode == 0
