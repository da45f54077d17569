"""JSON with line numbers: the `json` module's own scanner for strings and numbers, walked so
that every object key keeps the line it is on. Comments (which the Functions host tolerates
in function.json and local.settings.json) are skipped."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_SPACE = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)
# The json module's own string scanner (json.decoder.scanstring, C-accelerated).
scanstring = json.decoder.scanstring  # type: ignore[attr-defined]
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_WORDS = {"true": True, "false": False, "null": None}


@dataclass
class Node:
    value: Any  # str, int, float, bool, None, list[Node] or dict[str, Node]
    line: int  # 1-based
    key_line: int = 0  # for an object member: the line of its key

    def plain(self) -> Any:
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


def loads(text: str) -> Node:
    """Parse `text`; raises json.JSONDecodeError (a ValueError) on bad JSON."""
    node, end = _value(text, _skip(text, 0))
    end = _skip(text, end)
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return node


def _skip(text: str, i: int) -> int:
    m = _SPACE.match(text, i)
    return m.end() if m else i


def _line(text: str, i: int) -> int:
    return text.count("\n", 0, i) + 1


def _value(text: str, i: int) -> tuple[Node, int]:
    if i >= len(text):
        raise json.JSONDecodeError("Expecting value", text, i)
    c, line = text[i], _line(text, i)
    if c == '"':
        s, end = scanstring(text, i + 1)
        return Node(s, line), end
    if c == "{":
        members: dict[str, Node] = {}
        i = _skip(text, i + 1)
        while text[i : i + 1] != "}":
            if text[i : i + 1] != '"':
                raise json.JSONDecodeError("Expecting property name", text, i)
            key_line = _line(text, i)
            key, i = scanstring(text, i + 1)
            i = _skip(text, i)
            if text[i : i + 1] != ":":
                raise json.JSONDecodeError("Expecting ':'", text, i)
            member, i = _value(text, _skip(text, i + 1))
            member.key_line = key_line
            members[key] = member
            i = _skip(text, i)
            if text[i : i + 1] == ",":
                i = _skip(text, i + 1)
            elif text[i : i + 1] != "}":
                raise json.JSONDecodeError("Expecting ',' or '}'", text, i)
        return Node(members, line), i + 1
    if c == "[":
        items: list[Node] = []
        i = _skip(text, i + 1)
        while text[i : i + 1] != "]":
            item, i = _value(text, i)
            items.append(item)
            i = _skip(text, i)
            if text[i : i + 1] == ",":
                i = _skip(text, i + 1)
            elif text[i : i + 1] != "]":
                raise json.JSONDecodeError("Expecting ',' or ']'", text, i)
        return Node(items, line), i + 1
    for word, v in _WORDS.items():
        if text.startswith(word, i):
            return Node(v, line), i + len(word)
    m = _NUMBER.match(text, i)
    if m:
        n = m.group()
        return Node(float(n) if any(x in n for x in ".eE") else int(n), line), m.end()
    raise json.JSONDecodeError("Expecting value", text, i)
