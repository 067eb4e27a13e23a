"""The examples in the docstrings of the adapter's modules and in the README run and print what
they say."""

import doctest
from pathlib import Path

import pytest

from neutone_core import delay_plan, fifo, metadata, parameters, stateful


@pytest.mark.parametrize("module", [delay_plan, fifo, metadata, parameters, stateful])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_readme_examples():
    readme = Path(__file__).resolve().parents[1] / "README.md"
    result = doctest.testfile(str(readme), module_relative=False)
    assert result.attempted > 0 and result.failed == 0
