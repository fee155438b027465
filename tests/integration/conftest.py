"""pytest setup for the integration suite: a TAP reporter for meson, and the fixtures that start
tether-init.

TAP (`--tap`, or automatically under `-p no:terminal`): `1..N` once collection is done, then one
`ok N - name`, `not ok N - name` (followed by the failure as `# ` lines) or `ok N - name # SKIP reason`
per test, on the real stdout, so that meson's `protocol: 'tap'` counts every test. pytest's own report
goes to stderr, where meson keeps it in the log, instead of confusing the TAP parser.
"""

import os
import subprocess

import pytest

import helpers

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "..", "..", "build")


def pytest_addoption(parser):
    parser.addoption("--tap", action="store_true", help="report as TAP on stdout (for meson's protocol: 'tap')")


class TapReporter:
    def __init__(self, fd):
        self.fd = fd
        self.count = 0
        self.planned = False
        self.collect_errors = []
        self.reports = {}

    def write(self, text):
        data = text.encode(errors="replace")
        while data:
            data = data[os.write(self.fd, data):]

    def comment(self, text):
        self.write("".join(f"# {line}\n" for line in text.splitlines()))

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append(report)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session):
        if self.collect_errors:
            self.write("Bail out! errors during collection\n")
            for r in self.collect_errors:
                self.comment(f"{r.nodeid}:\n{r.longreprtext}")
        else:
            self.write(f"1..{len(session.items)}\n")
        self.planned = True

    def pytest_runtest_logreport(self, report):
        self.reports.setdefault(report.nodeid, []).append(report)

    def pytest_runtest_logfinish(self, nodeid, location):
        reports = self.reports.pop(nodeid, [])
        name = nodeid.replace("#", "_").replace("\n", " ")
        self.count += 1
        failed = [r for r in reports if r.failed]
        skipped = [r for r in reports if r.skipped]
        if failed:
            self.write(f"not ok {self.count} - {name}\n")
            for r in failed:
                self.comment(f"--- {r.when} ---\n{r.longreprtext}")
                for title, content in r.sections:
                    self.comment(f"--- {title} ---\n{content}")
        elif skipped:
            longrepr = skipped[0].longrepr
            reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
            reason = reason.removeprefix("Skipped: ").replace("\n", " ")
            self.write(f"ok {self.count} - {name} # SKIP {reason}\n")
        else:
            self.write(f"ok {self.count} - {name}\n")

    def pytest_internalerror(self, excrepr):
        self.write("Bail out! internal error in pytest\n")
        self.comment(str(excrepr))

    def pytest_sessionfinish(self, session, exitstatus):
        if not self.planned:
            self.write("Bail out! pytest stopped before running any test\n")


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    terminal = config.pluginmanager.getplugin("terminalreporter")
    if not hasattr(config.option, "verbose"):
        # pytest's assertion rewriting reads -v, which the terminal plugin defines: without it
        # (-p no:terminal) every failing assert would fail again while being reported.
        config.option.verbose = 0
    if not config.getoption("--tap") and terminal is not None:
        return
    capman = config.pluginmanager.getplugin("capturemanager")
    if capman is not None:
        with capman.global_and_fixture_disabled():
            fd = os.dup(1)
    else:
        fd = os.dup(1)
    if terminal is not None:
        # Keep pytest's report (summary, failures) in the log, off the TAP stream.
        from _pytest.terminal import TerminalReporter
        import sys

        config.pluginmanager.unregister(terminal)
        config.pluginmanager.register(TerminalReporter(config, sys.stderr), "terminalreporter")
    config.pluginmanager.register(TapReporter(fd), "tether-tap")


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
