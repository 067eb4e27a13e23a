"""The reference Neutone SDK 1.5.2's loader keeps state between loads in one process.

Its `validate_metadata(metadata, realtime=True)` rewrites the module-level schema's `required`
list and never restores it, so after one realtime file a non-realtime file is refused for lacking
realtime keys. This is why the compat tests load each file in a process of its own
(docs/compatibility.md); if a later reference stops doing it, this test says so.
"""

from pathlib import Path
from typing import Any, Callable, Dict, List

Judge = Callable[[List[Path]], List[Dict[str, Any]]]


def test_a_realtime_load_makes_the_reference_refuse_a_later_non_realtime_file(
    ours: Dict[str, Path], judge_with_the_reference: Judge
) -> None:
    realtime, non_realtime = ours["clipper"], ours["sidechain_ducker"]
    first, second = judge_with_the_reference([realtime, non_realtime])  # one process
    assert first["realtime"] and first["loaded"], first["refusal"]
    assert not second["realtime"] and not second["loaded"]
    assert second["refusal"] == "'is_input_mono' is a required property"


def test_the_same_non_realtime_file_alone_loads_in_the_reference(
    ours: Dict[str, Path], judge_with_the_reference: Judge
) -> None:
    (alone,) = judge_with_the_reference([ours["sidechain_ducker"]])  # a fresh process
    assert not alone["realtime"] and alone["loaded"], alone["refusal"]
