"""Hostile and careless input: outputs that are devices, FIFOs, sockets, kernel files or symlinks;
metadata outside the limits or carrying markup and terminal escapes; malformed NAM captures.

Each case asserts the one line, the exit status and that nothing outside the asked-for path
changed. Special files are made in a temporary folder (`os.mkfifo`, a bound socket); the system's
`/dev/full` is only named as an output that must be refused and stay a device.
"""

import importlib.util
import json
import os
import socket
import stat
from pathlib import Path
from typing import Dict

import pytest
import torch
from typer.testing import CliRunner

from neutone_export.cli import app
from neutone_export.files.atomic import (
    OutputPathError,
    atomic_write_text,
    make_staging_folder,
    replace_folder_atomically,
    resolve_output,
)

runner = CliRunner()


def show(result) -> str:
    return f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def one_line_error(result) -> str:
    assert result.exit_code == 2, show(result)
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: ")
    return line


def listing(folder: Path) -> Dict[str, int]:
    """Name -> file type bits of every entry of `folder` (what must not change)."""
    return {p.name: stat.S_IFMT(os.lstat(p).st_mode) for p in folder.iterdir()}


def nm_with_metadata(source: Path, target: Path, metadata_text: str) -> Path:
    """A copy of the `.nm` at `source` whose `metadata.json` is `metadata_text`."""
    module = torch.jit.load(str(source), map_location="cpu")
    torch.jit.save(module, str(target), _extra_files={"metadata.json": metadata_text})
    return target


def gain_metadata(saved_gain) -> dict:
    return json.loads((saved_gain.root / "metadata.json").read_text(encoding="utf-8"))


# --- outputs -----------------------------------------------------------------------------------


def test_a_fifo_and_a_socket_as_output_are_refused_before_any_work(saved_gain, tmp_path) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "out.sock"))
    try:
        before = listing(tmp_path)
        for name, kind in (("out.fifo", "FIFO"), ("out.sock", "socket")):
            line = one_line_error(
                runner.invoke(app, ["info", str(saved_gain.path), "--json", str(tmp_path / name)])
            )
            assert "--json" in line and name in line and kind in line
        assert listing(tmp_path) == before
    finally:
        server.close()


def test_a_device_as_output_is_refused_and_stays_a_device(saved_gain) -> None:
    line = one_line_error(runner.invoke(app, ["info", str(saved_gain.path), "--json", "/dev/full"]))
    assert line == (
        "Error: --json: /dev/full is a character device; give the path of a regular file "
        "(or '-' for stdout where the option takes it)"
    )
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="no /proc here")
def test_a_kernel_file_as_output_is_refused_up_front(saved_gain) -> None:
    line = one_line_error(
        runner.invoke(app, ["info", str(saved_gain.path), "--json", "/proc/self/neutone.json"])
    )
    assert "lies on a kernel file system" in line and ".tmp" not in line


def test_a_symlink_output_is_written_through_and_kept(saved_gain, tmp_path) -> None:
    target = tmp_path / "real.json"
    link = tmp_path / "link.json"
    link.symlink_to(target)
    result = runner.invoke(app, ["info", str(saved_gain.path), "--json", str(link)])
    assert result.exit_code == 0, show(result)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text())["command"] == "info"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "real.json"]


def test_new_files_honour_the_umask_and_replaced_ones_keep_their_mode(tmp_path) -> None:
    previous = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "new.json", "{}")
        kept = tmp_path / "kept.json"
        kept.write_text("old")
        os.chmod(kept, 0o664)
        atomic_write_text(kept, "new")
        staging = make_staging_folder(tmp_path / "export")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(tmp_path / "new.json").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o664 and kept.read_text() == "new"
    assert stat.S_IMODE(os.stat(staging).st_mode) == 0o755


def test_descriptor_paths_are_written_directly_never_replaced() -> None:
    read_end, write_end = os.pipe()
    try:
        assert resolve_output("/dev/stdout").descriptor == 1
        atomic_write_text(f"/dev/fd/{write_end}", '{"ok": true}\n')
        os.close(write_end)
        assert os.read(read_end, 100) == b'{"ok": true}\n'
    finally:
        os.close(read_end)
    with pytest.raises(OutputPathError, match="descriptor 987 is not open"):
        resolve_output("/dev/fd/987")


def test_an_export_folder_behind_a_symlink_is_replaced_through_it(tmp_path) -> None:
    real = tmp_path / "elsewhere" / "clipper"
    real.mkdir(parents=True)
    (real / "old.txt").write_text("old")
    out = tmp_path / "out"
    out.mkdir()
    (out / "clipper").symlink_to(real)
    staging = make_staging_folder(out / "clipper")
    (staging / "model.nm").write_text("new")
    replace_folder_atomically(staging, out / "clipper")
    assert (out / "clipper").is_symlink()
    assert sorted(p.name for p in real.iterdir()) == ["model.nm"]
    assert sorted(p.name for p in out.iterdir()) == ["clipper"]
    assert sorted(p.name for p in real.parent.iterdir()) == ["clipper"]


def test_port_write_goes_through_a_symlink_keeping_bom_crlf_and_mode(tmp_path) -> None:
    script = tmp_path / "real.py"
    body = "from neutone_sdk.utils import save_neutone_model\r\n# done\r\n"
    script.write_bytes(b"\xef\xbb\xbf" + body.encode())
    os.chmod(script, 0o754)
    link = tmp_path / "link.py"
    link.symlink_to(script)
    result = runner.invoke(app, ["port", str(link), "--write"])
    assert result.exit_code == 0, show(result)
    assert link.is_symlink()
    assert script.read_bytes() == (
        b"\xef\xbb\xbffrom neutone_export import save_neutone_model\r\n# done\r\n"
    )
    assert stat.S_IMODE(os.stat(script).st_mode) == 0o754
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.py", "real.py"]


# --- metadata ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, named",
    [
        ({"native_sample_rates": [1]}, "native_sample_rates[0] must be in [1000, 384000], got 1"),
        ({"model_name": None}, "model_name must be a string, got NoneType"),
        ({"date_created": float("inf")}, "date_created must be a finite number, got inf"),
        ({"tags": {"a": 1}}, "tags must be a list, got dict"),
        ({"model_name": "x" * 20_000}, "model_name: at most 10000 characters, got 20000"),
    ],
)
def test_metadata_outside_the_limits_is_one_line_at_info_and_render(
    saved_gain, tmp_path, change, named
) -> None:
    metadata = dict(gain_metadata(saved_gain), **change)
    model = nm_with_metadata(saved_gain.path, tmp_path / "bad.nm", json.dumps(metadata))
    line = one_line_error(runner.invoke(app, ["info", str(model)]))
    assert line == f"Error: MODEL: {model}: metadata.json: {named}"
    audio = tmp_path / "in.wav"
    audio.write_bytes(b"")
    before = listing(tmp_path)
    line = one_line_error(runner.invoke(app, ["render", str(model), str(audio), "-q"]))
    assert named in line and "internal error" not in line
    assert listing(tmp_path) == before


def test_deep_or_huge_metadata_is_refused_before_parsing(saved_gain, tmp_path) -> None:
    deep = nm_with_metadata(saved_gain.path, tmp_path / "deep.nm", "[" * 100_000 + "]" * 100_000)
    line = one_line_error(runner.invoke(app, ["info", str(deep)]))
    assert line.endswith(
        "metadata.json nests too deeply to be read, not a Neutone model (more than 32 levels)"
    )
    metadata = dict(gain_metadata(saved_gain), model_name="x" * 17_000_000)
    huge = nm_with_metadata(saved_gain.path, tmp_path / "huge.nm", json.dumps(metadata))
    line = one_line_error(runner.invoke(app, ["info", str(huge)]))
    assert "metadata.json: at most 16000000 characters" in line


def test_markup_and_escapes_in_metadata_are_printed_as_text(saved_gain, tmp_path) -> None:
    name = "[/bold]oops\x1b[2J"
    link = "[link=file:///etc/passwd]click me[/link]"
    metadata = dict(gain_metadata(saved_gain), model_name=name, model_short_description=link)
    model = nm_with_metadata(saved_gain.path, tmp_path / "odd.nm", json.dumps(metadata))
    result = runner.invoke(app, ["info", str(model)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, show(result)
    assert "[/bold]oops\\x1b[2J" in result.stdout and "\x1b" not in result.stdout
    assert link in result.stdout


def test_check_fails_metadata_that_carries_control_characters(saved_gain) -> None:
    from neutone_core import MetadataError, validate_metadata

    metadata = dict(gain_metadata(saved_gain), model_name="ring\x07")
    with pytest.raises(MetadataError, match=r"model_name: carries control character U\+0007"):
        validate_metadata(metadata)


# --- NAM captures ------------------------------------------------------------------------------

needs_nam = pytest.mark.skipif(importlib.util.find_spec("nam") is None, reason="nam not installed")


def lstm_capture() -> dict:
    from nam.models.recurrent import LSTM

    net = LSTM(hidden_size=4, num_layers=1)
    weights = [float(w) for w in net._export_weights()]
    config = {"input_size": 1, "hidden_size": 4, "num_layers": 1}
    return {"version": "0.5.4", "architecture": "LSTM", "config": config, "weights": weights}


@needs_nam
@pytest.mark.parametrize(
    "change, named",
    [
        ({"config": None}, "config must be an object, got NoneType"),
        ({"sample_rate": "48000"}, "sample_rate must be in [1000, 384000], got '48000'"),
        ({"sample_rate": 1}, "sample_rate must be in [1000, 384000], got 1"),
        ({"weights": "many"}, "weights must be a list of at most"),
        ({"architecture": "Linear"}, "architecture must be one of ['WaveNet', 'LSTM']"),
        ({"config": {"hidden_size": 1_000_000}}, "parameters, at most 20000000"),
        ({"weights_delta": -1}, "weights: the config needs"),
        ({"weights_delta": 1}, "weights: the config needs"),
    ],
)
def test_malformed_nam_captures_are_one_line_before_anything_is_built(
    tmp_path, change, named
) -> None:
    capture = lstm_capture()
    delta = change.pop("weights_delta", 0)
    if delta:
        capture["weights"] = capture["weights"][:-1] if delta < 0 else capture["weights"] + [0.0]
    if isinstance(change.get("config"), dict):
        change["config"] = dict(capture["config"], **change["config"])
    path = tmp_path / "amp.nam"
    path.write_text(json.dumps(dict(capture, **change)))
    line = one_line_error(runner.invoke(app, ["import-nam", str(path), str(tmp_path / "out")]))
    assert named in line and "internal error" not in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["amp.nam"]
