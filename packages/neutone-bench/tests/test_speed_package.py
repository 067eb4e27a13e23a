"""`speed --host native` times the pt2 package beside a `.nm` too: where it finds the package and
how the two formats are tabled side by side (the timing itself is the C++ runtime's, tested in
neutone-export's test_pt2_native.py)."""

from pathlib import Path

from neutone_bench.speed import SpeedResult, format_cells, package_beside
from neutone_bench.stats import summarize_timings


def _result(format_: str, rate: int, median_s: float, allocations: int) -> SpeedResult:
    times = [median_s] * 5
    return SpeedResult(
        sample_rate=rate,
        buffer_size=128,
        warmup_times=[],
        times=times,
        floor=[0.0] * 5,
        summary=summarize_timings(times, 128 / rate, [0.0] * 5),
        host="native",
        allocations=[allocations] * 5,
        allocated_bytes=[0] * 5,
        format=format_,
    )


def test_the_package_is_the_folder_beside_the_nm(tmp_path: Path) -> None:
    nm = tmp_path / "model.nm"
    nm.write_bytes(b"")
    assert package_beside(nm) is None
    (tmp_path / "model.pt2pkg").mkdir()
    assert package_beside(nm) is None  # a folder without a manifest is not a package
    (tmp_path / "model.pt2pkg" / "manifest.json").write_text("{}")
    assert package_beside(nm) == tmp_path / "model.pt2pkg"


def test_each_setting_shows_the_nm_then_its_package() -> None:
    nm = [_result("nm", 44100, 2e-5, 0), _result("nm", 48000, 3e-5, 0)]
    pt2 = [_result("pt2", 48000, 1e-5, 1)]
    rows = format_cells(nm, pt2)
    assert [row[:4] for row in rows] == [
        ["44100", "128", ".nm", "0.020"],
        ["48000", "128", ".nm", "0.030"],
        ["48000", "128", "pt2", "0.010"],
    ]
    assert [row[6:] for row in rows] == [["0", "0"], ["0", "0"], ["1", "1"]]
    assert nm[0].to_dict()["format"] == "nm" and pt2[0].to_dict()["format"] == "pt2"
