"""Port a script written for the Neutone SDK 1.5 by rewriting its imports, and nothing else.

The rewrite works on the syntax tree (LibCST), so comments, formatting and every line that is not an
import of `neutone_sdk` stay byte-identical. The mapping (also the table of ``docs/porting.md``):

==============================================================  ===================
Neutone SDK module                                              ours
==============================================================  ===================
``neutone_sdk`` (and ``.parameter``, ``.wavform_to_wavform``)   ``neutone_core``
``neutone_sdk.utils``, ``neutone_sdk.audio``                    ``neutone_export``
``neutone_sdk.filters``, ``.realtime_stft``, ``.tcn_1d``,       ``neutone_filters``
``.gcn_1d``, ``.conv``, ``.cached_mel_spec``
==============================================================  ===================

``import neutone_sdk.utils`` (a dotted import without ``as``) also rewrites the dotted uses
``neutone_sdk.utils.save_neutone_model`` in the code: the name the script uses is the import.

`port_source` rewrites text, `port_diff` shows the change as a unified diff and `port_file` is what
``neutone-export port FILE.py [--write]`` runs.
"""

import difflib
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from neutone_export.errors import one_line
from neutone_export.files.atomic import atomic_write_with

REFERENCE_PACKAGE = "neutone_sdk"

PORT_MAP: Dict[str, str] = {
    "neutone_sdk": "neutone_core",
    "neutone_sdk.parameter": "neutone_core",
    "neutone_sdk.wavform_to_wavform": "neutone_core",
    "neutone_sdk.utils": "neutone_export",
    "neutone_sdk.audio": "neutone_export",
    "neutone_sdk.filters": "neutone_filters",
    "neutone_sdk.realtime_stft": "neutone_filters",
    "neutone_sdk.tcn_1d": "neutone_filters",
    "neutone_sdk.gcn_1d": "neutone_filters",
    "neutone_sdk.conv": "neutone_filters",
    "neutone_sdk.cached_mel_spec": "neutone_filters",
}
"""Neutone SDK module -> our package that holds its public names."""


class PortError(ValueError):
    """The script cannot be ported by its imports alone; the message names the line and why."""


def _dotted(node: cst.BaseExpression) -> Optional[str]:
    """``a.b.c`` for a chain of names, None for anything else (a call, a subscript)."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = _dotted(node.value)
        return None if head is None else f"{head}.{node.attr.value}"
    return None


def _module(node: cst.BaseExpression) -> str:
    dotted = _dotted(node)
    assert dotted is not None  # the parser only accepts dotted names in imports
    return dotted


def _name_node(dotted: str) -> Union[cst.Attribute, cst.Name]:
    parts = dotted.split(".")
    node: Union[cst.Attribute, cst.Name] = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def _target(module: str, line: int) -> str:
    if module in PORT_MAP:
        return PORT_MAP[module]
    known = ", ".join(sorted(PORT_MAP))
    raise PortError(
        f"line {line}: {module} has no counterpart in neutone (ported modules: {known}); "
        f"rewrite that import by hand or drop it"
    )


class _ImportRewriter(cst.CSTTransformer):
    """Rewrites `neutone_sdk` imports; records dotted names to rewrite where they are used."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self) -> None:
        super().__init__()
        self.renamed_uses: Dict[str, str] = {}

    def _line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def leave_ImportFrom(  # noqa: N802 (LibCST's name)
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> Union[cst.ImportFrom, cst.Import, cst.FlattenSentinel[cst.BaseSmallStatement]]:
        if updated_node.relative or updated_node.module is None:
            return updated_node
        module = _module(updated_node.module)
        if module.split(".")[0] != REFERENCE_PACKAGE:
            return updated_node
        line = self._line(original_node)
        if module == REFERENCE_PACKAGE and not isinstance(updated_node.names, cst.ImportStar):
            submodules = [
                alias
                for alias in updated_node.names
                if f"{REFERENCE_PACKAGE}.{_module(alias.name)}" in PORT_MAP
            ]
            if submodules:
                return self._split_submodule_imports(updated_node, submodules, line)
        return updated_node.with_changes(module=_name_node(_target(module, line)))

    def _split_submodule_imports(
        self, node: cst.ImportFrom, submodules: Sequence[cst.ImportAlias], line: int
    ) -> cst.FlattenSentinel[cst.BaseSmallStatement]:
        """``from neutone_sdk import utils`` -> ``import neutone_export as utils``."""
        statements: List[cst.BaseSmallStatement] = []
        rest = [alias for alias in node.names if alias not in submodules]  # type: ignore[union-attr]
        if rest:
            rest[-1] = rest[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            statements.append(
                node.with_changes(module=_name_node(PORT_MAP[REFERENCE_PACKAGE]), names=rest)
            )
        for alias in submodules:
            name = _module(alias.name)
            local = alias.asname.name.value if alias.asname else name  # type: ignore[union-attr]
            target = _target(f"{REFERENCE_PACKAGE}.{name}", line)
            statements.append(
                cst.Import(
                    names=[
                        cst.ImportAlias(
                            name=_name_node(target), asname=cst.AsName(name=cst.Name(local))
                        )
                    ]
                )
            )
        return cst.FlattenSentinel(statements)

    def leave_SimpleStatementLine(  # noqa: N802 (LibCST's name)
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> Union[cst.SimpleStatementLine, cst.FlattenSentinel[cst.SimpleStatementLine]]:
        """One statement a line where an import was split in several (see above)."""
        if len(updated_node.body) == len(original_node.body):
            return updated_node
        lines = [
            cst.SimpleStatementLine(
                body=[statement.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)]
            )
            for statement in updated_node.body
        ]
        lines[0] = lines[0].with_changes(leading_lines=updated_node.leading_lines)
        lines[-1] = lines[-1].with_changes(trailing_whitespace=updated_node.trailing_whitespace)
        return cst.FlattenSentinel(lines)

    def leave_Import(  # noqa: N802 (LibCST's name)
        self, original_node: cst.Import, updated_node: cst.Import
    ) -> cst.Import:
        names = []
        for alias in updated_node.names:
            module = _module(alias.name)
            if module.split(".")[0] != REFERENCE_PACKAGE:
                names.append(alias)
                continue
            target = _target(module, self._line(original_node))
            if alias.asname is None and module != target:
                # `import neutone_sdk.utils` binds `neutone_sdk`; its uses are dotted paths.
                self.renamed_uses[module] = target
            names.append(alias.with_changes(name=_name_node(target)))
        return updated_node.with_changes(names=names)


class _UseRewriter(cst.CSTTransformer):
    """Rewrites dotted uses (``neutone_sdk.utils.x``) of modules imported without ``as``."""

    def __init__(self, renamed: Dict[str, str]) -> None:
        super().__init__()
        # Longest first, so `neutone_sdk.utils` wins over `neutone_sdk`.
        self.renamed = sorted(renamed.items(), key=lambda item: -len(item[0]))

    def leave_Attribute(  # noqa: N802 (LibCST's name)
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> Union[cst.Attribute, cst.Name]:
        dotted = _dotted(original_node)
        head = original_node.value
        for source, target in self.renamed:
            if dotted == source:
                return _name_node(target)
            if isinstance(head, cst.Name) and head.value == source:  # `import neutone_sdk`
                return updated_node.with_changes(value=_name_node(target))
        return updated_node

    def leave_Import(  # noqa: N802 (LibCST's name)
        self, original_node: cst.Import, updated_node: cst.Import
    ) -> cst.Import:
        return original_node  # imports were rewritten already

    def leave_ImportFrom(  # noqa: N802 (LibCST's name)
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom:
        return original_node


def port_source(text: str) -> str:
    """Return `text` with its Neutone SDK imports rewritten to neutone's packages (`PORT_MAP`).

    Raises:
        PortError: the text is not Python, or it imports an SDK module that has no counterpart.

    Example:
        >>> port_source("from neutone_sdk.utils import save_neutone_model\\n")
        'from neutone_export import save_neutone_model\\n'
    """
    try:
        tree = cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        raise PortError(
            f"port_source: the text is not valid Python ({one_line(error)}); "
            "fix the syntax error first"
        ) from None
    wrapper = MetadataWrapper(tree)
    imports = _ImportRewriter()
    ported = wrapper.visit(imports)
    if imports.renamed_uses:
        ported = ported.visit(_UseRewriter(imports.renamed_uses))
    return ported.code


def port_diff(text: str, name: str = "script.py") -> str:
    """Unified diff from `text` to `port_source(text)`, labelled with `name`; empty if unchanged."""
    ported = port_source(text)
    lines = difflib.unified_diff(
        text.splitlines(keepends=True),
        ported.splitlines(keepends=True),
        fromfile=f"a/{name}",
        tofile=f"b/{name}",
    )
    return "".join(lines)


_BOM = b"\xef\xbb\xbf"


def _decode_script(data: bytes) -> Tuple[str, bool, bool]:
    """The script's text with `\\n` line ends, and whether it had a UTF-8 BOM and only CRLF ends
    (both restored on write, so `--write` changes the ported lines and nothing else)."""
    bom = data.startswith(_BOM)
    text = data[len(_BOM) :].decode("utf-8") if bom else data.decode("utf-8")
    crlf = "\r\n" in text and text.count("\r\n") == text.count("\n")
    return (text.replace("\r\n", "\n") if crlf else text), bom, crlf


def _encode_script(text: str, bom: bool, crlf: bool) -> bytes:
    data = (text.replace("\n", "\r\n") if crlf else text).encode("utf-8")
    return _BOM + data if bom else data


def port_file(path: Union[str, Path], write: bool = False) -> str:
    """Port the script at `path`: return the unified diff, and rewrite the file if `write`.

    The file is replaced atomically (written to a temporary name beside it, then renamed), so an
    interrupted write leaves the original; a symlink is written through to its target (the link
    kept), and the file keeps its mode, its BOM and its CRLF line ends. Nothing is written when
    nothing changes.

    Raises:
        PortError: the file is missing, not UTF-8 text, not Python, or imports an SDK module with no
            counterpart.
    """
    path = Path(path)
    if path.exists() and not path.is_file():
        raise PortError(f"port: {path} is not a regular file; give the path of a Python script")
    try:
        text, bom, crlf = _decode_script(path.read_bytes())
    except FileNotFoundError:
        raise PortError(f"port: {path} does not exist; give the path of a Python script") from None
    except (OSError, UnicodeDecodeError) as error:
        raise PortError(f"port: {path} is not a UTF-8 Python script ({one_line(error)})") from None
    diff = port_diff(text, name=path.name)
    if write and diff:
        data = _encode_script(port_source(text), bom, crlf)
        atomic_write_with(path, lambda temporary: temporary.write_bytes(data))
    return diff
