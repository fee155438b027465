"""pytest setup for the vm suite's self-test on the host (test_plumbing.py): the TAP reporter of
tests/pytest_tap.py. The guest's tests have their own conftest.py in guest/."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from pytest_tap import pytest_addoption, pytest_configure  # noqa: E402,F401  (hooks, found by name)
