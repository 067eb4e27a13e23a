"""The examples in the docstrings of the adapter's modules run and print what they say."""

import doctest

import pytest

from neutone_core import delay_plan, fifo, metadata, parameters


@pytest.mark.parametrize("module", [delay_plan, fifo, metadata, parameters])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
