"""Kernel tests that need QEMU devices (tagged [device] in ktest=list):
PCI enumeration and BAR placement, GICv2m MSI-X / MSI / INTx with the edu
device, and the virtio-net driver (no network backend: QEMU drops what the
guest sends, which is enough for ring and interrupt-mode tests).  One boot
runs them all; each becomes one pytest test.
"""

import pytest

import qemu
from conftest import device_test_names

GUEST_MAC = "52:54:00:12:34:56"


@pytest.fixture(scope="session")
def device_boot(kernel, tmp_path_factory):
    img = tmp_path_factory.mktemp("dev") / "blk.img"
    with open(img, "wb") as f:
        f.truncate(1 << 20)
    names = device_test_names()
    if not names:
        pytest.fail("ktest=list shows no [device] tests", pytrace=False)
    extra = ["-device", "edu",
             "-device", f"virtio-net-pci,mac={GUEST_MAC}",
             "-drive", f"if=none,id=d0,file={img},format=raw",
             "-device", "virtio-blk-pci,drive=d0",
             "-device", "virtio-net-pci,mac=52:54:00:12:34:57",
             # Bad devices the driver must refuse cleanly: legacy-only, and
             # one that insists on VIRTIO_F_ACCESS_PLATFORM (no IOMMU here).
             "-device", "virtio-net-pci,mac=52:54:00:12:34:58,disable-modern=on",
             "-device", "virtio-net-pci,mac=52:54:00:12:34:59,"
                        "disable-legacy=on,iommu_platform=on",
             # vfs.initrd checks the unpacked archive; no rdinit= is given
             # and ktest= stops the boot before user space starts.
             "-initrd", str(qemu.BUILD / "initramfs.cpio")]
    # Suite globs keep the command line short (it also runs those suites'
    # self-contained tests, which is harmless).
    suites = sorted({n.split(".")[0] + ".*" for n in names})
    return qemu.boot("ktest-devices", "ktest=" + ",".join(suites),
                     extra_args=extra, timeout=300)


def test_device_boot_completes(device_boot):
    run = device_boot
    assert not run.timed_out, run.describe("device tests hung")
    assert not run.panicked, run.describe("kernel panic during device tests")
    assert run.summary is not None, run.describe("no summary line")
    assert run.status == 0, run.describe(f"status {run.status}")


def test_device_ktest(device_boot, device_ktest_name):
    if device_ktest_name.startswith("<"):
        pytest.fail("no device tests listed", pytrace=False)
    result = device_boot.ktests.get(device_ktest_name)
    if result is None:
        pytest.fail(device_boot.describe(
            f"{device_ktest_name}: no result printed"), pytrace=False)
    ok, reason = result
    if not ok:
        pytest.fail(device_boot.describe(f"KTEST FAIL {device_ktest_name}: {reason}",
                                         n=20), pytrace=False)


def test_bad_virtio_devices_refused(device_boot):
    """The legacy-only and the feature-rejecting devices were refused with
    a clear log line, and the kernel carried on (the tests above ran)."""
    out = device_boot.output
    assert "legacy-only" in out, device_boot.describe("no 'legacy-only' refusal logged")
    assert "rejected features" in out, device_boot.describe(
        "no 'rejected features' refusal logged")
    assert not device_boot.panicked, device_boot.describe()
