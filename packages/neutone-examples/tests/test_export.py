"""Every example exports to a `.nm` file that passes every check of the validation suite."""

from pathlib import Path

import pytest

from neutone_examples.registry import build_example, example_names
from neutone_export import save_neutone_model


@pytest.mark.parametrize("name", example_names())
def test_example_exports_and_passes_every_check(name: str, tmp_path: Path) -> None:
    report = save_neutone_model(build_example(name), tmp_path / name, quiet=True)
    failures = "; ".join(f"{check.name}: {check.message}" for check in report.failures)
    assert report.passed, f"{name} failed: {failures}"
    assert (tmp_path / name / "model.nm").is_file()
    # The defaults of every example keep the output correlated with the input, so the suite can
    # measure the delay and compare it with the reported one instead of skipping the check.
    assert not report["delay"].skipped, report["delay"].message
