"""Across packages: `save_neutone_model` hands a non-realtime example to the Gen suite, and
`validate_neutone_model` on its file runs the same checks (neutone-export's own cell has no
examples; the dev environment has every package)."""

from pathlib import Path

from neutone_examples import drum_hit
from neutone_export import save_neutone_model, validate_neutone_model

GEN_CHECKS = ["contract", "metadata", "outputs", "finite", "determinism", "reset", "cancel"]


def test_gen_model_saves_and_its_file_gets_the_gen_checks(tmp_path: Path) -> None:
    report = save_neutone_model(drum_hit.build_model(), tmp_path / "gen", quiet=True)
    assert report.passed, [(c.name, c.message) for c in report.failures]
    assert [check.name for check in report.checks][: len(GEN_CHECKS)] == GEN_CHECKS
    again = validate_neutone_model(tmp_path / "gen" / "model.nm")
    assert again.passed and again.settings["realtime"] is False
    assert [check.name for check in again.checks] == [check.name for check in report.checks]
