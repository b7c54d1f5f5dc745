"""YAML bytes -> plain data plus the source position of every node.

The first tier of loading. It never constructs arbitrary Python objects: it reads
PyYAML's *events* (libyaml's C parser when available) and builds dicts, lists
and scalars itself, with an explicit stack, so that

- every value and every mapping key gets a 1-based line/column (`positions`, `keys`),
- duplicate keys, unsupported tags, complex keys and deep nesting are reported
  precisely instead of being silently accepted,
- alias expansion is bounded (a "billion laughs" file fails after a few thousand nodes),
- scalars follow the YAML 1.2 core schema: only `true`/`false` are booleans, so
  `on:` and `yes` stay strings; no timestamps, no sexagesimal.

Every problem becomes a `Diagnostic` (codes E0101-E0110); nothing here raises for bad input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from runctl_iac.diagnostics import Diagnostic, Severity
from runctl_iac.spec.model import Location, PathT, dotted
from runctl_iac.spec.yamlscalars import libyaml_wording, resolve_scalar, syntax_hint

_CParser: Any
try:  # libyaml is much faster; the pure-Python parser behaves the same
    import yaml.cyaml

    _CParser = getattr(yaml.cyaml, "CParser", None)
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    _CParser = None

MAX_BYTES = 1024 * 1024  # files larger than this are rejected (E0102)
MAX_ALIAS_NODES = 10_000  # nodes copied through aliases, summed over the file (E0108)
MAX_DEPTH = 64  # nesting of mappings and sequences (E0110)

_STR = "tag:yaml.org,2002:str"
_STANDARD_SCALAR_TAGS = {_STR, "!", *(f"tag:yaml.org,2002:{t}" for t in ("int", "float", "bool", "null"))}
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}

# characters YAML does not allow in a stream (C0 controls except tab/LF/CR, DEL, C1 except NEL, ...)
_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass
class YamlDoc:
    """The result of loading one YAML file. `data` is None when an error made it unusable."""

    file: str
    data: dict[str, Any] | None = None
    positions: dict[PathT, Location] = field(default_factory=dict)  # path -> its value node
    keys: dict[PathT, Location] = field(default_factory=dict)  # path -> its key in the parent mapping
    diagnostics: list[Diagnostic] = field(default_factory=list)


_HINTS = {
    "E0102": "a runctl spec is a few hundred lines; split large data out of the spec",
    "E0103": "save the file as UTF-8 (runctl reads no other encoding)",
    "E0104": "a spec needs at least `version: 1` and a `name`",
    "E0107": "YAML indentation must use spaces; replace the tab with spaces",
    "E0108": "this looks like a 'billion laughs' document; write the values out instead",
    "E0109": "write top-level keys (`version: 1`, `name: ...`), not a list or a single value",
}
_TAG_HINT = "runctl specs use plain YAML; remove the tag"
_NO_POSITION: tuple[int | None, int | None] = (None, None)


def _error(
    code: str, message: str, file: str, at: tuple[int | None, int | None], path: PathT = (), hint: str = ""
) -> Diagnostic:
    hint = hint or _HINTS.get(code, "")
    return Diagnostic(Severity.ERROR, code, message, file, at[0], at[1], dotted(path), hint or None)


def load_yaml_file(path: str | Path, *, allow_empty: bool = False, label: str | None = None) -> YamlDoc:
    """Read and load `path`; `label` is the file name diagnostics carry (default: `path` as given)."""
    file = label if label is not None else str(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        problem, hint = "file not found", "check the path"
    except IsADirectoryError:
        problem, hint = "is a directory, not a file", ""
    except OSError as exc:
        problem, hint = f"cannot read the file: {exc.strerror or type(exc).__name__}", ""
    else:
        return load_yaml(raw, file, allow_empty=allow_empty)
    return YamlDoc(file, diagnostics=[_error("E0101", problem, file, _NO_POSITION, hint=hint)])


def load_yaml(raw: bytes, file: str, *, allow_empty: bool = False) -> YamlDoc:
    """Load YAML bytes. `allow_empty` makes an empty (or comments-only) file an empty mapping."""
    doc = YamlDoc(file)
    if len(raw) > MAX_BYTES:
        doc.diagnostics.append(_error("E0102", f"file is larger than {MAX_BYTES // 1024} KiB", file, (1, 1)))
        return doc
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8")
        at = _line_col(before, len(before))
        doc.diagnostics.append(_error("E0103", f"byte 0x{raw[exc.start]:02x} is not valid UTF-8", file, at))
        return doc
    bad = _NON_PRINTABLE.search(text)
    if bad:
        message = f"control character U+{ord(bad.group()):04X} is not allowed in YAML"
        hint = "remove the character, or write it as an escape inside a double-quoted string"
        doc.diagnostics.append(_error("E0105", message, file, _line_col(text, bad.start()), hint=hint))
        return doc
    builder = _Builder(file)
    root = builder.run(text, _CParser or _PyParser)
    if builder.parser_depth_exceeded:
        # libyaml (PyYAML >= 6.0.4 wheels) stops at its own nesting limit of 1000 while scanning
        # ahead, before our MAX_DEPTH check sees the events. The pure-Python parser reads lazily, so
        # it reaches our check, which locates the level that crosses MAX_DEPTH with our wording.
        builder = _Builder(file)
        root = builder.run(text, _PyParser)
    tab_lines = _tab_diagnostics(text, file, builder.scalar_lines, builder.stopped_at_line)
    tabbed = {d.line for d in tab_lines}
    # a syntax error caused by a tab is reported as the tab, not twice
    doc.diagnostics = [d for d in builder.diagnostics if not (d.code == "E0105" and d.line in tabbed)]
    doc.diagnostics = sorted([*tab_lines, *doc.diagnostics], key=lambda d: (d.line or 0, d.column or 0))
    if doc.diagnostics:
        return doc
    if root is _EMPTY:
        if allow_empty:
            doc.data = {}
        else:
            message = "file is empty (no YAML content, only comments or blanks)"
            doc.diagnostics.append(_error("E0104", message, file, (1, 1)))
        return doc
    if not isinstance(root, dict):
        loc = builder.positions.get((), Location(file, 1, 1))
        kind = "a list" if isinstance(root, list) else f"a single value ({_kind(root)})"
        message = f"the document is {kind}, expected a mapping of keys"
        doc.diagnostics.append(_error("E0109", message, file, (loc.line, loc.column)))
        return doc
    doc.data, doc.positions, doc.keys = root, builder.positions, builder.keys
    return doc


def _kind(value: object) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(type(value), "null")


def _line_col(text: str, index: int) -> tuple[int, int]:
    """1-based line and column (in characters) of `text[index]`; `index` may be just past `text`."""
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, len(text[line_start:index]) + 1


def _tab_diagnostics(text: str, file: str, scalar_lines: set[int], stop: int | None) -> list[Diagnostic]:
    """A tab in the leading whitespace of a content line, outside multi-line scalars."""
    out = []
    for number, line in enumerate(text.split("\n"), start=1):
        if stop is not None and number > stop:
            break
        stripped = line.lstrip(" \t")
        indent = line[: len(line) - len(stripped)]
        if "\t" not in indent or not stripped.strip() or stripped.startswith("#") or number in scalar_lines:
            continue
        at = (number, indent.index("\t") + 1)
        out.append(_error("E0107", "tab character in indentation", file, at))
    return out


class _Stop(Exception):
    """Loading cannot go on; the reason is already in the builder's diagnostics."""


_EMPTY = object()  # marker: the stream has no document, or the document is empty
_DISCARD = object()  # marker: a mapping key that was rejected; its value is skipped


@dataclass
class _Frame:
    value: dict[str, Any] | list[Any]
    path: PathT
    anchor: str | None
    start_entry: int
    size: int = 1
    key: Any = None  # pending mapping key (str, _DISCARD, or None when the next node is a key)
    key_line: dict[str, int] = field(default_factory=dict)
    discard: str | None = None  # "key"/"value": a rejected key or its value, "nested": inside one


@dataclass
class _Anchor:
    value: Any
    path: PathT
    entries: tuple[int, int]  # slice of _Builder.entries that describe the anchored node
    size: int


class _Builder:
    """Turns the event stream of one document into data + positions."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.diagnostics: list[Diagnostic] = []
        self.entries: list[tuple[PathT, Location, bool]] = []  # (path, location, is_key)
        self.anchors: dict[str, _Anchor | None] = {}  # None while the anchored node is being built
        self.stack: list[_Frame] = []
        self.alias_nodes = 0
        self.scalar_lines: set[int] = set()  # 1-based lines inside multi-line scalars (tabs allowed)
        self.stopped_at_line: int | None = None
        self.positions: dict[PathT, Location] = {}
        self.keys: dict[PathT, Location] = {}
        self.parser_depth_exceeded = False  # libyaml's own nesting limit stopped the parse

    def loc(self, mark: Any) -> Location:
        return Location(self.file, mark.line + 1, mark.column + 1)

    def fail(self, code: str, message: str, mark: Any, path: PathT = (), hint: str = "") -> None:
        loc = self.loc(mark)
        self.diagnostics.append(_error(code, message, self.file, (loc.line, loc.column), path, hint))

    def run(self, text: str, parser_class: Any) -> Any:
        parser = parser_class(text)
        root: Any = _EMPTY
        documents = 0
        try:
            while parser.check_event():
                event = parser.get_event()
                if isinstance(event, yaml.DocumentStartEvent):
                    documents += 1
                    if documents > 1:
                        hint = "remove the `---` line; a spec is a single document"
                        self.fail(
                            "E0110", "more than one YAML document in the file", event.start_mark, (), hint
                        )
                        raise _Stop
                elif isinstance(event, yaml.NodeEvent | yaml.CollectionEndEvent):
                    done = self.event(event)
                    if done is not None:
                        root = done[0]
        except _Stop:
            self.stopped_at_line = self.diagnostics[-1].line if self.diagnostics else None
        except yaml.MarkedYAMLError as exc:
            if parser_class is not _PyParser and "maximum nesting depth" in (exc.problem or ""):
                self.parser_depth_exceeded = True
            else:
                self.syntax_error(exc, text)
        except yaml.YAMLError as exc:  # ReaderError and friends, without a mark
            self.diagnostics.append(_error("E0105", str(exc).splitlines()[0], self.file, (1, 1)))
            self.stopped_at_line = 1
        finally:
            if hasattr(parser, "dispose"):
                parser.dispose()
        for path, loc, is_key in self.entries:
            (self.keys if is_key else self.positions)[path] = loc
        return root

    def syntax_error(self, exc: yaml.MarkedYAMLError, text: str) -> None:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        last = text.count("\n") + (0 if text.endswith("\n") else 1)
        if line > max(last, 1):  # errors "at the end of the stream" point past the last line
            line, col = max(last, 1), len(text.rstrip("\n").split("\n")[-1]) + 1
        problem = libyaml_wording(exc.problem or "invalid YAML", exc.context)
        context = f" ({exc.context})" if exc.context else ""
        self.diagnostics.append(
            _error("E0105", f"{problem}{context}", self.file, (line, col), hint=syntax_hint(problem))
        )
        self.stopped_at_line = line

    # --- events -------------------------------------------------------------------------------------------
    def event(self, event: Any) -> tuple[Any] | None:
        """Handle one node or collection-end event; returns (root,) when the root node is complete."""
        if isinstance(event, yaml.CollectionEndEvent):
            frame = self.stack.pop()
            if frame.anchor is not None:
                self.anchors[frame.anchor] = _Anchor(
                    frame.value, frame.path, (frame.start_entry, len(self.entries)), frame.size
                )
            return self.attach(frame.value, frame.size, frame.discard)
        parent = self.stack[-1] if self.stack else None
        if parent is not None and parent.discard:
            if isinstance(event, yaml.CollectionStartEvent):
                self.push(event, parent.path, discard="nested")
            return None
        if parent is not None and isinstance(parent.value, dict):
            if parent.key is None:
                self.key(event, parent)
                return None
            if parent.key is _DISCARD:  # the value of a rejected key
                if isinstance(event, yaml.CollectionStartEvent):
                    self.push(event, parent.path, discard="value")
                else:
                    parent.key = None
                return None
        path = self.child_path(parent)
        if isinstance(event, yaml.AliasEvent):
            return self.alias(event, path)
        if event.anchor is not None:
            self.anchors[event.anchor] = None  # being built: an alias to it now would be recursive
        self.entries.append((path, self.loc(event.start_mark), False))
        if isinstance(event, yaml.ScalarEvent):
            first: Any = event.start_mark
            last: Any = event.end_mark
            if first.line != last.line:  # multi-line scalar: its content lines may hold tabs
                end = last.line + (1 if last.column else 0)
                self.scalar_lines.update(range(first.line + 2, end + 1))
            if parent is None and event.value == "" and event.tag is None and event.implicit[0]:
                return (_EMPTY,)  # a document with no content ("---" alone)
            value = self.scalar(event, path)
            if event.anchor is not None:
                n = len(self.entries)
                self.anchors[event.anchor] = _Anchor(value, path, (n - 1, n), 1)
            return self.attach(value, 1, None)
        if event.tag is not None and event.tag not in _COLLECTION_TAGS:
            self.fail("E0110", f"unsupported YAML tag {event.tag}", event.start_mark, path, _TAG_HINT)
        self.push(event, path)
        return None

    def push(self, event: Any, path: PathT, discard: str | None = None) -> None:
        if len(self.stack) >= MAX_DEPTH:
            while path and isinstance(path[-1], int):  # "tags.deep", not "tags.deep[0][0][0]..."
                path = path[:-1]
            hint = "flatten the structure; a spec needs only a few levels"
            self.fail("E0110", f"nested more than {MAX_DEPTH} levels deep", event.start_mark, path, hint)
            raise _Stop
        container: dict[str, Any] | list[Any] = {} if isinstance(event, yaml.MappingStartEvent) else []
        anchor = None if discard else event.anchor
        # its own entry (appended just before) is the first of the entries that describe it
        self.stack.append(_Frame(container, path, anchor, len(self.entries) - 1, discard=discard))

    def child_path(self, parent: _Frame | None) -> PathT:
        if parent is None:
            return ()
        if isinstance(parent.value, list):
            return (*parent.path, len(parent.value))
        return (*parent.path, parent.key)

    def key(self, event: Any, parent: _Frame) -> None:
        where = dotted(parent.path) or "the top level"
        if isinstance(event, yaml.ScalarEvent) and event.tag in (None, "!", _STR):
            name = event.value
            if event.anchor is not None:  # an anchored key: an alias to it is just the string
                self.anchors[event.anchor] = _Anchor(name, parent.path, (0, 0), 1)
            if name == "<<" and event.implicit[0]:
                hint = "write the keys out, or move per-stack differences to a stack overlay"
                self.fail(
                    "E0110", "YAML merge keys (<<) are not supported", event.start_mark, parent.path, hint
                )
                parent.key = _DISCARD
            elif name in parent.key_line:
                hint = f"{name!r} is first defined on line {parent.key_line[name]}; keep one of them"
                message = f"duplicate key {name!r} in {where}"
                self.fail("E0106", message, event.start_mark, (*parent.path, name), hint)
                parent.key = _DISCARD
            else:
                parent.key_line[name] = self.loc(event.start_mark).line
                parent.key = name
                self.entries.append(((*parent.path, name), self.loc(event.start_mark), True))
            return
        what = "a mapping or list"
        if isinstance(event, yaml.AliasEvent | yaml.ScalarEvent):
            what = "an alias" if isinstance(event, yaml.AliasEvent) else f"a value tagged {event.tag}"
        message = f"mapping keys must be plain strings, found {what} in {where}"
        self.fail("E0110", message, event.start_mark, parent.path, "write the key as a plain word")
        if isinstance(event, yaml.CollectionStartEvent):
            self.push(event, parent.path, discard="key")  # parent.key becomes _DISCARD when it ends
        else:
            parent.key = _DISCARD

    def attach(self, value: Any, size: int, discard: str | None) -> tuple[Any] | None:
        if not self.stack:
            return (value,)
        parent = self.stack[-1]
        parent.size += size
        if discard == "key":  # a rejected complex key ended: skip the value that follows it
            parent.key = _DISCARD
            return None
        if discard == "value":  # a skipped value ended
            parent.key = None
            return None
        if parent.discard:
            return None
        if isinstance(parent.value, list):
            parent.value.append(value)
        else:
            if parent.key is not _DISCARD:
                parent.value[parent.key] = value
            parent.key = None
        return None

    def alias(self, event: Any, path: PathT) -> tuple[Any] | None:
        if event.anchor not in self.anchors:
            message = f"alias *{event.anchor} refers to no anchor &{event.anchor} defined before it"
            hint = f"mark the value to repeat with &{event.anchor} above this line"
            self.fail("E0105", message, event.start_mark, path, hint)
            raise _Stop
        anchor = self.anchors[event.anchor]
        if anchor is None:
            message = f"alias *{event.anchor} refers to a node that contains it"
            self.fail("E0110", message, event.start_mark, path, "recursive structures are not allowed")
            raise _Stop
        self.alias_nodes += anchor.size
        if self.alias_nodes > MAX_ALIAS_NODES:
            message = f"aliases expand to more than {MAX_ALIAS_NODES} nodes"
            self.fail("E0108", message, event.start_mark, path)
            raise _Stop
        self.entries.append((path, self.loc(event.start_mark), False))
        start, end = anchor.entries
        cut = len(anchor.path)
        for sub, loc, is_key in self.entries[start + 1 : end]:
            self.entries.append(((*path, *sub[cut:]), loc, is_key))
        return self.attach(anchor.value, anchor.size, None)

    def scalar(self, event: Any, path: PathT) -> Any:
        value: str = event.value
        tag = event.tag
        if tag is None and event.implicit[0]:  # plain scalar: YAML 1.2 core schema
            return resolve_scalar(value)
        if tag is None or tag in ("!", _STR):
            return value
        if tag not in _STANDARD_SCALAR_TAGS:
            self.fail("E0110", f"unsupported YAML tag {tag}", event.start_mark, path, _TAG_HINT)
            return value
        resolved = resolve_scalar(value)
        wanted = tag.rsplit(":", 1)[1]
        ok: Any = {"int": int, "float": (int, float), "bool": bool, "null": type(None)}[wanted]
        if not isinstance(resolved, ok) or (wanted != "bool" and isinstance(resolved, bool)):
            hint = f"remove the !!{wanted} tag, or write a valid {wanted} value"
            self.fail("E0110", f"{value!r} cannot be read as !!{wanted}", event.start_mark, path, hint)
            return value
        return float(resolved) if wanted == "float" else resolved


class _PyParser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    """Pure-Python event parser: used when PyYAML was built without libyaml, and to locate nesting
    deeper than libyaml's own limit (see `load_yaml`)."""

    def __init__(self, text: str) -> None:
        yaml.reader.Reader.__init__(self, text)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
