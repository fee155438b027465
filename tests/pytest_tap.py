"""pytest's TAP reporter for meson's `protocol: 'tap'`, shared by the suites that run pytest (the
integration suite's conftest.py, the vm suite's host and guest conftest.py import these hooks).

TAP (`--tap`, or automatically under `-p no:terminal`): `1..N` once collection is done, then one
`ok N - name`, `not ok N - name` (followed by the failure as `# ` lines) or `ok N - name # SKIP reason`
per test, on the real stdout, so that meson's `protocol: 'tap'` counts every test. pytest's own report
goes to stderr, where meson keeps it in the log, instead of confusing the TAP parser.
"""

import os
import sys

import pytest


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

        config.pluginmanager.unregister(terminal)
        config.pluginmanager.register(TerminalReporter(config, sys.stderr), "terminalreporter")
    config.pluginmanager.register(TapReporter(fd), "tether-tap")
