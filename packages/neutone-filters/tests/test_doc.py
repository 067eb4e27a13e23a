"""The examples in the module docstrings run and print what they claim."""

import doctest

import pytest

from neutone_filters import biquad, cached_conv, fir, sos_filter, state_variable, stft


@pytest.mark.parametrize("module", [biquad, cached_conv, fir, sos_filter, state_variable, stft])
def test_docstring_examples(module) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{module.__name__} has no example"
    assert result.failed == 0
