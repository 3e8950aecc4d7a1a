"""Text normalisation, tokenising and Indonesian stemming shared by matching and search.

One tokeniser for everything that compares words (topic queries, FTS5 prefilters, snippets),
so a word the matcher finds is a word the archive's FTS5 index (`unicode61 remove_diacritics 2`)
also holds: tokens are runs of letters and digits, everything else (punctuation, symbols,
underscores, spaces) separates them; case and diacritics are folded away.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, NamedTuple

# Letters/digits, plus combining marks so a decomposed "e\u0301" stays inside its word
# (FTS5 unicode61 keeps marks in the token and strips them, so must we).
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_TOKEN_RE = re.compile(rf"[^\W_](?:[^\W_]|[{_MARKS}])*")
_SIMPLE_TOKEN_RE = re.compile(r"[^\W_]+")
_HAS_MARK_RE = re.compile(rf"[{_MARKS}]")
_ASCII_WORD_RE = re.compile(r"[a-z]+")
_SPACE_RE = re.compile(r"\s+")


class Token(NamedTuple):
    """One word: its folded form and where it sits in the (NFC) text it came from."""

    norm: str
    start: int
    end: int


def fold(word: str) -> str:
    """Lower-case and strip diacritics (NFKD, drop combining marks): "Désa" -> "desa"."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def nfc(text: str) -> str:
    """Canonical composition, so token offsets and snippets refer to one stable string."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _regex(text: str) -> re.Pattern[str]:
    if text.isascii() or not _HAS_MARK_RE.search(text):
        return _SIMPLE_TOKEN_RE
    return _TOKEN_RE


def token_norms(text: str) -> list[str]:
    """The folded tokens of (NFC) `text`: the fast path for matching, no positions."""
    if text.isascii():
        return _SIMPLE_TOKEN_RE.findall(text.lower())
    lowered = text.lower()
    if _regex(text) is _SIMPLE_TOKEN_RE and not _HAS_MARK_RE.search(lowered):
        # lower() kept every letter a letter and added no marks: same tokens, in bulk
        return [w if w.isascii() else fold(w) for w in _SIMPLE_TOKEN_RE.findall(lowered)]
    return [w.lower() if w.isascii() else fold(w) for w in _regex(text).findall(text)]


def iter_token_spans(text: str) -> Iterator[tuple[int, int]]:
    """Character spans of the tokens `token_norms(text)` returns, lazily, one for one."""
    return (m.span() for m in _regex(text).finditer(text))


def token_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the tokens `token_norms(text)` returns, one for one."""
    return [m.span() for m in _regex(text).finditer(text)]


def tokenize(text: str) -> list[Token]:
    """Split (NFC) `text` into folded tokens with character spans.

    Pass text through `nfc()` first if the spans are to be used for slicing.
    """
    return [
        Token(norm, start, end)
        for norm, (start, end) in zip(token_norms(text), token_spans(text), strict=True)
    ]


def words(text: str) -> list[str]:
    """The folded tokens of `text`, without positions (queries, synonyms)."""
    return [w for w in token_norms(nfc(text)) if w]


# --- Indonesian stemming -------------------------------------------------------------------

_STEMMER: Any = None


def _stemmer() -> Any:
    global _STEMMER
    if _STEMMER is None:
        from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

        cached = StemmerFactory().create_stemmer()
        # Sastrawi's own cache is an unbounded dict; use the bare stemmer behind our lru_cache.
        _STEMMER = getattr(cached, "delegatedStemmer", cached)
    return _STEMMER


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """Sastrawi stem of one folded word ("birokrasinya" -> "birokrasi"); cached per word.

    Sastrawi costs up to ~1 ms on an unseen affixed word, so callers should try the exact form
    first. Words that are not plain ASCII letters (numbers, codes, foreign scripts) are returned
    unchanged: the stemmer only knows Indonesian morphology.
    """
    if not _ASCII_WORD_RE.fullmatch(word):
        return word
    return _stemmer().stem(word) or word


# Prefix chains that put a stem at the start of a word, as Sastrawi undoes them (ECS rules).
# Collected from the stems of the corpus' vocabulary (a dozen outlets) plus the standard chains.
_PREFIXES = (
    "", "di", "ke", "se", "ter", "te", "ber", "be", "bel", "per", "pe", "pel",
    "me", "mem", "men", "meng", "menge", "meny", "menye",
    "pem", "pen", "peng", "penge", "peny", "penye",
    "memper", "mempe", "mempel", "member", "diper", "dipe", "dipel", "diber", "dike", "dise",
    "diter", "keber", "keter", "kese", "kepe", "keper", "kepem", "kepen", "kepeng", "kepeny",
    "seke", "sese", "seper", "berke", "berse", "berpe", "berpen", "berpeng", "berpenge",
    "pember", "pembel", "pemer", "perke", "perse", "terke", "terse", "terper", "beber",
)  # fmt: skip
# Nasal prefixes swallow the stem's first letter: mem+pukul -> memukul, pen+tulis -> penulis.
_NASAL_DROP = {
    "p": ("mem", "pem", "kepem", "berpem"),
    "t": ("men", "pen", "kepen", "berpen"),
    "k": ("meng", "peng", "kepeng", "berpeng"),
    "s": ("meny", "peny", "kepeny", "berpeny"),
}
MIN_STEM_LEN = 4  # shorter "stems" are mostly acronyms (ASN, PNS): exact only


@lru_cache(maxsize=4096)
def affix_patterns(stem_: str) -> tuple[str, ...]:
    """Word beginnings under which an affixed form of `stem_` can appear.

    A word whose Sastrawi stem is `stem_` starts with one of these (then suffixes follow:
    -kan, -an, -i, -nya, -lah, ...), so each works as an FTS5 prefix query (`"memukul"*`) and
    as a cheap filter before running the stemmer. Redundant patterns (those another pattern
    already covers) are dropped to keep FTS5 expressions short.
    """
    if len(stem_) < MIN_STEM_LEN:
        return (stem_,)
    candidates = {p + stem_ for p in _PREFIXES}
    for p in _NASAL_DROP.get(stem_[0], ()):
        candidates.add(p + stem_[1:])
    kept: list[str] = []
    for cand in sorted(candidates, key=lambda c: (len(c), c)):
        if not any(cand.startswith(k) for k in kept):
            kept.append(cand)
    return tuple(kept)


# --- Snippets ------------------------------------------------------------------------------

_SENTENCE_END_RE = re.compile(r"[.!?…\"”)]\s+|\n")


def snippet(text: str, start: int, end: int, width: int = 260, lead: int = 100) -> str:
    """About `width` characters of `text` around the span [start, end), cut at whole words.

    Starts at the beginning of the sentence holding the span when that is within `lead`
    characters before it, so the snippet reads naturally; '…' marks each cut end and runs
    of whitespace (paragraph breaks) become single spaces.
    """
    n = len(text)
    if n == 0:
        return ""
    start, end = max(0, min(start, n)), max(0, min(end, n))
    lo = max(0, start - lead)
    if lo > 0:
        # sentence start inside the lead window, else a word boundary
        sent = None
        for m in _SENTENCE_END_RE.finditer(text, lo, start):
            sent = m.end()
        if sent is not None:
            lo = sent
        else:
            space = text.find(" ", lo, start)
            lo = space + 1 if space != -1 else start
    hi = min(n, max(lo + width, end))
    if hi < n:
        space = text.rfind(" ", max(end, lo + 1), hi + 1)
        if space > end:
            hi = space
        else:
            nxt = text.find(" ", hi)
            hi = n if nxt == -1 else nxt
    body = _SPACE_RE.sub(" ", text[lo:hi]).strip()
    prefix = "…" if lo > 0 and text[:lo].strip() else ""
    suffix = "…" if hi < n and text[hi:].strip() else ""
    return f"{prefix}{body}{suffix}"
