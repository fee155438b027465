"""What the guest tests share."""

import os
import subprocess

IN = os.environ.get("TETHER_VM_IN", "/run/tether-vm/in")
# Everything in the guest runs 6-34 times slower than on the host (TCG): timeouts only bound failures.
TIMEOUT = 120


def run(args, **kw):
    """subprocess.run with output captured as text and a bound on the time it may take."""
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", TIMEOUT)
    return subprocess.run(args, **kw)
