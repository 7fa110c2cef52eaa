"""Shared pytest fixtures: the kernel build and the boots several tests use.

QEMU runs under TCG here, so every boot costs seconds: boots are made once
per session and shared (ktest=list at collection time, ktest=all once per
CPU model).
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import qemu  # noqa: E402

# Hard timeouts (seconds) for boots that run many kernel tests.
KTEST_ALL_TIMEOUT = 180

_listing = None


def kernel_listing():
    """The ktest=list boot, made once per session (at collection time, since
    the test names parametrize test_ktest).  None if the kernel does not
    build; the boot itself may have failed, which the tests report."""
    global _listing
    if _listing is None:
        ok, msg = qemu.ensure_kernel()
        if not ok:
            _listing = ("build", msg)
        else:
            _listing = ("run", qemu.boot("ktest-list", "ktest=list"))
    return _listing


def device_test_names():
    """Tests tagged [device] that the device boot (test_devices.py) runs:
    all but the net suite, which needs a network peer (test_net.py)."""
    kind, value = kernel_listing()
    if kind != "run":
        return []
    return [n for n, k in value.list_kinds.items()
            if k == "device" and not n.startswith("net.")]


def pytest_generate_tests(metafunc):
    if "device_ktest_name" in metafunc.fixturenames:
        names = device_test_names() or ["<no device tests listed>"]
        metafunc.parametrize("device_ktest_name", names)
    if "ktest_name" not in metafunc.fixturenames:
        return
    kind, value = kernel_listing()
    # Only what ktest=all runs: tests tagged [crash] (the "panic" suite,
    # run one by one in test_boot_bad_input.py) or [device] (they need QEMU
    # devices or a network peer, and are run by the tests that supply those)
    # are left out.
    names = value.self_contained if kind == "run" else []
    if not names:
        names = ["<no kernel tests listed>"]
    metafunc.parametrize("ktest_name", names)


@pytest.fixture(scope="session")
def kernel():
    """Path of build/kernel.bin, built by `make all` if needed."""
    ok, msg = qemu.ensure_kernel()
    if not ok:
        pytest.fail(msg, pytrace=False)
    return qemu.KERNEL


@pytest.fixture(scope="session")
def ktest_list(kernel):
    """The ktest=list boot (a qemu.Run)."""
    kind, value = kernel_listing()
    if kind == "build":
        pytest.fail(value, pytrace=False)
    return value


@pytest.fixture(scope="session")
def ktest_all(kernel):
    """ktest=all on -cpu cortex-a57 (a qemu.Run)."""
    return qemu.boot("ktest-all-cortex-a57", "ktest=all",
                     cpu="cortex-a57", timeout=KTEST_ALL_TIMEOUT)


@pytest.fixture(scope="session")
def ktest_all_max(kernel):
    """ktest=all on -cpu max (a qemu.Run)."""
    return qemu.boot("ktest-all-max", "ktest=all", cpu="max",
                     timeout=KTEST_ALL_TIMEOUT)
