"""A signal that lands inside an import is a KeyboardInterrupt in another exception's
clothes: Python wraps one raised in a class body's __set_name__ (ipaddress's cached_property,
imported by pathlib) in a RuntimeError. It is still the interrupt, said as one, exit 130."""

from __future__ import annotations

import pytest

from kustomi import interrupts


class _Interrupting:
    def __set_name__(self, owner: type, name: str) -> None:
        raise KeyboardInterrupt


def _wrapped() -> BaseException:
    try:

        class _Body:
            x = _Interrupting()

    except BaseException as e:
        return e
    raise AssertionError("no exception")


def test_a_wrapped_interrupt_is_the_interrupt_once_a_signal_came(monkeypatch):
    e = _wrapped()
    assert isinstance(e, RuntimeError) and isinstance(e.__cause__, KeyboardInterrupt)
    monkeypatch.setattr(interrupts, "received", None)
    assert not interrupts.carried(e)  # no signal: a KeyboardInterrupt of someone else's
    monkeypatch.setattr(interrupts, "received", 15)
    assert interrupts.carried(e)
    assert not interrupts.carried(RuntimeError("a plain error"))


@pytest.mark.parametrize("wrap", [RuntimeError, ValueError])
def test_an_interrupt_anywhere_in_the_chain_counts(monkeypatch, wrap):
    monkeypatch.setattr(interrupts, "received", 2)
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as k:
            raise wrap("while importing") from k
    except Exception as e:
        assert interrupts.carried(e)
