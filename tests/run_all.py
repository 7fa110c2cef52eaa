#!/usr/bin/python3
"""Run every test: the pytest suites under tests/ (system tests that boot
QEMU, the harness's own tests, and the host unit tests through
`make -C tests/host`).  Called by `make test` after `make all`.

Ends with exactly one line "N passed, N failed" (errors count as failed) and
exits non-zero if anything failed.  Extra arguments go to pytest, e.g.
    /usr/bin/python3 tests/run_all.py -k bad_input
Serial logs of every boot: build/logs/<name>.log.
"""

import signal
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


class Counter:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def pytest_runtest_logreport(self, report):
        if report.failed:                        # a failure in any phase
            self.failed += 1
        elif report.passed and report.when == "call":
            self.passed += 1

    def pytest_collectreport(self, report):
        if report.failed:                        # import or collection error
            self.failed += 1


def _terminate(signum, frame):
    raise KeyboardInterrupt   # unwinds pytest; QEMU is killed at exit


def main():
    signal.signal(signal.SIGTERM, _terminate)
    counter = Counter()
    args = ["-q", "-p", "no:cacheprovider", "-rfE", "--tb=short",
            "--rootdir", str(TESTS), str(TESTS)] + sys.argv[1:]
    rc = pytest.main(args, plugins=[counter])
    if rc not in (0, 1) and counter.failed == 0:
        counter.failed = 1   # interrupted, usage error, or nothing collected
    sys.stdout.flush()
    print(f"{counter.passed} passed, {counter.failed} failed", flush=True)
    return 0 if counter.failed == 0 and rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
