"""Everything the Reporter writes to stderr passes through the scrubber: a service error that
quotes a token or a secret does not show it."""

from __future__ import annotations

import io

from kustomi.output import Reporter

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3gifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def test_error_hint_progress_and_warnings_are_scrubbed():
    out = io.StringIO()
    r = Reporter(1, out)
    r.error(f"the service said: Bearer {JWT}", "retry with client_secret=s3cr3t-value")
    r.progress(f"token {JWT}")
    r.warn("Password=hunter2;Data Source=x")
    r.info("x-identity-header: abcdef123")
    text = out.getvalue()
    assert JWT not in text and "s3cr3t-value" not in text and "hunter2" not in text
    assert "abcdef123" not in text
    assert text.count("<token>") == 2 and text.count("<redacted>") == 3
    assert "Error: the service said" in text and "Data Source=x" in text


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_app_board_draws_a_line_per_app_on_a_terminal_and_plain_lines_otherwise():
    from kustomi.output import AppBoard, Reporter

    tty = _Terminal()
    with AppBoard(Reporter(0, tty), ["rg/func-a", "rg/func-b"]) as board:
        board.update("rg/func-a", "update identity id on func-a ...")
        board.update("rg/func-b", "done")
    drawn = tty.getvalue()
    assert "rg/func-a" in drawn and "rg/func-b" in drawn and "done" in drawn
    assert "rg/func-b: done" not in drawn  # a live line, not a log line

    piped = io.StringIO()
    with AppBoard(Reporter(0, piped), ["rg/func-a", "rg/func-b"]) as board:
        board.update("rg/func-b", "done")
    assert piped.getvalue() == "rg/func-b: done\n"

    quiet = _Terminal()
    with AppBoard(Reporter(-1, quiet), ["rg/func-a", "rg/func-b"]) as board:
        board.update("rg/func-b", "done")
    assert quiet.getvalue() == ""
