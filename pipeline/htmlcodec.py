"""Decode an HTML body without mojibake: the one decoder of the crawl, `pantau extract` and
`pantau reextract`, so the same bytes give the same text everywhere.

Order: byte-order mark, the HTTP header's charset, `<meta charset>`, then detection. A label is
only trusted if the bytes agree: small regional servers often send `charset=UTF-8` over
windows-1252 text, or `ISO-8859-1` (Apache's old default) over UTF-8. UTF-8 is self-checking
(random windows-1252 text is almost never valid UTF-8), so it is the test we rely on.
Other declared encodings (e.g. a meta charset of windows-1256) are used as declared.

A label that names no text encoding a web page can be in (`charset=hex`, `base64`, `rot13`,
`zlib`, `undefined` ...) is ignored like a missing one: Python's codec registry knows these
names, and decoding with them raises, which would lose the page.
"""

from __future__ import annotations

import codecs

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

__all__ = ["declared_label_unusable", "decode_html", "utf8_with_fallback"]

# What browsers (WHATWG) read these labels as.
SINGLE_BYTE_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252",
                       "ascii": "cp1252", "us-ascii": "cp1252", "iso8859-1": "cp1252"}  # fmt: skip
# Text codecs of Python that no web page is written in: decoding HTML with them fails or
# rewrites the text (backslash escapes, IDNA labels).
_NOT_WEB = frozenset(
    {"undefined", "idna", "punycode", "unicode-escape", "raw-unicode-escape", "utf-7", "charmap"}
)
_WIDE = ("utf-16", "utf-32")  # labels that need NUL bytes in an HTML body to be true


def _norm(name: str | None) -> str | None:
    """The codec a charset label names, or None when it names no usable text encoding."""
    if not name:
        return None
    name = name.strip().lower()
    try:
        info = codecs.lookup(SINGLE_BYTE_ALIASES.get(name, name))
    except LookupError:
        return None
    if not info._is_text_encoding or info.name in _NOT_WEB:  # hex, base64, zlib, rot13 ...
        return None
    return "cp1252" if info.name in ("latin-1", "iso8859-1", "ascii") else info.name


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read each byte that is not valid UTF-8 as windows-1252."""
    assert isinstance(exc, UnicodeDecodeError)
    bad = exc.object[exc.start : exc.end]
    return _single_byte(bytes(bad), "cp1252"), exc.end


codecs.register_error("pantau-cp1252", _cp1252_fallback)


def utf8_with_fallback(body: bytes) -> str:
    """UTF-8 where the bytes are UTF-8, windows-1252 where they are not: right for pure UTF-8,
    for windows-1252 mislabelled as UTF-8, and for pages that mix the two."""
    return body.decode("utf-8", "pantau-cp1252")


def _strict_utf8(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _single_byte(body: bytes, codec: str) -> str:
    try:
        return body.decode(codec)
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; latin-1 maps them to C1 controls (harmless)
        return body.decode("latin-1") if codec == "cp1252" else body.decode(codec, "replace")


def declared_label_unusable(body: bytes, content_type: str | None = None) -> bool:
    """Does the label a browser (or Scrapy's `response.text`) would go by name no usable text
    codec? Then that decoding raises, and the caller must hand over `decode_html`'s choice."""
    if body.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    label = http_content_type_encoding(content_type) if content_type else None
    label = label or html_body_declared_encoding(body[:4096])
    return label is not None and _norm(label) is None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding used) for an HTML or XML body; `content_type` is the HTTP header."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                       (codecs.BOM_UTF16_BE, "utf-16-be")):  # fmt: skip
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, "replace"), codec
    labels = [
        _norm(http_content_type_encoding(content_type) if content_type else None),
        _norm(html_body_declared_encoding(body[:4096])),
    ]
    as_utf8 = _strict_utf8(body)
    for label in labels:
        if label is None:
            continue
        if label == "utf-8":
            if as_utf8 is not None:
                return as_utf8, "utf-8"
            continue  # the label lies: a later label (meta) or the byte-wise test decides
        if label == "cp1252" and as_utf8 is not None and not body.isascii():
            return as_utf8, "utf-8"  # valid multi-byte UTF-8 under a Latin-1 label
        if label.startswith(_WIDE) and b"\x00" not in body[:1024]:
            continue  # "utf-16" over single-byte markup (WHATWG reads a meta utf-16 as utf-8)
        try:
            return _single_byte(body, label), label
        except (UnicodeError, LookupError):
            continue  # a codec that cannot decode this body at all: the next label decides
    # No usable label. Indonesian pages are Latin script, so the realistic encodings are UTF-8
    # and windows-1252, and generic detectors misfire on mostly-ASCII text (cp1250, mac_roman
    # ...): the byte-wise UTF-8 test is the detection.
    if as_utf8 is not None:
        return as_utf8, "utf-8"
    return utf8_with_fallback(body), "utf-8+cp1252"
