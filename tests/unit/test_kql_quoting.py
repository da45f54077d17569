"""kustomi.kql quotes every name and string it puts into KQL; the emulator's own KQL tokenizer
(written from KQL's lexical rules, separately) must read back exactly one command with exactly
the values given."""

from __future__ import annotations

import random

import pytest

from kustomi import kql
from kustomi.emulator.kql import Token, tokenize
from kustomi.errors import UsageError

NASTY = [
    "plain",
    "with space",
    "it's",
    'dq"uote',
    "back\\slash",
    "semi;colon",
    "new\nline",
    "tab\tstop",
    "bra[ck]ets",
    "['injected']",
    "'); .drop database X admins ('x",
    "\\'",
    "\\",
    "'",
    "' | take 10 //",
    "unicode ☃ 東京",
    "",
    "'';\\n",
    "a\r\nb",
]


@pytest.mark.parametrize("value", NASTY)
def test_string_round_trips_through_the_kql_tokenizer(value):
    assert tokenize(kql.string(value)) == [Token("string", value)]


@pytest.mark.parametrize("value", [v for v in NASTY if v])
def test_name_round_trips(value):
    [tok] = tokenize(kql.name(value))
    assert tok.value == value and tok.kind in ("ident", "name")


@pytest.mark.parametrize("db", NASTY[:12])
@pytest.mark.parametrize("note", NASTY[-8:])
def test_add_command_has_one_shape_whatever_goes_in(db, note):
    if not db:
        return
    fqn = "aadapp=00000000-0000-0000-0000-000000000001;00000000-0000-0000-0000-000000000002"
    toks = tokenize(kql.add_principal("add", db, "viewers", fqn, note))
    head = [Token("punct", "."), Token("ident", "add"), Token("ident", "database")]
    assert toks[:3] == head
    assert toks[3].value == db
    assert toks[4:8] == [
        Token("ident", "viewers"),
        Token("punct", "("),
        Token("string", fqn),
        Token("punct", ")"),
    ]
    assert toks[8:] == ([Token("string", note)] if note else [])


def test_random_strings_round_trip():
    rng = random.Random(20261127)
    alphabet = "ab'\"\\;[]()|.\n\t\r ☃"
    for _ in range(500):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        assert tokenize(kql.string(value)) == [Token("string", value)]


def test_control_characters_and_set_are_refused():
    with pytest.raises(UsageError):
        kql.string("bell\x07")
    with pytest.raises(ValueError):
        kql.add_principal("set", "db", "viewers", "aadapp=x", "")


def test_plain_identifiers_stay_bare():
    assert kql.name("Orders") == "Orders"
    assert kql.name("Sales Archive-2.0") == "['Sales Archive-2.0']"


def test_a_final_newline_is_never_left_bare():
    """A name with a final newline is quoted, not written as a bare identifier (`$` in a
    pattern used with match would let it through)."""
    from kustomi import kql

    assert kql.name("Orders") == "Orders"
    assert kql.name("Orders\n").startswith("['")
