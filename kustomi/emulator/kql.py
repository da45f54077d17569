"""A tokenizer for the few KQL forms the emulator answers, following KQL's lexical rules:
string literals in single or double quotes with backslash escapes, verbatim @'...' strings,
and entity names as bare identifiers or bracketed ['name'] / ["name"].
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class KqlSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Token:
    kind: str  # ident | string | name | number | punct
    value: str


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _string(text: str, i: int) -> tuple[str, int]:
    """Read a quoted literal starting at text[i] (the quote); returns (value, next index)."""
    quote = text[i]
    out = []
    i += 1
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            if i + 1 >= len(text) or text[i + 1] not in _ESCAPES:
                raise KqlSyntaxError(f"invalid escape at {i}")
            out.append(_ESCAPES[text[i + 1]])
            i += 2
            continue
        if ch == "\n":
            raise KqlSyntaxError("newline in a string literal")
        if ch == quote:
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise KqlSyntaxError("unterminated string literal")


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif text.startswith("//", i):
            nl = text.find("\n", i)
            i = len(text) if nl < 0 else nl
        elif ch in "'\"":
            value, i = _string(text, i)
            tokens.append(Token("string", value))
        elif ch == "@" and i + 1 < len(text) and text[i + 1] in "'\"":
            end = text.find(text[i + 1], i + 2)
            if end < 0:
                raise KqlSyntaxError("unterminated verbatim string")
            tokens.append(Token("string", text[i + 2 : end]))
            i = end + 1
        elif ch == "[" and i + 1 < len(text) and text[i + 1] in "'\"":
            value, j = _string(text, i + 1)
            if j >= len(text) or text[j] != "]":
                raise KqlSyntaxError("unterminated bracketed name")
            tokens.append(Token("name", value))
            i = j + 1
        elif m := _IDENT.match(text, i):
            tokens.append(Token("ident", m.group()))
            i = m.end()
        elif m := _NUMBER.match(text, i):
            tokens.append(Token("number", m.group()))
            i = m.end()
        elif ch in "().,=;-":  # "." starts a management command
            tokens.append(Token("punct", ch))
            i += 1
        else:
            raise KqlSyntaxError(f"unexpected character {ch!r} at {i}")
    return tokens
