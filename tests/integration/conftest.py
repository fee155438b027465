"""pytest setup for the integration suite: the TAP reporter for meson (tests/pytest_tap.py), and the
fixtures that start tether-init."""

import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import helpers  # noqa: E402
from pytest_tap import pytest_addoption, pytest_configure  # noqa: E402,F401  (hooks, found by name)

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "..", "..", "build")


# -- what is tested ----------------------------------------------------------------------------------


def _binary(var, *guess):
    path = os.environ.get(var) or os.path.join(BUILD, *guess)
    return os.path.abspath(path) if os.access(path, os.X_OK) else None


SHIPPED = _binary("TETHER_INIT", "init", "static", "tether-init") or _binary("TETHER_INIT", "init", "tether-init")
DYNAMIC = _binary("TETHER_INIT_DYNAMIC", "init", "tether-init")
STORM = _binary("TETHER_TEST_STORM", "tests", "integration", "storm")


def _missing_prerequisite():
    if os.geteuid() != 0:
        return "needs root, for PID namespaces and for signalling across them"
    if SHIPPED is None:
        return "no tether-init binary: set TETHER_INIT (meson test does)"
    # A namespace we may not create is a missing prerequisite, not a failure of tether-init.
    probe = subprocess.run([helpers.PYTHON, "-I", "-S", "-c",
                            "import ctypes, sys; sys.exit(ctypes.CDLL(None).unshare(0x20000000) != 0)"])
    if probe.returncode != 0:
        return "cannot create a PID namespace here"
    return None


def pytest_collection_modifyitems(config, items):
    # Only tether-init's tests: other modules in this directory (the runtime's) check their own.
    mine = [item for item in items if item.path.name.startswith("test_init")]
    reason = _missing_prerequisite() if mine else None
    if reason:
        for item in mine:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def init_bin():
    """The binary every behaviour is tested against: the shipped one (static musl when built)."""
    return SHIPPED


@pytest.fixture(params=["shipped", "dynamic"])
def any_init_bin(request):
    """For the smoke subset that also runs against the dynamic build (the one run under sanitizers)."""
    if request.param == "shipped":
        return SHIPPED
    if DYNAMIC is None:
        pytest.skip("no dynamic tether-init: set TETHER_INIT_DYNAMIC")
    if DYNAMIC == SHIPPED:
        pytest.skip("the shipped tether-init is the dynamic one")
    return DYNAMIC


@pytest.fixture
def storm():
    if STORM is None:
        pytest.skip("no storm helper: set TETHER_TEST_STORM (meson test does)")
    return STORM


@pytest.fixture
def start(init_bin):
    """start(args, **kw) -> helpers.Init with init_bin (or binary=...); all of them are killed (by
    pidfd) and reaped when the test ends."""
    made = []

    def _start(args, binary=None, **kw):
        i = helpers.Init(binary or init_bin, args, **kw)
        made.append(i)
        return i

    yield _start
    errors = []
    for i in made:
        try:
            i.close()
        except Exception as e:  # close the others all the same
            errors.append(e)
    if errors:
        raise errors[0]
