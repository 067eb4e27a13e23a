"""Faults never lose a good export: disk full, Ctrl-C, failing checks, bad paths, imitation files.

Each case starts from a folder holding a passing export and asserts the raise (or exit), the
one-line message, and that every file there is byte-identical afterwards with nothing left beside
it. In-process cases inject the fault at each step (a write raising ENOSPC, a stage raising
KeyboardInterrupt); the subprocess cases send a real SIGINT while a stage runs.
"""

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Dict, Iterator, List

import pytest
import torch
from torch import Tensor, nn

from neutone_export import (
    NotANeutoneModelError,
    load_neutone_model,
    validate_neutone_model,
)
from neutone_export.audio import samples as samples_module
from neutone_export.files import atomic
from neutone_export.files import save as save_module
from neutone_export.files import staging as staged_export
from neutone_export.files.save import (
    ExportError,
    ExportFailedError,
    ExportWriteError,
    save_neutone_model,
)
from neutone_export.kinds import realtime as realtime_kind
from neutone_export.suite.report import CheckResult, ValidationReport

WRITES_PER_EXPORT = 3  # model.nm, metadata.json, report.json (the samples: write_samples)


@pytest.fixture(scope="module")
def good_export(made_once: Callable[[str, Callable[[Path], object]], Path], models) -> Path:
    """A passing export of the identity model, made once a session; tests work on copies."""

    def save(folder: Path) -> None:
        report = save_neutone_model(models.Identity(nn.Identity()), folder / "identity", quiet=True)
        assert report.passed

    return made_once("faults-good-export", save) / "identity"


@pytest.fixture
def previous(good_export: Path, tmp_path: Path, snapshot) -> Iterator[Path]:
    """A copy of the passing export in a folder of its own; asserts it is untouched at the end."""
    root = tmp_path / "export" / "identity"
    shutil.copytree(good_export, root)
    before = snapshot(root)
    yield root
    assert snapshot(root) == before, "the previous export changed"


@pytest.fixture
def fast_export(monkeypatch: pytest.MonkeyPatch, models) -> SimpleNamespace:
    """Scripting and validation replaced by quick stand-ins: the fault tests exercise the
    writing and moving around them, not the suite (which other tests cover). Set `.passed` to
    choose the stand-in suite's verdict."""
    scripted = realtime_kind.script_neutone_model(models.Identity(nn.Identity()))
    verdict = SimpleNamespace(passed=True)

    def script(model: nn.Module, **options: object) -> torch.jit.ScriptModule:
        return realtime_kind.copy_script_module(scripted)

    def validate(module: nn.Module, **options: object) -> ValidationReport:
        check = CheckResult("finite", verdict.passed, 0, "stand-in")
        return ValidationReport("stand-in", [check])

    monkeypatch.setattr(realtime_kind, "script_neutone_model", script)
    monkeypatch.setattr(save_module, "validate_neutone_model", validate)
    return verdict


def one_line(error: BaseException) -> str:
    text = str(error)
    assert "\n" not in text, text
    return text


@pytest.mark.parametrize("failing_write", range(WRITES_PER_EXPORT))
def test_disk_full_at_any_write_keeps_the_previous_export(
    previous: Path,
    fast_export: SimpleNamespace,
    monkeypatch: pytest.MonkeyPatch,
    models,
    failing_write: int,
) -> None:
    calls: List[Path] = []
    real_write = staged_export.write_file

    def write(path: Path, data: bytes) -> None:
        calls.append(path)
        if len(calls) - 1 == failing_write:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real_write(path, data)

    monkeypatch.setattr(staged_export, "write_file", write)  # model.nm, metadata.json, report.json
    with pytest.raises(ExportWriteError, match="the disk is full") as caught:
        save_neutone_model(models.Identity(nn.Identity()), previous, quiet=True)
    assert "previous export is unchanged" in one_line(caught.value)
    assert caught.value.errno == errno.ENOSPC
    assert len(calls) == failing_write + 1


def test_disk_full_while_writing_the_samples_keeps_the_previous_export(
    previous: Path, fast_export: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, models
) -> None:
    def full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(samples_module, "atomic_write_bytes", full)
    with pytest.raises(ExportWriteError, match="the disk is full") as caught:
        save_neutone_model(models.Identity(nn.Identity()), previous, quiet=True)
    assert "previous export is unchanged" in one_line(caught.value)


def test_disk_full_while_moving_into_place_keeps_the_previous_export(
    previous: Path, fast_export: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, models
) -> None:
    def full(staging: Path, target: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(staged_export, "replace_folder_atomically", full)
    with pytest.raises(ExportWriteError, match="the disk is full"):
        save_neutone_model(models.Identity(nn.Identity()), previous, quiet=True)


@pytest.mark.parametrize(
    "stage",
    [
        "realtime_kind.script_neutone_model",
        "realtime_kind.render_knob_samples",
        "realtime_kind.write_samples",
        "staged_export.write_file",
        "staged_export.load_neutone_model",
        "validate_neutone_model",
    ],
)
def test_interrupt_at_any_stage_keeps_the_previous_export(
    previous: Path,
    fast_export: SimpleNamespace,
    monkeypatch: pytest.MonkeyPatch,
    models,
    stage: str,
    capsys,
) -> None:
    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    module, _, name = stage.rpartition(".")
    owners = {"staged_export": staged_export, "realtime_kind": realtime_kind, "": save_module}
    monkeypatch.setattr(owners[module], name, interrupt)
    with pytest.raises(KeyboardInterrupt):
        save_neutone_model(models.Identity(nn.Identity()), previous)
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == f"neutone-export: export stopped; {previous} is unchanged"


def test_interrupt_during_the_swap_is_held_until_the_new_export_is_in_place(
    previous: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, snapshot
) -> None:
    """Ctrl-C arriving during the move is delivered after it: one whole export, never half."""
    staging = atomic.make_staging_folder(previous)
    (staging / "model.nm").write_bytes(b"new")
    real_exchange = atomic._exchange

    def exchange_interrupted(a: Path, b: Path) -> bool:
        os.kill(os.getpid(), signal.SIGINT)
        return real_exchange(a, b)

    monkeypatch.setattr(atomic, "_exchange", exchange_interrupted)
    before = snapshot(previous)
    with pytest.raises(KeyboardInterrupt):
        atomic.replace_folder_atomically(staging, previous)
    assert [p.name for p in previous.iterdir()] == ["model.nm"]
    assert (previous / "model.nm").read_bytes() == b"new"
    assert sorted(p.name for p in previous.parent.iterdir()) == ["identity"]
    # put the old export back so that the fixture's final comparison holds
    shutil.rmtree(previous)
    previous.mkdir()
    for name, data in before.items():
        if name != ".":
            (previous / name).parent.mkdir(parents=True, exist_ok=True)
            (previous / name).write_bytes(data)


class NanModelMixin:
    """Output NaN whatever the input: every audio check must fail."""

    def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
        return x * float("nan")


def test_a_failing_export_does_not_replace_a_passing_one(previous: Path, models) -> None:
    class NanModel(NanModelMixin, models.Identity):
        pass

    with pytest.raises(ExportFailedError) as caught:
        save_neutone_model(NanModel(nn.Identity()), previous, quiet=True)
    message = one_line(caught.value)
    failed = previous.with_name("identity.failed")
    assert f"the failed attempt's report is {failed / 'report.json'}" in message
    assert "keeps its passing export" in message and "overwrite_passing=True" in message
    assert "finite" in message and "determinism" in message
    report = json.loads((failed / "report.json").read_text())  # strict JSON
    assert report["passed"] is False
    assert report["source"] == str(failed / "model.nm")
    assert not caught.value.report.passed
    load_neutone_model(failed / "model.nm")  # a whole attempt, not a partial one
    shutil.rmtree(failed)  # the fixture compares the folder's siblings too


def test_overwriting_a_passing_export_with_a_failing_one_is_explicit(
    good_export: Path, tmp_path: Path, fast_export: SimpleNamespace, models
) -> None:
    fast_export.passed = False
    root = tmp_path / "identity"
    shutil.copytree(good_export, root)
    model = models.Identity(nn.Identity())
    with pytest.raises(ExportFailedError):
        save_neutone_model(model, root, quiet=True)
    shutil.rmtree(tmp_path / "identity.failed")
    report = save_neutone_model(model, root, overwrite_passing=True, quiet=True)
    assert not report.passed
    assert json.loads((root / "report.json").read_text())["passed"] is False
    assert sorted(p.name for p in tmp_path.iterdir()) == ["identity"]


def test_saving_to_a_file_says_so_in_one_line(tmp_path: Path, models) -> None:
    path = tmp_path / "model.nm"
    path.write_bytes(b"precious")
    with pytest.raises(ExportError, match=f"root_dir {path} is a file; give a folder path"):
        save_neutone_model(models.Identity(nn.Identity()), path, quiet=True)
    assert path.read_bytes() == b"precious"
    with pytest.raises(ExportError, match=r"lies under .*model\.nm, which is a file"):
        save_neutone_model(models.Identity(nn.Identity()), path / "sub", quiet=True)


def test_a_folder_holding_other_files_is_refused_before_any_work(tmp_path: Path, models) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match=r"holds files that are not part of an export \(notes"):
        save_neutone_model(models.Identity(nn.Identity()), tmp_path, quiet=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_absurd_sample_rates_are_refused_before_any_work(tmp_path: Path, models) -> None:
    model = models.Identity(nn.Identity())
    with pytest.raises(ValueError, match=r"samples_sample_rate must be in \[1000, 384000\]"):
        save_neutone_model(model, tmp_path / "a", samples_sample_rate=10**9, quiet=True)
    with pytest.raises(ValueError, match=r"sample_rates must be in \[1000, 384000\], got nan"):
        save_neutone_model(model, tmp_path / "a", sample_rates=[float("nan")], quiet=True)
    assert list(tmp_path.iterdir()) == []


def test_a_shape_error_at_one_block_size_names_it(tmp_path: Path, models) -> None:
    class WrongAt512(models.Identity):
        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            if x.size(1) == 512:
                return x[:, :100]
            return x.clone()

    with pytest.raises(ExportError) as caught:
        save_neutone_model(WrongAt512(nn.Identity()), tmp_path / "wrong", quiet=True)
    message = one_line(caught.value)
    assert "host buffers of 512 samples" in message
    assert "[2, 512], got [2, 100]" in message
    assert list(tmp_path.iterdir()) == []  # no empty or partial folder left


def write_imitation(path: Path) -> None:
    """A TorchScript file with only the two entry points and an empty metadata."""

    class Imitation(nn.Module):
        def forward(self, x: Tensor, params: Tensor | None = None) -> Tensor:
            return x

        @torch.jit.export
        def set_daw_sample_rate_and_buffer_size(self, daw_sr: int, daw_bs: int) -> int:
            return daw_bs

    torch.jit.save(torch.jit.script(Imitation()), str(path), _extra_files={"metadata.json": "{}"})


def test_an_imitation_file_gets_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "imitation.nm"
    write_imitation(path)
    with pytest.raises(NotANeutoneModelError) as caught:
        load_neutone_model(path)
    message = one_line(caught.value)
    assert "the Neutone plugin would refuse this file: no attribute realtime" in message
    assert "missing preserved attribute(s) w2w_base, forward_bt, is_input_mono" in message
    report = validate_neutone_model(path, seconds=0.1, buffer_sizes=(256,))
    failed = {check.name for check in report.failures}
    assert {"plugin_load", "contract", "metadata"} <= failed
    assert all("\n" not in check.message for check in report.checks)
    assert not any("AttributeError" in check.message for check in report.checks)


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("old")

    def fail(temp: Path) -> None:
        temp.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left on device"):
        atomic.atomic_write_with(path, fail)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    atomic.atomic_write_text(path, "new")
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


EXPORT_SCRIPT = textwrap.dedent("""
    import sys
    from typing import Dict, List
    from torch import Tensor, nn
    from neutone_core import WaveformToWaveformBase
    from neutone_export import save_neutone_model

    class Identity(WaveformToWaveformBase):
        def get_model_name(self) -> str: return "sigint.test"
        def get_model_authors(self) -> List[str]: return ["neutone tests"]
        def get_model_version(self) -> str: return "1.0.0"
        def get_model_short_description(self) -> str: return "Interrupted on purpose."
        def is_input_mono(self) -> bool: return False
        def is_output_mono(self) -> bool: return False
        def get_native_sample_rates(self) -> List[int]: return []
        def get_native_buffer_sizes(self) -> List[int]: return []
        def do_forward_pass(self, x: Tensor, params: Dict[str, Tensor]) -> Tensor:
            return x.clone()

    save_neutone_model(Identity(nn.Identity()), sys.argv[1])
    """)


@pytest.mark.parametrize(
    "stage", ["scripting", "rendering", "pass shapes"], ids=["scripting", "rendering", "validating"]
)
def test_sigint_during_an_export_keeps_the_previous_one(
    previous: Path, tmp_path: Path, stage: str
) -> None:
    """A real Ctrl-C, sent when the export's progress line says the stage has begun."""
    script = tmp_path / "export.py"
    script.write_text(EXPORT_SCRIPT)
    process = subprocess.Popen(
        [sys.executable, "-W", "ignore", str(script), str(previous)],
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    assert process.stderr is not None
    for line in process.stderr:
        lines.append(line)
        if stage in line:
            process.send_signal(signal.SIGINT)
            break
    rest = process.communicate(timeout=300)[1]
    output = "".join(lines) + rest
    assert process.returncode != 0, output
    assert "KeyboardInterrupt" in output, output
    assert f"neutone-export: export stopped; {previous} is unchanged" in output, output


def _finished_process_id() -> int:
    """The id of a process that has exited (so that no process has it, barring reuse)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_killed_exports_folder_is_removed_by_the_next_export(
    good_export: Path, tmp_path: Path, fast_export: SimpleNamespace, models, capsys
) -> None:
    root = tmp_path / "identity"
    shutil.copytree(good_export, root)
    dead = tmp_path / f".identity.partial-{_finished_process_id()}-abc"
    (dead / "samples").mkdir(parents=True)
    (dead / "model.nm").write_bytes(b"half a model")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        running = tmp_path / f".identity.partial-{sleeper.pid}-def"
        running.mkdir()
        foreign = tmp_path / ".identity.partial-notmine"
        foreign.mkdir()
        save_neutone_model(models.Identity(nn.Identity()), root)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert not dead.exists()
    assert f"removed {dead}, left by an export that was killed" in capsys.readouterr().err
    assert running.is_dir() and foreign.is_dir()  # a live export's, and a name not ours


def test_no_abandoned_folder_is_touched_while_the_export_itself_is_missing(tmp_path: Path) -> None:
    # A swap without renameat2 moves the previous export into such a folder for a moment: with
    # the target missing it may be the only copy.
    target = tmp_path / "identity"
    kept = tmp_path / f".identity.partial-{_finished_process_id()}-abc"
    (kept / "identity").mkdir(parents=True)
    assert atomic.remove_abandoned_staging(target) == []
    assert kept.is_dir()
    target.mkdir()
    assert atomic.remove_abandoned_staging(target) == [kept]
