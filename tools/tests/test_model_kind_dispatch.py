"""The model kind is decided in one place: `neutone_export.kinds`.

Anything else that branched on realtime versus non-realtime ("Gen") models, by
`isinstance(..., NonRealtime...)` or by reading `.realtime` / `getattr(..., "realtime")`, would be
a second dispatch point that the next kind (a new file format) has to find and copy. This test
greps the scanned source roots for such branches outside the dispatch package, and proves the
detector itself on planted snippets.
"""

import re
from pathlib import Path
from typing import List

import pytest

REPO = Path(__file__).resolve().parents[2]
SCANNED_ROOTS: List[Path] = [
    REPO / "packages/neutone-export/src/neutone_export",
    REPO / "packages/neutone-bench/src/neutone_bench",
]
"""Source roots held to the rule: export, and bench, which asks the kinds what to time."""
DISPATCH_FOLDERS = ("kinds",)
"""Folders (below a scanned root) where branching on the kind is the point."""

KIND_BRANCHES = [
    re.compile(r"isinstance\(.*\bNonRealtime"),
    re.compile(r"\.realtime\b(?![_.`])"),
    re.compile(r"getattr\([^,()]+,\s*[\"']realtime[\"']"),
]

IMPORT = re.compile(r"\s*(from|import)\s")
"""An import statement: it names modules (`suite.realtime`), it cannot branch on a model."""


def kind_branches(source: str) -> List[str]:
    """The lines of `source` that branch on the model kind, as `line number: text`."""
    found = []
    for number, line in enumerate(source.splitlines(), start=1):
        code = line.split("#", 1)[0]
        if IMPORT.match(code):
            continue
        if any(pattern.search(code) for pattern in KIND_BRANCHES):
            found.append(f"{number}: {line.strip()}")
    return found


def outside_dispatch(root: Path) -> List[Path]:
    """The Python files under `root` that are not in a dispatch folder."""
    return [
        path
        for path in sorted(root.rglob("*.py"))
        if path.relative_to(root).parts[0] not in DISPATCH_FOLDERS
    ]


@pytest.mark.parametrize(
    "snippet",
    [
        "if isinstance(model, NonRealtimeBase):",
        "elif isinstance(model, (WaveformToWaveformBase, NonRealtimeBase)):",
        "if module.realtime:",
        "if getattr(module, 'realtime', True) is False:",
        'realtime = getattr(module, "realtime", None)',
    ],
)
def test_the_detector_finds_a_planted_branch(snippet: str, tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text(f"def f(model, module):\n    {snippet}\n        pass\n")
    assert kind_branches(planted.read_text()) == [f"2: {snippet}"]
    assert planted in outside_dispatch(tmp_path)


@pytest.mark.parametrize(
    "snippet",
    [
        "from neutone_export.suite.non_realtime import NON_REALTIME_CHECKS",
        'Check("realtime", check_realtime)',
        "validate_metadata(metadata, realtime=False)",
        "# isinstance(model, NonRealtimeBase) in a comment",
        "self.realtime_factor = 1.0",
        "from neutone_export.suite.realtime import REALTIME_CHECKS",
        "import neutone_export.suite.realtime",
        "checks = neutone_export.suite.realtime.REALTIME_CHECKS",
        "the catalogue (`suite.realtime`)",
    ],
)
def test_the_detector_leaves_names_and_strings_alone(snippet: str) -> None:
    assert kind_branches(snippet) == []


def test_a_planted_branch_in_a_dispatch_folder_is_allowed(tmp_path: Path) -> None:
    (tmp_path / "kinds").mkdir()
    (tmp_path / "kinds" / "gen.py").write_text("x = isinstance(m, NonRealtimeBase)\n")
    assert outside_dispatch(tmp_path) == []


@pytest.mark.parametrize("root", SCANNED_ROOTS, ids=lambda root: root.parent.parent.name)
def test_no_kind_branch_outside_the_dispatch_point(root: Path) -> None:
    files = outside_dispatch(root)
    assert files, f"nothing to scan under {root}"
    found = [
        f"{path.relative_to(REPO)}:{line}"
        for path in files
        for line in kind_branches(path.read_text(encoding="utf-8"))
    ]
    assert not found, "ask neutone_export.kinds instead of branching on the kind:\n" + "\n".join(
        found
    )
