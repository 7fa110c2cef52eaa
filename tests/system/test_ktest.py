"""The in-kernel tests (ktest), booted in QEMU.

ktest=list (at collection time) gives the test names; one ktest=all boot per
CPU model runs them; each kernel test becomes one pytest test here.
"""

import pytest

import qemu

# The issue asks for at least: frame allocator, heap, timer, interrupt
# dispatch, spinlock nesting, scheduler, deferred work.
MIN_KERNEL_TESTS = 7


def check_clean_run(run, what):
    """The boot ended by itself with the summary and status 0."""
    assert not run.timed_out, run.describe(f"{what}: hung")
    assert not run.no_exit, run.describe(f"{what}: QEMU did not exit")
    assert not run.panicked, run.describe(f"{what}: kernel panic")
    assert run.status is not None, run.describe(f"{what}: no power-off marker")


def test_ktest_list(ktest_list):
    run = ktest_list
    check_clean_run(run, "ktest=list")
    assert run.status == 0, run.describe(f"ktest=list: status {run.status}")
    names = run.self_contained
    assert len(names) >= MIN_KERNEL_TESTS, run.describe(
        f"ktest=list: only {len(names)} self-contained kernel tests: {names}")
    assert not run.ktests, run.describe("ktest=list ran tests")


def test_ktest_all_completes(ktest_all):
    run = ktest_all
    check_clean_run(run, "ktest=all")
    summary = run.summary
    assert summary is not None, run.describe(
        "ktest=all: no 'ktest: N passed, N failed' line")
    passed, failed = summary
    results = run.ktests
    fails = [f"{n}: {r}" for n, (ok, r) in results.items() if not ok]
    assert failed == 0 and run.status == 0, run.describe(
        f"ktest=all: {failed} failed, status {run.status}: " + "; ".join(fails))
    assert passed == len(results), run.describe(
        f"summary says {passed} passed but {len(results)} KTEST lines were printed")
    assert passed > 0, run.describe("ktest=all ran no tests")


def test_ktest(ktest_all, ktest_list, ktest_name):
    """One kernel test from the ktest=all boot."""
    if ktest_name.startswith("<"):
        pytest.fail(ktest_list.describe("ktest=list gave no test names"),
                    pytrace=False)
    result = ktest_all.ktests.get(ktest_name)
    if result is None:
        pytest.fail(ktest_all.describe(
            f"{ktest_name} was listed but ktest=all printed no result for it"),
            pytrace=False)
    ok, reason = result
    if not ok:
        pytest.fail(ktest_all.describe(f"KTEST FAIL {ktest_name}: {reason}", n=15),
                    pytrace=False)


def test_ktest_all_runs_exactly_the_listed_tests(ktest_all, ktest_list):
    """ktest=all runs every untagged listed test, and none tagged [crash] or
    [device] (nor the panic suite)."""
    listed = set(ktest_list.self_contained)
    ran = set(ktest_all.ktests)
    assert not ran - listed, ktest_all.describe(
        f"ran but not listed as self-contained: {sorted(ran - listed)}")
    assert not listed - ran, ktest_all.describe(
        f"listed but not run: {sorted(listed - ran)}")


def test_ktest_glob_selects_one_suite(kernel, ktest_list):
    """ktest=<suite>.* runs that suite's tests and nothing else."""
    names = ktest_list.self_contained
    if not names:
        pytest.fail(ktest_list.describe("no kernel tests listed"), pytrace=False)
    suite = names[0].split(".")[0]
    expected = {n for n in names if n.split(".")[0] == suite}
    run = qemu.boot(f"ktest-glob-{suite}", f"ktest={suite}.*")
    check_clean_run(run, f"ktest={suite}.*")
    assert run.ktest_verdict() == "pass", run.describe(
        f"ktest={suite}.*: verdict {run.ktest_verdict()}")
    assert set(run.ktests) == expected, run.describe(
        f"ktest={suite}.* ran {sorted(run.ktests)}, expected {sorted(expected)}")


def test_ktest_all_cpu_max(ktest_all_max, ktest_list):
    """-cpu max: the whole suite passes (checked through the summary only)."""
    run = ktest_all_max
    check_clean_run(run, "ktest=all on -cpu max")
    fails = [f"{n}: {r}" for n, (ok, r) in run.ktests.items() if not ok]
    assert run.ktest_verdict() == "pass", run.describe(
        f"ktest=all on -cpu max: verdict {run.ktest_verdict()}, summary "
        f"{run.summary}, status {run.status}; failures: {'; '.join(fails)}")
    expected = len(ktest_list.self_contained)
    assert run.summary[0] == expected, run.describe(
        f"-cpu max ran {run.summary[0]} tests, ktest=list has {expected}")
