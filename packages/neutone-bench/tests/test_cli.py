"""The three commands through typer's CliRunner: tables and JSON, the CLI contract, bad input."""

import errno
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from neutone_bench.cli import app
from neutone_bench.embedded import EMBEDDED_MODELS
from neutone_bench.render import ms

FAST_SPEED = ["--duration", "0.05", "--repetitions", "2", "--warmup", "2"]
ENVELOPE = ["tool", "version", "torch", "python", "platform", "cpu", "threads", "created"]
#: A terminal 80 columns wide, colours off.
TERMINAL = {"COLUMNS": "80", "NO_COLOR": "1"}


def show(result) -> str:
    return f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def invoke(runner: CliRunner, args: list[str]):
    return runner.invoke(app, args, env=TERMINAL)


def table_rows(stdout: str) -> list[list[str]]:
    """Body rows of the tables in `stdout`: lines whose first two words are whole numbers."""
    rows = []
    for line in stdout.splitlines():
        words = line.split()
        if len(words) > 2 and words[0].isdigit() and words[1].isdigit():
            rows.append(words)
    return rows


def assert_one_line_error(result, *fragments: str, before_work: bool = True) -> None:
    """Exit 2, nothing on stdout, the error as the last line of stderr and the only one that
    says so; `before_work`: stderr holds nothing else (the command stopped before any work)."""
    assert result.exit_code == 2, show(result)
    assert result.stdout == "", show(result)
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("Error: "), show(result)
    assert sum(line.startswith("Error") for line in lines) == 1, show(result)
    assert "Traceback" not in result.stderr
    if before_work:
        assert len(lines) == 1, show(result)
    for fragment in fragments:
        assert fragment in lines[-1], (fragment, show(result))


# --- speed ------------------------------------------------------------------------------------


def test_speed_json_keeps_every_call_and_the_table_shows_every_figure_whole(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "speed.json"
    args = ["speed", "-r", "48000", "-r", "44100", "-b", "128", "-b", "512", *FAST_SPEED]
    result = invoke(runner, [*args, "--json", str(out)])
    assert result.exit_code == 0, show(result)
    data = json.loads(out.read_text())
    assert list(data)[: len(ENVELOPE)] == ENVELOPE
    assert (data["tool"], data["command"], data["model"]) == (
        "neutone-bench",
        "speed",
        "clipper (embedded)",
    )
    assert data["threads"] == 1 and data["torch"] == torch.__version__.split("+")[0]
    settings = [(r["sample_rate"], r["buffer_size"]) for r in data["results"]]
    assert settings == [(48000, 128), (48000, 512), (44100, 128), (44100, 512)]
    for row in data["results"]:
        sr, bs = row["sample_rate"], row["buffer_size"]
        assert row["num_calls"] == 2 * math.ceil(0.05 * sr / bs)
        assert len(row["times_s"]) == len(row["floor_s"]) == row["num_calls"]
        assert len(row["warmup_s"]) == 2
        assert row["deadline_s"] == pytest.approx(bs / sr)
        assert row["max_s"] == max(row["times_s"])
        assert row["deadline_misses"] == sum(t > row["deadline_s"] for t in row["times_s"])
        assert 0.0 < row["q1_s"] <= row["median_s"] <= row["q3_s"] <= row["p99_s"] <= row["max_s"]
        assert row["mean_s"] == pytest.approx(sum(row["times_s"]) / row["num_calls"])
        assert row["load"] == pytest.approx(row["mean_s"] / row["deadline_s"])
    # The table at 80 columns: one row per setting, in order, every figure whole.
    assert "…" not in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    rows = table_rows(result.stdout)
    assert [(int(r[0]), int(r[1])) for r in rows] == settings
    for words, row in zip(rows, data["results"], strict=True):
        figures = [ms(row["median_s"]), ms(row["p99_s"]), ms(row["max_s"])]
        figures += [str(row["deadline_misses"]), f"{100 * row['load']:.1f}"]
        for figure in figures:
            assert figure in words, (figure, words)
    legend = " ".join(result.stdout.split())
    assert (
        "misses: calls slower than the buffer lasts, and whose they are (the model's or the "
        "machine's); load: the mean call as a share of the buffer's duration." in legend
    )


def test_speed_verbose_adds_warmup_spread_and_floor_within_80_columns(runner: CliRunner) -> None:
    result = invoke(runner, ["speed", "-b", "128", *FAST_SPEED, "--verbose"])
    assert result.exit_code == 0, show(result)
    for header in ("warm-up", "IQR", "floor"):
        assert header in result.stdout
    assert "…" not in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_speed_json_to_stdout_is_pure_json(runner: CliRunner) -> None:
    result = invoke(runner, ["speed", "-b", "256", *FAST_SPEED, "--json", "-"])
    assert result.exit_code == 0, show(result)
    data = json.loads(result.stdout)
    assert [r["buffer_size"] for r in data["results"]] == [256]
    assert "speed: clipper (embedded)" in result.stderr  # progress goes to stderr


def baseline(tmp_path: Path, median_s: float) -> Path:
    """A saved speed run at 48000 Hz / 256 whose median is `median_s`."""
    path = tmp_path / f"baseline-{median_s}.json"
    rows = [{"sample_rate": 48000, "buffer_size": 256, "median_s": median_s}]
    path.write_text(json.dumps({"tool": "neutone-bench", "command": "speed", "results": rows}))
    return path


def test_compare_exits_1_on_a_planted_regression_and_0_on_an_improvement(
    runner: CliRunner, tmp_path: Path
) -> None:
    args = ["speed", "-b", "256", *FAST_SPEED, "--compare"]
    fast = baseline(tmp_path, 1e-9)  # nothing runs in a nanosecond: now is a regression
    result = invoke(runner, [*args, str(fast), "--threshold", "10%", "--json", "-"])
    assert result.exit_code == 1, show(result)
    (change,) = json.loads(result.stdout)["compare"]["changes"]
    assert change["regression"] is True and change["change"] > 0.1
    assert "regression: the median grew by more than 10% at 48000 Hz / 256" in result.stderr
    slow = baseline(tmp_path, 10.0)  # ten seconds a call: now is far faster
    result = invoke(runner, [*args, str(slow)])
    assert result.exit_code == 0, show(result)
    assert "REGRESSION" not in result.stdout and "ok" in result.stdout


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--threshold", "ten"], "--threshold must be a percentage in (0, 1000]%, got 'ten'"),
        (["--threshold", "-5%"], "--threshold must be a percentage"),
    ],
)
def test_compare_bad_threshold(
    runner: CliRunner, tmp_path: Path, extra: list[str], fragment: str
) -> None:
    result = invoke(runner, ["speed", "--compare", str(baseline(tmp_path, 1e-3)), *extra])
    assert_one_line_error(result, fragment)


def test_compare_bad_baseline(runner: CliRunner, tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"tool": "neutone-export", "command": "check"}))
    assert_one_line_error(invoke(runner, ["speed", "--compare", str(other)]), "is not the JSON of")
    assert_one_line_error(
        invoke(runner, ["speed", "--compare", str(tmp_path / "none.json")]), "no such file"
    )


GOOD_ROW = {"sample_rate": 48000, "buffer_size": 256, "median_s": 1e-3}


@pytest.mark.parametrize(
    ("results", "fragment"),
    [
        ([{**GOOD_ROW, "median_s": 0.0}], "results[0].median_s must be a finite number"),
        ([{**GOOD_ROW, "median_s": None}], "results[0].median_s must be a finite number"),
        ([{**GOOD_ROW, "median_s": "1e-3"}], "results[0].median_s must be a finite number"),
        ([{**GOOD_ROW, "median_s": -1.0}], "results[0].median_s must be a finite number"),
        ([GOOD_ROW, {**GOOD_ROW, "buffer_size": 512, "median_s": 1e400}], "results[1].median_s"),
        ([{**GOOD_ROW, "sample_rate": True}], "results[0].sample_rate must be an integer"),
        ([{**GOOD_ROW, "sample_rate": 1}], "results[0].sample_rate must be in [1000, 384000]"),
        ([{**GOOD_ROW, "buffer_size": "256"}], "results[0].buffer_size must be an integer"),
        ([{"sample_rate": 48000}], "results[0].buffer_size must be an integer, got None"),
        ([GOOD_ROW, GOOD_ROW], "results[1]: 48000 Hz / 256 samples appears twice"),
        (["row"], "results[0] must be an object, got str"),
        ([], "'results' must be a non-empty list"),
        ({"48000": GOOD_ROW}, "'results' must be a non-empty list"),
    ],
)
def test_compare_refuses_a_baseline_no_speed_run_writes(
    runner: CliRunner, tmp_path: Path, results: object, fragment: str
) -> None:
    """A zero or NaN median would make every run pass the gate: refused, naming the field."""
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({"tool": "neutone-bench", "command": "speed", "results": results}))
    assert_one_line_error(invoke(runner, ["speed", "--compare", str(path)]), fragment)


def test_compare_refuses_nan_and_deep_json_in_one_line(runner: CliRunner, tmp_path: Path) -> None:
    nan = tmp_path / "nan.json"
    nan.write_text(
        '{"tool": "neutone-bench", "command": "speed", "results": '
        '[{"sample_rate": 48000, "buffer_size": 256, "median_s": NaN}]}'
    )
    result = invoke(runner, ["speed", "--compare", str(nan)])
    assert_one_line_error(result, "results[0].median_s must be a finite number", "got nan")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    result = invoke(runner, ["speed", "--compare", str(deep)])
    assert_one_line_error(result, "--compare: ", "not a JSON file")
    assert "internal error" not in result.stderr


def test_speed_refuses_a_duration_shorter_than_four_buffers(runner: CliRunner) -> None:
    args = ["speed", "-r", "44100", "-r", "48000", "-b", "128", "-b", "2048", "--duration", "0.1"]
    result = invoke(runner, args)
    assert_one_line_error(
        result,
        "--duration 0.1: shorter than 4 buffers of 2048 samples at 44100 Hz; give at least 0.186 s",
        before_work=False,  # the model is loaded first: a Gen model has no buffers
    )
    assert "speed: " not in result.stderr  # nothing was measured


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["speed", "-b", "128", "-b", "128"], "--buffer-size: 128 given twice"),
        (["latency", "-r", "48000", "-r", "48000"], "--sample-rate: 48000 given twice"),
        (["speed", "--clip-seconds", "1", "--clip-seconds", "1.0"], "--clip-seconds: 1 given"),
    ],
)
def test_a_value_given_twice_is_refused(runner: CliRunner, args: list[str], fragment: str) -> None:
    assert_one_line_error(invoke(runner, args), fragment)


def test_speed_plot_is_written_in_place_and_threads_are_restored(
    runner: CliRunner, tmp_path: Path
) -> None:
    before = torch.get_num_threads()
    plot = tmp_path / "speed.png"
    args = ["speed", "smoother-48k", "-r", "44100", "-b", "128", "-b", "2048", *FAST_SPEED]
    args[args.index("--duration") + 1] = "0.2"  # at least 4 buffers of 2048 samples
    result = invoke(runner, [*args, "--num-threads", "2", "--plot", str(plot)])
    assert result.exit_code == 0, show(result)
    assert torch.get_num_threads() == before
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["speed.png"]  # no temporary left


# --- latency ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EMBEDDED_MODELS))
def test_latency_rows_are_sorted_and_sum_to_total(
    runner: CliRunner, tmp_path: Path, name: str
) -> None:
    out = tmp_path / "latency.json"
    result = invoke(runner, ["latency", name, "--json", str(out)])
    assert result.exit_code == 0, show(result)
    data = json.loads(out.read_text())
    assert list(data)[: len(ENVELOPE)] == ENVELOPE and data["command"] == "latency"
    rows = data["rows"]
    assert {(r["sample_rate"], r["buffer_size"]) for r in rows} == {
        (sr, bs) for sr in (44100, 48000) for bs in (128, 256, 512, 1024, 2048)
    }
    keys = [(r["total"], r["sample_rate"], r["buffer_size"]) for r in rows]
    assert keys == sorted(keys)
    for r in rows:
        assert r["buffering"] + r["resampling"] + r["look_ahead"] + r["model"] == r["total"], r
    cells = table_rows(result.stdout)
    assert [[int(c) for c in row[:3]] for row in cells] == [
        [r["sample_rate"], r["buffer_size"], r["total"]] for r in rows
    ]
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


@pytest.mark.parametrize("name", sorted(EMBEDDED_MODELS))
def test_latency_measure_agrees_with_reported_for_embedded(
    runner: CliRunner, tmp_path: Path, name: str
) -> None:
    out = tmp_path / "latency.json"
    result = invoke(runner, ["latency", name, "--measure", "--json", str(out)])
    rows = json.loads(out.read_text())["rows"]
    assert all(r["agrees"] and r["measured"] == r["total"] for r in rows), rows
    assert result.exit_code == 0, show(result)
    assert "measured" in result.stdout


def test_a_saved_file_by_path_and_by_folder(
    runner: CliRunner, tmp_path: Path, smoother_file: Path
) -> None:
    out = tmp_path / "latency.json"
    args = ["latency", str(smoother_file), "-r", "44100", "-b", "256", "--measure"]
    result = invoke(runner, [*args, "--json", str(out)])
    assert result.exit_code == 0, show(result)
    (row,) = json.loads(out.read_text())["rows"]
    assert row["measured"] == row["total"] > 0
    assert "native sample rates [48000], native buffer sizes [2048]" in result.stderr
    result = invoke(runner, ["speed", str(smoother_file.parent), "-b", "256", *FAST_SPEED])
    assert result.exit_code == 0, show(result)
    assert "speed of" in result.stdout and "model.nm" in result.stdout


def test_latency_runs_on_the_threads_asked_and_says_how_many(
    runner: CliRunner, sdk15_file: Path
) -> None:
    before = torch.get_num_threads()
    for threads, extra in ((1, []), (2, ["--num-threads", "2"])):
        args = ["latency", str(sdk15_file), "-b", "128", "--measure", "--json", "-", *extra]
        result = invoke(runner, args)
        assert result.exit_code == 0, show(result)
        assert f", measuring, {threads} thread(s)" in result.stderr
        assert json.loads(result.stdout)["threads"] == threads
        assert torch.get_num_threads() == before


def test_a_name_with_markup_and_escapes_is_shown_as_data(
    runner: CliRunner, tmp_path: Path, sdk15_file: Path
) -> None:
    """Rich markup in a name is not read and control characters reach no terminal."""
    folder = tmp_path / "[red]"
    folder.mkdir()
    odd = folder / "odd\x1b[2J\x1b]0;owned\x07.nm"
    odd.write_bytes(sdk15_file.read_bytes())
    result = invoke(runner, ["latency", str(odd), "-b", "128"])
    assert result.exit_code == 0, show(result)
    shown = f"{folder}/odd\\x1b[2J\\x1b]0;owned\\x07.nm"
    assert shown in result.stderr and shown in "".join(result.stdout.split())  # title wraps
    assert "\x1b" not in result.stdout + result.stderr and "\x07" not in result.stderr


def test_latency_of_an_sdk15_file(runner: CliRunner, sdk15_file: Path) -> None:
    args = ["latency", str(sdk15_file), "-r", "48000", "-b", "64", "--measure", "--json", "-"]
    result = invoke(runner, args)
    assert result.exit_code == 0, show(result)
    (row,) = json.loads(result.stdout)["rows"]
    assert row == {
        "sample_rate": 48000,
        "buffer_size": 64,
        "buffering": 34,
        "resampling": None,
        "look_ahead": None,
        "model": 3,
        "total": 37,
        "measured": 37,
        "agrees": True,
    }


def test_latency_warns_and_fails_when_measured_differs(
    runner: CliRunner, misreporting_file: Path
) -> None:
    args = ["latency", str(misreporting_file), "-b", "128", "-r", "48000", "--measure"]
    result = invoke(runner, args)
    assert result.exit_code == 1, show(result)
    assert "reports 30 samples of delay but 37 were measured" in result.stderr
    assert "37 differs" in " ".join(result.stdout.split())


def test_latency_reports_a_silent_output(runner: CliRunner, silent_file: Path) -> None:
    args = ["latency", str(silent_file), "-b", "128", "-r", "48000", "--measure", "--json", "-"]
    result = invoke(runner, args)
    assert result.exit_code == 1, show(result)
    assert "reports 37 samples of delay but the output stayed silent" in result.stderr
    (row,) = json.loads(result.stdout)["rows"]
    assert row["measured"] is None and row["agrees"] is False


# --- profile ----------------------------------------------------------------------------------


def test_profile_lists_operators_and_writes_a_trace(runner: CliRunner, tmp_path: Path) -> None:
    out, trace = tmp_path / "profile.json", tmp_path / "trace.json"
    args = ["profile", "--num-calls", "5", "--warmup", "1", "--top", "3"]
    result = invoke(runner, [*args, "--json", str(out), "--trace", str(trace)])
    assert result.exit_code == 0, show(result)
    data = json.loads(out.read_text())
    assert list(data)[: len(ENVELOPE)] == ENVELOPE and data["command"] == "profile"
    assert (data["sample_rate"], data["buffer_size"], data["num_calls"]) == (48000, 128, 5)
    assert 1 <= len(data["top_cpu"]) <= 3 and 1 <= len(data["top_memory"]) <= 3
    cpu = [r["self_cpu_us"] for r in data["top_cpu"]]
    assert cpu == sorted(cpu, reverse=True)
    allocated = [r["self_allocated_bytes"] for r in data["top_memory"]]
    assert allocated == sorted(allocated, reverse=True) and min(allocated) > 0
    for row in data["top_cpu"] + data["top_memory"]:
        assert min(row["self_allocated_bytes"], row["self_freed_bytes"]) >= 0
        assert row["allocated_bytes"] >= row["self_allocated_bytes"]
        assert 0 <= row["self_cpu_us"] <= row["cpu_total_us"]
    # The process figures are the calls' own, not the interpreter's or the profiler's.
    assert data["peak_rss_bytes"] >= data["rss_after_bytes"] > 0
    assert data["rss_growth_bytes"] == data["rss_after_bytes"] - data["rss_before_bytes"]
    assert data["peak_growth_bytes"] == data["peak_rss_bytes"] - data["rss_before_bytes"] >= 0
    assert data["peak_growth_bytes"] < 64 * 2**20  # a clipper's calls add no tens of MiB
    assert "traceEvents" in json.loads(trace.read_text())
    assert "top operators by self CPU time" in result.stdout
    assert "peak growth MiB" in " ".join(result.stdout.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["profile.json", "trace.json"]


def test_profile_tables_fit_80_columns_with_every_name_whole(runner: CliRunner) -> None:
    """Operator names stay whole (a name never wraps mid-word) and no figure is negative."""
    result = invoke(runner, ["profile", "--num-calls", "3", "--warmup", "1", "--json", "-"])
    assert result.exit_code == 0, show(result)
    data = json.loads(result.stdout)
    result = invoke(runner, ["profile", "--num-calls", "3", "--warmup", "1"])
    assert result.exit_code == 0, show(result)
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in result.stdout
    first_words = {line.split()[0] for line in lines if line.strip()}
    for row in data["top_cpu"] + data["top_memory"]:
        assert row["name"] in first_words, (row["name"], result.stdout)
    figures = [word for line in lines for word in line.split() if word[:1] in "-0123456789"]
    assert not [word for word in figures if word.startswith("-") and word != "-"], result.stdout


def test_profile_refuses_several_settings(runner: CliRunner) -> None:
    result = invoke(runner, ["profile", "-r", "44100", "-r", "48000"])
    assert_one_line_error(result, "--sample-rate: profile runs at one setting, got 2 values")


def test_profile_prints_none_of_the_profilers_own_lines() -> None:
    """Kineto writes below Python (file descriptor 2), so only a real process shows it."""
    args = ["profile", "--num-calls", "2", "--warmup", "0", "--top", "1", "--json", "-"]
    result = subprocess.run(
        [sys.executable, "-m", "neutone_bench", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout)
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "profile: clipper (embedded) at 48000 Hz / 128 samples, 2 calls, 1 thread(s)"
    ], lines


# --- bad input: one line, exit 2, before any work, nothing overwritten -------------------------


@pytest.mark.parametrize("command", ["speed", "latency", "profile"])
def test_missing_corrupt_foreign_and_imitation_files(
    runner: CliRunner,
    tmp_path: Path,
    command: str,
    corrupt_file: Path,
    foreign_file: Path,
    imitation_file: Path,
) -> None:
    cases = [
        (tmp_path / "nothing-here.nm", "no such file"),
        (corrupt_file, "not a TorchScript archive"),
        (foreign_file, "not a Neutone model"),
    ]
    for path, fragment in cases:
        assert_one_line_error(invoke(runner, [command, str(path)]), "MODEL: ", fragment)
    # The loader refuses it as the plugin would, or the bench for the methods it calls.
    result = invoke(runner, [command, str(imitation_file)])
    assert_one_line_error(result, "MODEL: ", "imitation.nm: ")
    assert "would refuse" in result.stderr or "not a Neutone model (no method" in result.stderr


def test_unknown_name_is_bad_input(runner: CliRunner) -> None:
    result = invoke(runner, ["speed", "no-such-model"])
    assert_one_line_error(result, "no model file or model named 'no-such-model'")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["speed", "-r", "0"], "--sample-rate must be in [1000, 384000], got 0"),
        (["speed", "-r", "1000000000"], "--sample-rate must be in [1000, 384000], got 1000000000"),
        (["latency", "-r", "-44100"], "--sample-rate must be in [1000, 384000], got -44100"),
        (["latency", "-b", "0"], "--buffer-size must be in [1, 65536], got 0"),
        (["profile", "-b", "100000"], "--buffer-size must be in [1, 65536], got 100000"),
        (["speed", "--duration", "0"], "--duration must be a number of seconds in (0, 3600.0]"),
        (["speed", "--duration", "inf"], "--duration must be a number of seconds in (0, 3600.0]"),
        (["speed", "--duration", "nan"], "--duration must be a number of seconds in (0, 3600.0]"),
        (["speed", "--num-threads", "0"], "--num-threads"),
        (["speed", "--repetitions", "0"], "--repetitions"),
        (["profile", "--warmup", "-1"], "--warmup"),
        (["speed", "--plot", "speed.txt2"], "--plot: speed.txt2 has no image suffix"),
        (["speed", "--bogus"], "No such option: --bogus"),
    ],
)
def test_absurd_values_are_one_line(runner: CliRunner, args: list[str], fragment: str) -> None:
    assert_one_line_error(invoke(runner, args), fragment)


@pytest.mark.parametrize(
    ("command", "option"),
    [("speed", "--json"), ("latency", "--json"), ("profile", "--json"), ("profile", "--trace")],
)
def test_an_output_path_is_checked_before_any_work(
    runner: CliRunner, tmp_path: Path, sdk15_file: Path, command: str, option: str
) -> None:
    original = sdk15_file.read_bytes()
    cases = [
        (str(sdk15_file), "is the input; writing there would destroy it"),
        (str(tmp_path / "missing" / "out.json"), "does not exist"),
        (str(tmp_path), "is a folder; give a file name"),
    ]
    for target, fragment in cases:
        result = invoke(runner, [command, str(sdk15_file), option, target])
        assert_one_line_error(result, f"{option}: ", fragment)
        assert sdk15_file.read_bytes() == original


def test_two_outputs_may_not_name_one_file(runner: CliRunner, tmp_path: Path) -> None:
    same = str(tmp_path / "out.png")
    result = invoke(runner, ["speed", "--json", same, "--plot", same])
    assert_one_line_error(result, "--plot and --json name the same file")


def test_a_setting_the_model_refuses_is_bad_input(runner: CliRunner, sdk15_file: Path) -> None:
    result = invoke(runner, ["latency", str(sdk15_file), "-r", "12345", "-b", "128"])
    assert_one_line_error(
        result, "the model refused 12345 Hz / 128 samples", "not supported", before_work=False
    )


# --- the contract ------------------------------------------------------------------------------


def test_version_names_package_torch_and_python(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, show(result)
    words = result.stdout.split()
    assert words[:1] == ["neutone-bench"] and "torch" in result.stdout and "python" in words[-2]


def test_color_flag_wins_over_no_color_and_no_color_turns_it_off(runner: CliRunner) -> None:
    args = ["latency", "-r", "48000", "-b", "128"]
    coloured = invoke(runner, ["--color", *args])  # NO_COLOR=1 is set in TERMINAL
    assert coloured.exit_code == 0, show(coloured)
    assert "\x1b[" in coloured.stdout
    plain = runner.invoke(app, ["--no-color", *args], env={"COLUMNS": "80", "NO_COLOR": ""})
    assert plain.exit_code == 0, show(plain)
    assert "\x1b[" not in plain.stdout


def test_a_full_disk_is_one_line_and_leaves_the_old_json(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "latency.json"
    out.write_text("the previous run\n")
    real_write_text = Path.write_text

    def full_disk(self: Path, *args, **kwargs):
        if self.name.startswith(".latency.json."):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real_write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_disk)
    result = invoke(runner, ["latency", "-r", "48000", "-b", "128", "--json", str(out)])
    assert result.exit_code == 1, show(result)
    assert result.stderr.strip().splitlines()[-1].startswith("Error: No space left on device")
    assert "Traceback" not in result.stderr
    assert out.read_text() == "the previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latency.json"]


@pytest.mark.parametrize("command", ["speed", "latency", "profile", "response"])
def test_a_missing_model_file_is_refused_before_torch_loads(command: str, tmp_path: Path) -> None:
    """A MODEL file that is not there is the loader's one line, answered without importing torch."""
    missing = tmp_path / "nothing-here.nm"
    code = (
        "import sys\n"
        "from neutone_bench.cli import app\n"
        "try:\n"
        f"    app([{command!r}, {str(missing)!r}], prog_name='neutone-bench')\n"
        "except SystemExit as exit:\n"
        "    print('EXIT', exit.code)\n"
        "print('TORCH', 'torch' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.stdout.split()[-3:] == ["2", "TORCH", "False"], (result.stdout, result.stderr)
    assert result.stderr.strip() == f"Error: MODEL: {missing}: no such file", result.stderr


def test_help_does_not_load_torch() -> None:
    """`--help` answers without importing torch (which alone takes seconds to load)."""
    code = (
        "import sys\n"
        "from neutone_bench.cli import app\n"
        "try:\n"
        "    app(['speed', '--help'], prog_name='neutone-bench')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('TORCH', 'torch' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    last = result.stdout.split()
    assert "--duration" in result.stdout
    assert last[-1] == "False", "torch was imported for --help"
