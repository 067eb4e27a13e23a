"""`neutone_export.sdk15.port`: a Neutone SDK script's imports rewritten by the table, only them."""

import os
from pathlib import Path

import pytest

from neutone_export.sdk15.port import PORT_MAP, PortError, port_diff, port_file, port_source

SCRIPT = '''"""A model written for the Neutone SDK."""
import torch as tr  # torch stays
from neutone_sdk import WaveformToWaveformBase, NeutoneParameter  # knobs
from neutone_sdk.audio import (
    AudioSample,
    AudioSamplePair,
)
from neutone_sdk.filters import FIRFilter, FilterType
from neutone_sdk.utils import save_neutone_model


def neutone_sdk_like_name(x):
    return x  # neutone_sdk in a comment stays
'''


def test_the_table_maps_every_reference_module() -> None:
    assert PORT_MAP["neutone_sdk"] == "neutone_core"
    for module in ("utils", "audio"):
        assert PORT_MAP[f"neutone_sdk.{module}"] == "neutone_export"
    for module in ("filters", "realtime_stft", "tcn_1d", "gcn_1d", "conv", "cached_mel_spec"):
        assert PORT_MAP[f"neutone_sdk.{module}"] == "neutone_filters"


def test_only_the_import_lines_change() -> None:
    ported = port_source(SCRIPT)
    before, after = SCRIPT.splitlines(), ported.splitlines()
    assert len(before) == len(after)
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [
        (
            "from neutone_sdk import WaveformToWaveformBase, NeutoneParameter  # knobs",
            "from neutone_core import WaveformToWaveformBase, NeutoneParameter  # knobs",
        ),
        ("from neutone_sdk.audio import (", "from neutone_export import ("),
        (
            "from neutone_sdk.filters import FIRFilter, FilterType",
            "from neutone_filters import FIRFilter, FilterType",
        ),
        (
            "from neutone_sdk.utils import save_neutone_model",
            "from neutone_export import save_neutone_model",
        ),
    ]


def test_porting_twice_changes_nothing_more() -> None:
    once = port_source(SCRIPT)
    assert port_source(once) == once
    assert port_diff(once) == ""


@pytest.mark.parametrize(
    "line, expected",
    [
        ("import neutone_sdk.utils as nu\n", "import neutone_export as nu\n"),
        (
            "import neutone_sdk.utils\nneutone_sdk.utils.save_neutone_model(w, 'd')\n",
            "import neutone_export\nneutone_export.save_neutone_model(w, 'd')\n",
        ),
        (
            "import neutone_sdk\nclass W(neutone_sdk.WaveformToWaveformBase): pass\n",
            "import neutone_core\nclass W(neutone_core.WaveformToWaveformBase): pass\n",
        ),
        (
            "from neutone_sdk import utils, ContinuousNeutoneParameter\n",
            "from neutone_core import ContinuousNeutoneParameter\nimport neutone_export as utils\n",
        ),
        ("from neutone_sdk.tcn_1d import FiLM\n", "from neutone_filters import FiLM\n"),
        (
            "from neutone_sdk.parameter import ContinuousNeutoneParameter\n",
            "from neutone_core import ContinuousNeutoneParameter\n",
        ),
    ],
)
def test_every_import_form(line: str, expected: str) -> None:
    assert port_source(line) == expected


def test_a_module_with_no_counterpart_is_named_with_its_line() -> None:
    with pytest.raises(PortError, match=r"line 2: neutone_sdk.sqw has no counterpart"):
        port_source("import torch\nfrom neutone_sdk.sqw import SampleQueueWrapper\n")


def test_not_python_is_a_port_error() -> None:
    with pytest.raises(PortError, match="not valid Python"):
        port_source("from neutone_sdk import (\n")


def test_diff_is_a_unified_diff_of_the_imports() -> None:
    diff = port_diff(SCRIPT, name="model.py")
    assert diff.startswith("--- a/model.py\n+++ b/model.py\n")
    assert "-from neutone_sdk.utils import save_neutone_model\n" in diff
    assert "+from neutone_export import save_neutone_model\n" in diff


def test_port_file_shows_the_diff_and_writes_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    path.write_text(SCRIPT, encoding="utf-8")
    os.chmod(path, 0o640)
    diff = port_file(path)
    assert diff == port_diff(SCRIPT, name="model.py")
    assert path.read_text(encoding="utf-8") == SCRIPT
    assert port_file(path, write=True) == diff
    assert path.read_text(encoding="utf-8") == port_source(SCRIPT)
    assert path.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.py"]  # no temporary left
    assert port_file(path, write=True) == ""


def test_port_file_on_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(PortError, match="does not exist"):
        port_file(tmp_path / "missing.py")
