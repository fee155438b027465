#!/usr/bin/python3
"""Counts single checks over meson test logs and prints the closing line "N passed, N failed".

Every suite speaks TAP, so each "ok"/"not ok" line is one check; a test that printed no TAP (or died
after its last line) counts as one check by its meson result. Usage: summary.py TESTLOG.json...
Exits 1 when anything failed or no check ran at all."""

import json
import re
import sys

TAP_LINE = re.compile(r"^(not ok|ok)\b(.*)$")


def count(entry):
    passed = failed = skipped = 0
    for line in entry.get("stdout", "").splitlines():
        m = TAP_LINE.match(line)
        if not m:
            continue
        directive = m.group(2)
        if re.search(r"#\s*SKIP", directive, re.I):
            skipped += 1
        elif m.group(1) == "ok":
            passed += 1
        else:
            failed += 1
    result = entry.get("result", "")
    if result == "SKIP" and passed + failed + skipped == 0:
        skipped += 1  # skipped as a whole (1..0 # SKIP): one check
    elif result not in ("OK", "EXPECTEDFAIL", "SKIP") and failed == 0:
        failed += 1  # crashed, timed out or exited non-zero without saying which check failed
    elif passed + failed + skipped == 0:
        passed += 1 if result == "OK" else 0
    return passed, failed, skipped


def main(paths):
    total_passed = total_failed = total_skipped = 0
    for path in paths:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                entry = json.loads(line)
                p, fl, s = count(entry)
                if fl:
                    print(f"FAILED: {entry['name']} ({fl} failed, result {entry.get('result')})")
                if s:
                    print(f"skipped: {entry['name']} ({s})")
                total_passed += p
                total_failed += fl
                total_skipped += s
    if total_skipped:
        print(f"{total_skipped} skipped")
    print(f"{total_passed} passed, {total_failed} failed")
    return 1 if total_failed or total_passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
