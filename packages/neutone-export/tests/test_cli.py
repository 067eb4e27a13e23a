"""`neutone-export check` and the CLI contract: exit status first, stdout and stderr apart."""

import json
import subprocess
import sys

import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from neutone_export import load_neutone_model
from neutone_export.cli import app

runner = CliRunner()
ENVELOPE = ["tool", "version", "torch", "python", "platform", "cpu", "threads", "created"]


def show(result) -> str:
    return f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def assert_one_line_error(result, *fragments: str) -> None:
    """Exit 2, nothing on stdout, one line on stderr (before any work), naming the fragments."""
    assert result.exit_code == 2, show(result)
    assert result.stdout == "", show(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), show(result)
    for fragment in fragments:
        assert fragment in lines[0], (fragment, show(result))


def test_check_good_file_exits_0_with_table_and_progress(saved_gain) -> None:
    result = runner.invoke(app, ["check", str(saved_gain.path), "--seconds", "0.2"])
    assert result.exit_code == 0, show(result)
    for name in ("contract", "streaming", "delay", "realtime"):
        assert name in result.stdout
    assert "pass contract 0 problems" in result.stderr  # one progress line per check
    assert "pass delay 0 samples" in result.stderr
    assert "pass contract" not in result.stdout


def test_check_json_file_is_the_envelope_and_the_table_still_shows(saved_gain, tmp_path) -> None:
    out = tmp_path / "report.json"
    args = ["check", str(saved_gain.path), "--json", str(out), "--seconds", "0.2", "--quiet"]
    result = runner.invoke(app, [*args, "--sample-rate", "32000"])
    assert result.exit_code == 0, show(result)
    data = json.loads(out.read_text())
    assert list(data)[: len(ENVELOPE)] == ENVELOPE
    assert (data["tool"], data["command"], data["passed"]) == ("neutone-export", "check", True)
    assert data["torch"] == torch.__version__.split("+")[0]
    assert data["source"] == str(saved_gain.path)
    assert data["settings"]["sample_rates"] == [44100, 48000, 32000]
    assert "contract" in result.stdout  # FILE: the table still goes to stdout
    assert result.stderr == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temporary left


def test_check_json_dash_is_json_on_stdout_instead_of_the_table(saved_gain) -> None:
    result = runner.invoke(app, ["check", str(saved_gain.path), "--json", "-", "-q"])
    assert result.exit_code == 0, show(result)
    data = json.loads(result.stdout)
    assert data["tool"] == "neutone-export"
    assert [c["status"] for c in data["checks"]].count("fail") == 0


def test_check_failing_file_exits_1(saved_gain, tmp_path) -> None:
    module, metadata = load_neutone_model(saved_gain.path)
    metadata["tags"] = ["a-tag-that-is-far-too-long"]
    path = tmp_path / "bad.nm"
    torch.jit.save(module, str(path), _extra_files={"metadata.json": json.dumps(metadata)})
    result = runner.invoke(app, ["check", str(path), "--seconds", "0.1", "--json", "-"])
    assert result.exit_code == 1, show(result)
    data = json.loads(result.stdout)
    assert "metadata" in [c["name"] for c in data["checks"] if c["status"] == "fail"]
    assert "failed: " in result.stderr and "metadata" in result.stderr


def test_bad_files_exit_2_with_one_line(tmp_path) -> None:
    text = tmp_path / "text.nm"
    text.write_text("not a model")
    foreign = tmp_path / "linear.pt"
    torch.jit.save(torch.jit.script(nn.Linear(2, 2)), str(foreign))
    cases = [
        (tmp_path / "missing.nm", "no such file"),
        (text, "not a TorchScript archive"),
        (foreign, "metadata.json"),
    ]
    for path, reason in cases:
        result = runner.invoke(app, ["check", str(path)])
        assert_one_line_error(result, "MODEL_PATH: ", reason)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--seconds", "0"], "--seconds must be a number of seconds in (0, 3600.0], got 0.0"),
        (["--seconds", "nan"], "--seconds must be a number of seconds in (0, 3600.0], got nan"),
        (["--seconds", "inf"], "--seconds must be a number of seconds in (0, 3600.0], got inf"),
        (["--sample-rate", "1000000000"], "--sample-rate must be in [1000, 384000]"),
        (["--sample-rate", "0"], "--sample-rate must be in [1000, 384000], got 0"),
        (["--seconds", "abc"], "--seconds"),
        (["--bogus"], "No such option: --bogus"),
    ],
)
def test_absurd_values_exit_2_before_any_work(saved_gain, args, fragment) -> None:
    assert_one_line_error(runner.invoke(app, ["check", str(saved_gain.path), *args]), fragment)


def test_an_output_path_is_checked_before_any_work(saved_gain, tmp_path) -> None:
    original = saved_gain.path.read_bytes()
    cases = [
        (saved_gain.path, "is the input; writing there would destroy it"),
        (tmp_path / "missing" / "r.json", "does not exist"),
        (tmp_path, "is a folder; give a file name"),
    ]
    for target, fragment in cases:
        result = runner.invoke(app, ["check", str(saved_gain.path), "--json", str(target)])
        assert_one_line_error(result, "--json: ", fragment)
    assert saved_gain.path.read_bytes() == original


def test_version_names_package_torch_and_python() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, show(result)
    assert result.stdout.startswith("neutone-export ")
    assert (
        f"torch {torch.__version__.split('+')[0]}" in result.stdout and "python 3." in result.stdout
    )


def test_no_color_and_color_options_are_accepted(saved_gain) -> None:
    for flag in ("--no-color", "--color"):
        result = runner.invoke(app, [flag, "check", str(saved_gain.path), "--json", "-", "-q"])
        assert result.exit_code == 0, show(result)
        json.loads(result.stdout)


def test_help_lists_check_and_python_dash_m_runs_the_same_app() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0, show(result)
    assert "check" in result.stdout
    done = subprocess.run(
        [sys.executable, "-m", "neutone_export", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.startswith("neutone-export "), done.stderr


def test_help_does_not_load_torch() -> None:
    """`--help` answers without importing torch (which alone takes seconds to load)."""
    code = (
        "import sys\n"
        "from neutone_export.cli import app\n"
        "try:\n"
        "    app(['check', '--help'], prog_name='neutone_export')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('TORCH', 'torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    words = done.stdout.split()
    assert words[-1] == "False", "torch was imported for --help"


@pytest.mark.parametrize("name", ["realtime", "get_wet_default_value"])
def test_check_fails_a_file_the_plugin_would_refuse_naming_what_is_missing(
    models, tmp_path, name: str
) -> None:
    from neutone_core import RealtimeAdapter

    adapter = RealtimeAdapter(models.Identity(nn.Identity()))
    if name == "realtime":
        del adapter.realtime
        module = torch.jit.script(adapter)
    else:
        module = torch.jit.script(adapter)
        keep = [n for n in module.get_preserved_attributes() if n != name] + ["realtime"]
        module.stop_caching_views()
        module = torch.jit.freeze(module.eval(), preserved_attrs=keep)
    path = tmp_path / "incomplete.nm"
    torch.jit.save(module, str(path), _extra_files={"metadata.json": module.get_metadata_json()})
    result = runner.invoke(app, ["check", str(path), "--seconds", "0.2", "--json", "-"])
    assert result.exit_code == 1, show(result)
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["plugin_load"]["status"] == "fail"
    assert name in checks["plugin_load"]["message"]


def test_an_error_reporting_failed_checks_exits_1_in_one_line(tmp_path) -> None:
    from neutone_export.cli.contract import make_app
    from neutone_export.files.save import ExportFailedError

    demo = make_app("neutone-export", "demo")

    @demo.command("fail")
    def fail() -> None:
        raise ExportFailedError("checks failed: delay; kept in x.failed", None, tmp_path)

    @demo.command("bad")
    def bad() -> None:
        raise ValueError("--rate must be in [1000, 384000], got 5")

    result = runner.invoke(demo, ["fail"])
    assert result.exit_code == 1, show(result)
    assert result.stderr.strip() == "Error: checks failed: delay; kept in x.failed"
    assert runner.invoke(demo, ["bad"]).exit_code == 2
