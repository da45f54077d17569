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
