"""Every realtime example exports to a `.nm` file that passes every check of the validation suite.

The exports come from the shared cache (`example_exports`): exported once per content of the
example and of the packages it depends on, and reused by compat/. The NAM examples are exported
and checked in test_nam.py (they need the `nam` extra), the non-realtime ones in
test_gen_examples.py.
"""

import pytest

from neutone_examples.registry import EXAMPLES

NAM_EXAMPLES = ("nam", "nam_lstm")


@pytest.mark.slow
@pytest.mark.parametrize("name", [name for name in EXAMPLES if name not in NAM_EXAMPLES])
def test_example_exports_and_passes_every_check(name: str, example_exports) -> None:
    # One 1 s demo keeps the renders short (tools/export_cache.py); the suite still validates at
    # 44.1 and 48 kHz.
    export = example_exports.get(name, EXAMPLES[name])
    report = export.report
    failures = "; ".join(f"{check.name}: {check.message}" for check in report.failures)
    assert report.passed, f"{name} failed: {failures}"
    assert export.path.is_file()
    # The defaults of every example keep the output correlated with the input, so the suite can
    # measure the delay and compare it with the reported one instead of skipping the check.
    assert not report["delay"].skipped, report["delay"].message
