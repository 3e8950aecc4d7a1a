"""Pure parts of the downloader middlewares: Retry-After and block detection."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pantau.spiders.middlewares import block_reason, retry_after_seconds
from tests.conftest import corpus_file

CLOUDFLARE = b"""<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="refresh" content="390"></head><body><div class="main-wrapper">
<noscript>Enable JavaScript and cookies to continue</noscript>
<script>window._cf_chl_opt={cvId: '3'};</script></div></body></html>"""


def test_retry_after_forms() -> None:
    now = datetime(2024, 2, 12, 12, 0, tzinfo=UTC)
    assert retry_after_seconds(b"7") == 7.0
    assert retry_after_seconds("Mon, 12 Feb 2024 12:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("Mon, 12 Feb 2024 11:00:00 GMT", now=now) == 0.0
    assert retry_after_seconds(b"soon") is None
    assert retry_after_seconds(None) is None


@pytest.mark.parametrize("status", [200, 403, 503])
def test_cloudflare_challenge_is_blocked_whatever_the_status(status: int) -> None:
    assert block_reason(status, {}, CLOUDFLARE) == "challenge"


def test_plain_403_and_cf_mitigated_header() -> None:
    assert block_reason(403, {}, b"<html>Forbidden</html>") == "http_403"
    assert block_reason(200, {b"Cf-Mitigated": [b"challenge"]}, b"") == "challenge"


@pytest.mark.parametrize("page", ["beritamanado-1.html", "tribunsolo-1.html", "antaranews-1.html"])
def test_real_articles_are_not_blocks(page: str) -> None:
    assert block_reason(200, {}, corpus_file(page).read_bytes()) is None
