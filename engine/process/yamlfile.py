"""Reading YAML strictly: the one module that turns bytes into located Python data.

Rules: UTF-8 only, no NUL bytes, a size limit; duplicate keys are errors naming both lines;
only ``true``/``false`` are booleans (``on``/``yes`` stay strings); timestamps stay strings;
aliases may expand to at most ``MAX_NODES`` nodes (measured before anything is built, so a
"billion laughs" file fails in milliseconds) and nesting stops at ``MAX_DEPTH`` levels.
Mappings and lists come back as :class:`Mapping` / :class:`Sequence`, which remember
where each key and item stood, so that later checks can point at ``path:line:column``.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine.core.errors import Problem, SpecError

MAX_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 64

Location = tuple[int, int]


class Mapping(dict[str, Any]):
    """A YAML mapping that remembers its own position and each key's and value's."""

    def __init__(self, at: Location) -> None:
        super().__init__()
        self.at = at
        self.key_at: dict[str, Location] = {}
        self.value_at: dict[str, Location] = {}


class Sequence(list[Any]):
    """A YAML list that remembers its own position and each item's."""

    def __init__(self, at: Location) -> None:
        super().__init__()
        self.at = at
        self.item_at: list[Location] = []


class _Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core-schema scalars: no yes/no/on/off booleans, no implicit timestamps.

    It also counts how deep the composer is: both composers call ``descend_resolver`` on
    entering a node, so nesting deep enough to exhaust a stack is refused there.
    """

    depth = 0
    byte_offsets = False
    """Whether reader errors give positions in UTF-8 bytes (libyaml) or in characters."""

    def descend_resolver(self, current_node: Node | None, current_index: Any) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[attr-defined]
            raise yaml.composer.ComposerError(
                None, None, f"nested deeper than {MAX_DEPTH} levels", mark)

    def ascend_resolver(self) -> None:
        self.depth -= 1


_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"))
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789"))
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?|\.inf|\.Inf|\.INF)$"),
    list("-+0123456789."))
_Resolver.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^<<$"), ["<"])
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])


class _PythonLoader(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser,
                    yaml.composer.Composer, _Resolver):
    """PyYAML's pure-Python reader, scanner, parser and composer."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Resolver.__init__(self)


_Loader: type[Any] = _PythonLoader
if yaml.__with_libyaml__:
    class _LibyamlLoader(yaml._yaml.CParser, _Resolver):
        """libyaml's parser and composer: the same nodes, ten times faster."""

        byte_offsets = True

        def __init__(self, stream: str) -> None:
            yaml._yaml.CParser.__init__(self, stream)
            _Resolver.__init__(self)

    _Loader = _LibyamlLoader


_COLLECTION_TAGS = ("tag:yaml.org,2002:seq", "tag:yaml.org,2002:map")


def _at(node: Node) -> Location:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


class _Measure:
    """Counts the nodes a document expands to, each alias counted every time it is used.

    Shared nodes are measured once (memoised), so even a "billion laughs" file is measured
    in time proportional to its text; a node that contains itself is a recursive alias.
    """

    def __init__(self) -> None:
        self.sizes: dict[int, int] = {}
        self.active: set[int] = set()

    def size(self, node: Node) -> int:
        key = id(node)
        if key in self.sizes:
            return self.sizes[key]
        if key in self.active:
            raise _Recursive(node)
        self.active.add(key)
        total = 1 + sum(self.size(child) for child in _children(node))
        self.active.discard(key)
        self.sizes[key] = total
        return total

    def culprit(self, root: Node) -> Node:
        """The top-level value with which the document goes over the budget."""
        total = 1
        for child in _children(root):
            total += self.size(child)
            if total > MAX_NODES:
                return child
        return root


class _Builder:
    """Turns composed nodes into located data (after :class:`_Measure` bounded their size)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def fail(self, node: Node, message: str) -> None:
        line, column = _at(node)
        self.problems.append(Problem(self.path, line, column, message))

    def build(self, node: Node) -> Any:
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if node.tag not in _COLLECTION_TAGS:
            self.fail(node, f"tag {node.tag} is not allowed")
        if isinstance(node, SequenceNode):
            return self.sequence(node)
        return self.mapping(node)  # type: ignore[arg-type]

    def scalar(self, node: ScalarNode) -> Any:
        tag, text = node.tag, node.value
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            return text.lower() == "true"
        if tag == "tag:yaml.org,2002:int":
            return int(text.replace("_", ""))
        if tag == "tag:yaml.org,2002:float":
            return float(text.replace("_", "").lower().replace(".inf", "inf"))
        if tag not in ("tag:yaml.org,2002:str", "!"):
            self.fail(node, f"tag {tag} is not allowed")
        return text

    def sequence(self, node: SequenceNode) -> Sequence:
        result = Sequence(_at(node))
        for item in node.value:
            result.append(self.build(item))
            result.item_at.append(_at(item))
        return result

    def mapping(self, node: MappingNode) -> Mapping:
        result = Mapping(_at(node))
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.fail(key_node, "merge keys (<<) are not allowed")
                continue
            key = self.build(key_node)
            if not isinstance(key, str | int | bool) or isinstance(key, bool):
                self.fail(key_node, "a key must be a plain name")
                continue
            key = str(key)
            if key in result:
                first = result.key_at[key][0]
                self.fail(key_node, f"duplicate key {key!r} (first defined on line {first})")
                continue
            result[key] = self.build(value_node)
            result.key_at[key] = _at(key_node)
            result.value_at[key] = _at(value_node)
        return result


class _Recursive(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


def _check_size(root: Node, name: str) -> None:
    """Refuse recursive aliases and documents that expand past ``MAX_NODES``."""
    measure = _Measure()
    try:
        if measure.size(root) <= MAX_NODES:
            return
        where, message = measure.culprit(root), f"document expands to more than {MAX_NODES} "\
                                                  "nodes (alias bomb?)"
    except _Recursive as exc:
        where, message = exc.node, "recursive alias"
    line, column = _at(where)
    raise SpecError([Problem(name, line, column, message)])


def read_text(path: str | Path, *, limit: int = MAX_BYTES) -> str:
    """Read a file as UTF-8 text, refusing large, binary and non-UTF-8 files."""
    name = str(path)
    try:  # non-blocking, so that a FIFO is refused instead of waiting for a writer forever
        with open(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise SpecError([Problem(name, 1, 1, "not a regular file")])
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise SpecError([Problem(name, 1, 1, f"cannot read file: {exc.strerror}")]) from None
    return decode(raw, name, limit=limit)


def decode(raw: bytes, name: str, *, limit: int = MAX_BYTES) -> str:
    """Decode bytes read from ``name`` as UTF-8 text with the loader's rules."""
    if len(raw) > limit:
        raise SpecError([Problem(name, 1, 1, f"file is larger than {limit} bytes")])
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise SpecError([Problem(name, line, 1, "binary file (contains a NUL byte)")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise SpecError([Problem(name, line, column, "not valid UTF-8 text")]) from None


_SEPARATORS = re.compile("[\x85\u2028\u2029]")
"""Characters YAML 1.1 parsers count as line breaks and editors do not: they would put every
location after them on the wrong line."""


def parse(text: str, name: str) -> Any:
    """Parse one YAML document into located data, or raise SpecError."""
    separator = _SEPARATORS.search(text)
    if separator:
        line, column = _position(text, separator.start())
        message = f"line separator U+{ord(separator.group()):04X} is not allowed in YAML"
        raise SpecError([Problem(name, line, column, message)])
    try:
        node = _Loader(text).get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise SpecError([Problem(name, line, column, f"YAML syntax: {_syntax(exc)}")]) from None
    except yaml.reader.ReaderError as exc:
        offset = exc.position
        if _Loader.byte_offsets:
            offset = len(text.encode("utf-8")[:offset].decode("utf-8", "ignore"))
        line, column = _position(text, offset)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"control character U+{code:04X} is not allowed in YAML"
        raise SpecError([Problem(name, line, column, message)]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Problem(name, 1, 1, f"YAML syntax: {exc}")]) from None
    if node is None or (isinstance(node, ScalarNode) and node.value == "" and not node.style
                        and node.tag == "tag:yaml.org,2002:null"):
        raise SpecError([Problem(name, 1, 1, "the file is empty")])
    _check_size(node, name)
    builder = _Builder(name)
    data = builder.build(node)
    if builder.problems:
        raise SpecError(builder.problems)
    return data


def _syntax(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's message, keeping a context that says what was expected."""
    problem, context = exc.problem or "", exc.context or ""
    if context and (not problem or not context.startswith("while")):
        return f"{context}, {problem}" if problem else context
    return problem or "invalid YAML"


def _position(text: str, offset: int) -> Location:
    """The 1-based line and column of a character offset in ``text`` (lines end at LF, CRLF
    or a lone CR, as for YAML and editors)."""
    before = text[:offset].replace("\r\n", "\n").replace("\r", "\n")
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


def load(path: str | Path, *, limit: int = MAX_BYTES) -> Any:
    """Read and parse a YAML file into located data."""
    return parse(read_text(path, limit=limit), str(path))
