"""The benchmark scripts the package READMEs quote still run and print every row they promise.

Timing is not checked (that is what the scripts are for); the smallest workloads keep this quick.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"^[+-]?\d+\.\d$")


def run_script(relative: str, *args: str) -> str:
    env = dict(os.environ, PYTHONWARNINGS="ignore::FutureWarning")
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / relative), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,  # the assertion below shows stderr
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def table_rows(output: str) -> list[list[str]]:
    """Cells of every markdown table row that is not a header or a rule."""
    rows = []
    for line in output.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_adapter_benchmark_prints_every_path_and_knob_case() -> None:
    rows = table_rows(
        run_script(
            "packages/neutone-core/benchmarks/bench_adapter.py", "--rounds", "1", "--calls", "1"
        )
    )
    header, body = rows[0], rows[1:]
    assert header[:3] == ["path", "knobs", "params"] and "vs 0 knobs" in header
    cases = [(r[0], r[1], r[2]) for r in body]
    per_path = [
        ("0", "None"),
        ("0", "(4, n)"),
        ("1", "None"),
        ("1", "(4, n)"),
        ("4", "None"),
        ("4", "(4, n)"),
        ("4 mixed", "(4, n)"),
    ]
    assert cases == [
        (p, k, params) for p in ("matched", "queued", "resampled") for k, params in per_path
    ]
    for row in body:
        assert len(row) == len(header)
        assert all(NUMBER.match(cell) for cell in row[3:]), row


def test_resampler_benchmark_prints_each_preset_beside_libsamplerate() -> None:
    output = run_script("packages/neutone-core/benchmarks/bench_resample.py", "--calls", "3")
    for name in ("`fast`", "`high`", "`best`", "sinc_fastest", "sinc_medium", "sinc_best", "soxr"):
        assert name in output, name


def test_filter_benchmark_prints_each_processor() -> None:
    rows = table_rows(
        run_script("packages/neutone-filters/benchmarks/bench_filters.py", "--reps", "2")
    )
    names = " ".join(r[0] for r in rows[1:])
    for name in ("SVF", "FIR", "STFT", "CachedConv1d"):
        assert name in names, name
