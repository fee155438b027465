#!/bin/sh
# The suite's payload in the guest: pytest over tests/vm/guest with the TAP reporter of
# tests/pytest_tap.py, TAP on stdout for the runner to hand to meson. selftest_meant_to_fail.py joins only
# when the suite's self-test (tests/vm/test_plumbing.py) asks for it through TETHER_VM_SELFTEST_FAIL=1.
set -eu
guest="$TETHER_VM_IN/tests/vm/guest"
set -- "$guest"
if [ "${TETHER_VM_SELFTEST_FAIL:-}" = 1 ]; then
        set -- "$guest/test_system.py::test_pid1_is_systemd" "$guest/selftest_meant_to_fail.py"
fi
# The share is read-only: no bytecode, no cache.
export PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$TETHER_VM_IN/tests"
exec python3 -m pytest -p no:cacheprovider --tap -q --color=no --rootdir "$guest" "$@"
