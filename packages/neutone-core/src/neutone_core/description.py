"""`ModelDescription`: what every neutone model says about itself, realtime or not.

`WaveformToWaveformBase` and `NonRealtimeBase` both subclass it: the network kept as
``self.model`` and the metadata getters the plugin shows (name, authors, version, descriptions,
links, tags, citation), with the Neutone SDK's names and defaults; and the reset of every
`StatefulModule` inside, which the adapters call before the model's own ``reset_model()``.
"""

from typing import Dict, List

from torch import nn


class ModelDescription(nn.Module):
    """The model and its metadata getters; override the four without a default.

    Args:
        model: the network; kept as ``self.model``.
        use_debug_mode: accepted for Neutone SDK compatibility; the adapters check shapes either
            way.
    """

    def __init__(self, model: nn.Module, use_debug_mode: bool = True) -> None:
        super().__init__()
        self.model = model
        self.use_debug_mode = use_debug_mode

    def reset_stateful_modules(self) -> None:
        """Call ``reset()`` of every `neutone_core.stateful.StatefulModule` in this model.

        TorchScript unrolls the loop and decides each ``hasattr`` when it compiles, so the scripted
        method calls exactly the stateful modules' ``reset()`` (see `neutone_core.stateful`).
        """
        for m in self.modules():
            if hasattr(m, "is_stateful_module"):  # StatefulModule's marker
                # TorchScript cannot narrow with isinstance on module classes: `hasattr` is the
                # test it decides when compiling, which mypy does not use to narrow `m`.
                m.reset()  # type: ignore[operator]

    # -- metadata -------------------------------------------------------------------------------
    def get_model_name(self) -> str:
        """Display name, at most 30 characters."""
        raise NotImplementedError("override get_model_name() -> str")

    def get_model_authors(self) -> List[str]:
        """Up to 5 unique author names."""
        raise NotImplementedError("override get_model_authors() -> List[str]")

    def get_model_version(self) -> str:
        """Version string of the model, e.g. ``"1.0.0"``."""
        raise NotImplementedError("override get_model_version() -> str")

    def get_model_short_description(self) -> str:
        """One line, at most 150 characters."""
        raise NotImplementedError("override get_model_short_description() -> str")

    def get_model_long_description(self) -> str:
        """At most 500 characters."""
        return ""

    def get_technical_description(self) -> str:
        """At most 500 characters."""
        return ""

    def get_technical_links(self) -> Dict[str, str]:
        """Up to 3 links, name -> URL."""
        return {}

    def get_tags(self) -> List[str]:
        """Up to 7 unique tags of at most 15 characters."""
        return []

    def get_citation(self) -> str:
        """At most 300 characters."""
        return ""

    def is_experimental(self) -> bool:
        """Whether the plugin flags the model as experimental."""
        return False
