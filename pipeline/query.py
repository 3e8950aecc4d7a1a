"""The topic query language: parse once, match many articles, and prefilter in FTS5.

Language (docs/queries.md): words, "quoted phrases", AND, OR, NOT (upper-case only),
parentheses, a trailing `*` for a prefix, `NEAR(a b, N)`, `title:` before a term, phrase, group
or NEAR. Juxtaposition means AND; precedence NOT > AND > OR.

Matching folds case and diacritics and splits at punctuation exactly as the archive's FTS5
tokenizer does (pipeline.textnorm), so `to_fts5()` can be a guaranteed superset of `match()`:
`pantau search` asks FTS5 for candidates and lets `match()` decide, and a search and a topic
alert never disagree. Plain words also match affixed forms with the same Sastrawi stem
("birokrasi" finds "birokrasinya"), but only word forms `textnorm.affix_patterns` can reach,
which is exactly what the FTS5 form asks for.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from pantau.pipeline import textnorm

__all__ = [
    "MatchResult",
    "Query",
    "QuerySyntaxError",
    "TokenizedArticle",
    "match_many",
    "parse_query",
]

TITLE, TEXT = "title", "text"
_FIELD_ORDER = {TITLE: 0, TEXT: 1}


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; `position` is the 0-based character offset of the fault."""

    def __init__(self, message: str, position: int, source: str = ""):
        self.position = position
        self.source = source
        context = ""
        if source:
            lo = max(0, position - 20)
            excerpt = source[lo : position + 20]
            context = f" (near {'…' if lo else ''}{excerpt!r})"
        super().__init__(f"{message} at position {position}{context}")


@dataclass
class MatchResult:
    """Why an article matched: the query's terms it contains, and where (a readable snippet)."""

    matched_terms: list[str]
    snippet: str


# --- Tokenised article ----------------------------------------------------------------------


class _FieldIndex:
    """One field's tokens and a word -> positions index, built once per article."""

    __slots__ = ("text", "tokens", "index", "_spans", "_span_iter", "_joined")

    def __init__(self, text: str):
        self.text = textnorm.nfc(text or "")
        self.tokens: list[str] = textnorm.token_norms(self.text)
        index: dict[str, list[int]] = {}
        for i, tok in enumerate(self.tokens):
            bucket = index.get(tok)
            if bucket is None:
                index[tok] = [i]
            else:
                bucket.append(i)
        self.index = index
        self._spans: list[tuple[int, int]] = []
        self._span_iter: Iterator[tuple[int, int]] | None = None
        self._joined: str | None = None

    def contains(self, fragment: str) -> bool:
        """Whether any token contains `fragment`: one C-level scan before a per-word loop."""
        if self._joined is None:
            self._joined = " ".join(self.index)
        return fragment in self._joined

    def span(self, i: int) -> tuple[int, int]:
        """Character span of token i (computed on first use: only snippets need it)."""
        if self._span_iter is None:
            self._span_iter = textnorm.iter_token_spans(self.text)
        while len(self._spans) <= i:
            self._spans.append(next(self._span_iter))
        return self._spans[i]


class TokenizedArticle:
    """An article's title and clean text, tokenised once for any number of queries."""

    __slots__ = ("title", "text", "_cache")

    def __init__(self, title: str | None, text: str | None):
        self.title = _FieldIndex(title or "")
        self.text = _FieldIndex(text or "")
        self._cache: dict[tuple, list[tuple[int, int]]] = {}

    def field(self, name: str) -> _FieldIndex:
        return self.title if name == TITLE else self.text


# --- Terms and their alternatives -----------------------------------------------------------


@dataclass(frozen=True)
class _Alt:
    """One token sequence a term accepts (the term itself or a synonym)."""

    words: tuple[str, ...]
    prefix: bool = False  # the last word is a prefix
    stem: str | None = None  # single plain words: also match forms with this Sastrawi stem
    patterns: tuple[str, ...] = ()  # word beginnings those forms can have (textnorm)

    def fts(self) -> list[str]:
        phrase = '"' + " ".join(self.words) + '"' + ("*" if self.prefix else "")
        if self.stem is None:
            return [phrase]
        out = [f'"{p}"*' for p in self.patterns]
        if not any(self.words[0].startswith(p) for p in self.patterns):
            out.insert(0, phrase)
        return out


def _alt_positions(alt: _Alt, fi: _FieldIndex, full: bool) -> list[tuple[int, int]]:
    """Token spans [start, end) where `alt` occurs in one field.

    With `full=False` the stemmer runs only when the exact form is absent (it is the slow part);
    NEAR asks for every occurrence with `full=True`.
    """
    words = alt.words
    index = fi.index
    first = words[0]
    if len(words) == 1:
        if alt.prefix:
            pos = sorted(i for k, ps in index.items() if k.startswith(first) for i in ps)
        else:
            pos = index.get(first, [])
            if alt.stem is not None and (full or not pos) and fi.contains(alt.stem[1:]):
                extra = [
                    i
                    for k, ps in index.items()
                    if k != first and k.startswith(alt.patterns) and textnorm.stem(k) == alt.stem
                    for i in ps
                ]
                if extra:
                    pos = sorted({*pos, *extra})
        return [(i, i + 1) for i in pos]
    tokens = fi.tokens
    n, k = len(tokens), len(words)
    last = k - 1
    out = []
    for i in index.get(first, ()):
        if i + k > n:
            break
        for j in range(1, k):
            norm = tokens[i + j]
            if j == last and alt.prefix:
                if not norm.startswith(words[j]):
                    break
            elif norm != words[j]:
                break
        else:
            out.append((i, i + k))
    return out


def _or(parts: list[str]) -> str:
    return "(" + " OR ".join(parts) + ")"


@dataclass
class _Hit:
    """A term that took part in a match: where it first appears, for ordering and snippets."""

    order: tuple[int, int]  # (field order, token index)
    term: str
    text_span: tuple[int, int] | None  # token span in the text field, for the snippet
    own: bool = True  # found as written (or a stem form), not only through a synonym
    group: frozenset[_Alt] = frozenset()  # the term's alternatives: one group, one set


class _Node:
    pos: int = 0

    def eval(self, doc: TokenizedArticle) -> tuple[bool, list[_Hit]]:
        raise NotImplementedError

    def fts(self) -> str | None:
        """FTS5 expression accepting a superset of this node's matches; None = anything."""
        raise NotImplementedError

    def positive_terms(self) -> list[str]:
        raise NotImplementedError

    def restrict_to_title(self) -> None:
        raise NotImplementedError


@dataclass
class _Term(_Node):
    text: str  # as written in the query, for matched_terms
    alts: tuple[_Alt, ...]
    pos: int = 0
    field: str | None = None  # TITLE, or None for title and text

    def fields(self) -> tuple[str, ...]:
        return (TITLE,) if self.field == TITLE else (TITLE, TEXT)

    def positions(self, doc: TokenizedArticle, name: str, full: bool) -> list[tuple[int, int]]:
        key = (self.alts, name, full)
        cached = doc._cache.get(key)
        if cached is None and not full:
            cached = doc._cache.get((self.alts, name, True))
        if cached is None:
            fi = doc.field(name)
            spans: set[tuple[int, int]] = set()
            for alt in self.alts:
                spans.update(_alt_positions(alt, fi, full))
            cached = sorted(spans)
            doc._cache[key] = cached
        return cached

    def eval(self, doc: TokenizedArticle) -> tuple[bool, list[_Hit]]:
        order = None
        text_span = None
        for name in self.fields():
            spans = self.positions(doc, name, full=False)
            if spans:
                if order is None:
                    order = (_FIELD_ORDER[name], spans[0][0])
                if name == TEXT:
                    text_span = spans[0]
        if order is None:
            return False, []
        own = len(self.alts) == 1 or any(
            _alt_positions(self.alts[0], doc.field(name), full=False) for name in self.fields()
        )
        return True, [_Hit(order, self.text, text_span, own, frozenset(self.alts))]

    def fts_alternatives(self) -> list[str]:
        parts: list[str] = []
        for alt in self.alts:
            for p in alt.fts():
                if p not in parts:
                    parts.append(p)
        if self.field == TITLE:
            return [f"{TITLE} : " + (parts[0] if len(parts) == 1 else _or(parts))]
        return parts

    def fts(self) -> str:
        parts = self.fts_alternatives()
        return parts[0] if len(parts) == 1 else _or(parts)

    def single_fts_phrase(self) -> str | None:
        """The term as one FTS5 phrase, if it is exactly that (no synonyms, no stems)."""
        if len(self.alts) == 1 and self.alts[0].stem is None:
            return self.alts[0].fts()[0]
        return None

    def positive_terms(self) -> list[str]:
        return [self.text]

    def restrict_to_title(self) -> None:
        self.field = TITLE


@dataclass
class _Near(_Node):
    operands: list[_Term]
    distance: int
    pos: int = 0
    field: str | None = None

    def eval(self, doc: TokenizedArticle) -> tuple[bool, list[_Hit]]:
        names = (TITLE,) if self.field == TITLE else (TITLE, TEXT)
        for name in names:
            lists = [op.positions(doc, name, full=True) for op in self.operands]
            if not all(lists):
                continue
            clump = _find_clump(lists, self.distance)
            if clump is not None:
                order = (_FIELD_ORDER[name], clump[0])
                span = clump if name == TEXT else None
                return True, [_Hit(order, op.text, span) for op in self.operands]
        return False, []

    def fts(self) -> str:
        phrases = [op.single_fts_phrase() for op in self.operands]
        if all(phrases) and len(set(phrases)) == len(phrases):
            expr = f"NEAR({' '.join(phrases)}, {self.distance})"  # type: ignore[arg-type]
            return f"{TITLE} : {expr}" if self.field == TITLE else expr
        # Synonyms and stems are ORs, which FTS5 NEAR cannot hold: AND is a looser superset.
        return "(" + " AND ".join(op.fts() for op in self.operands) + ")"

    def positive_terms(self) -> list[str]:
        return [op.text for op in self.operands]

    def restrict_to_title(self) -> None:
        self.field = TITLE
        for op in self.operands:
            op.field = TITLE


def _find_clump(lists: Sequence[list[tuple[int, int]]], distance: int) -> tuple[int, int] | None:
    """One occurrence of every operand, at most `distance` tokens between the end of the first
    and the start of the last (FTS5's NEAR rule); returns the clump's token span or None."""
    starts = [[s for s, _ in spans] for spans in lists]
    for a, spans in enumerate(lists):
        for s, e in spans:
            last_start, last_end = s, e
            ok = True
            for b, bstarts in enumerate(starts):
                if b == a:
                    continue
                j = bisect_left(bstarts, s)
                if j == len(bstarts):
                    ok = False
                    break
                if bstarts[j] > last_start:
                    last_start = bstarts[j]
                last_end = max(last_end, lists[b][j][1])
            if ok and last_start - e <= distance:
                return (s, last_end)
    return None


@dataclass
class _And(_Node):
    children: list[_Node]
    pos: int = 0

    def eval(self, doc: TokenizedArticle) -> tuple[bool, list[_Hit]]:
        hits: list[_Hit] = []
        for child in self.children:
            ok, h = child.eval(doc)
            if not ok:
                return False, []
            hits.extend(h)
        return True, hits

    def fts(self) -> str | None:
        parts = [p for p in (c.fts() for c in self.children) if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    def positive_terms(self) -> list[str]:
        return [t for c in self.children for t in c.positive_terms()]

    def restrict_to_title(self) -> None:
        for c in self.children:
            c.restrict_to_title()


@dataclass
class _Or(_Node):
    children: list[_Node]
    pos: int = 0

    def eval(self, doc: TokenizedArticle) -> tuple[bool, list[_Hit]]:
        hits: list[_Hit] = []
        any_ok = False
        for child in self.children:  # no short cut: every matching alternative is reported
            ok, h = child.eval(doc)
            if ok:
                any_ok = True
                hits.extend(h)
        return any_ok, hits

    def fts_alternatives(self) -> list[str] | None:
        parts: list[str] = []
        for child in self.children:
            expr = child.fts()
            if expr is None:
                return None
            # flatten, so expansions shared by synonyms appear once
            pieces = child.fts_alternatives() if isinstance(child, _Term | _Or) else [expr]
            parts.extend(p for p in pieces if p not in parts)  # type: ignore[union-attr]
        return parts

    def fts(self) -> str | None:
        parts = self.fts_alternatives()
        if parts is None:
            return None
        return parts[0] if len(parts) == 1 else _or(parts)

    def positive_terms(self) -> list[str]:
        return [t for c in self.children for t in c.positive_terms()]

    def restrict_to_title(self) -> None:
        for c in self.children:
            c.restrict_to_title()


@dataclass
class _Not(_Node):
    child: _Node
    pos: int = 0

    def eval(self, doc: TokenizedArticle) -> tuple[bool, list[_Hit]]:
        ok, _ = self.child.eval(doc)
        return (not ok), []

    def fts(self) -> None:
        # FTS5's NOT would drop rows the (looser) prefilter of the child accepts but match()
        # rejects, breaking the superset; leaving the exclusion to match() is always safe.
        return None

    def positive_terms(self) -> list[str]:
        return []

    def restrict_to_title(self) -> None:
        self.child.restrict_to_title()


# --- Lexer ----------------------------------------------------------------------------------


@dataclass
class _Lex:
    kind: str  # WORD PHRASE AND OR NOT NEAR FIELD LPAREN RPAREN COMMA EOF
    value: str
    pos: int
    prefix: bool = False


_BARE_RE = re.compile(r'[^\s()",]+')
_OPERATORS = {"AND", "OR", "NOT"}


def _lex(src: str) -> list[_Lex]:
    out: list[_Lex] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c.isspace():
            i += 1
        elif c == "(":
            out.append(_Lex("LPAREN", c, i))
            i += 1
        elif c == ")":
            out.append(_Lex("RPAREN", c, i))
            i += 1
        elif c == ",":
            out.append(_Lex("COMMA", c, i))
            i += 1
        elif c == '"':
            close = src.find('"', i + 1)
            if close == -1:
                raise QuerySyntaxError("unterminated quote", i, src)
            body = src[i + 1 : close]
            end = close + 1
            prefix = False
            if end < n and src[end] == "*":
                prefix, end = True, end + 1
            stripped = body.rstrip()
            if stripped.endswith("*"):
                prefix, body = True, stripped[:-1]
            if "*" in body:
                raise QuerySyntaxError("'*' can only end a word", i + 1 + body.index("*"), src)
            out.append(_Lex("PHRASE", body, i, prefix))
            i = end
        else:
            m = _BARE_RE.match(src, i)
            assert m
            word = m.group()
            if word in _OPERATORS:
                out.append(_Lex(word, word, i))
            elif word == "NEAR" and src[m.end() :].lstrip().startswith("("):
                out.append(_Lex("NEAR", word, i))
            elif word.lower().startswith("title:"):
                out.append(_Lex("FIELD", TITLE, i))
                rest = word[len("title:") :]
                if rest == "NEAR" and src[m.end() :].lstrip().startswith("("):
                    out.append(_Lex("NEAR", rest, i + len("title:")))
                elif rest:
                    out.append(_word_lex(rest, i + len("title:"), src))
            else:
                out.append(_word_lex(word, i, src))
            i = m.end()
    out.append(_Lex("EOF", "", n))
    return out


def _word_lex(word: str, pos: int, src: str) -> _Lex:
    prefix = word.endswith("*")
    core = word[:-1] if prefix else word
    if "*" in core or not core:
        bad = core.index("*") if "*" in core else 0
        raise QuerySyntaxError("'*' can only end a word", pos + bad, src)
    return _Lex("WORD", core, pos, prefix)


# --- Parser ---------------------------------------------------------------------------------

MAX_DEPTH = 50  # keeps recursion far from Python's limit on hostile input
_STARTS_TERM = {"WORD", "PHRASE", "LPAREN", "NOT", "NEAR", "FIELD"}
_OP_NAMES = {"AND": "AND", "OR": "OR", "NOT": "NOT", "FIELD": "title:", "NEAR": "NEAR"}


class _Parser:
    def __init__(self, src: str, synonyms: dict[tuple[str, ...], list[tuple[str, ...]]]):
        self.src = src
        self.toks = _lex(src)
        self.i = 0
        self.depth = 0
        self.synonyms = synonyms

    def error(self, message: str, pos: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, pos, self.src)

    def peek(self) -> _Lex:
        return self.toks[self.i]

    def take(self) -> _Lex:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> _Node:
        if self.peek().kind == "EOF":
            raise self.error("empty query", 0)
        node = self.parse_or()
        tok = self.peek()
        if tok.kind == "RPAREN":
            raise self.error("unmatched ')'", tok.pos)
        if tok.kind == "COMMA":
            raise self.error("',' is only allowed before NEAR's distance", tok.pos)
        if tok.kind != "EOF":  # pragma: no cover - every other token starts a term
            raise self.error(f"unexpected {tok.value!r}", tok.pos)
        return node

    def parse_or(self) -> _Node:
        first = self.parse_and()
        children = [first]
        while self.peek().kind == "OR":
            self.take()
            children.append(self.parse_and())
        return first if len(children) == 1 else _Or(children, first.pos)

    def parse_and(self) -> _Node:
        first = self.parse_not()
        children = [first]
        while True:
            kind = self.peek().kind
            if kind == "AND":
                self.take()
            elif kind not in _STARTS_TERM:
                break
            children.append(self.parse_not())
        return first if len(children) == 1 else _And(children, first.pos)

    def parse_not(self) -> _Node:
        if self.peek().kind == "NOT":
            tok = self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.error(f"more than {MAX_DEPTH} nested NOTs and parentheses", tok.pos)
            node = _Not(self.parse_not(), tok.pos)
            self.depth -= 1
            return node
        return self.parse_primary()

    def missing_term(self, tok: _Lex) -> QuerySyntaxError:
        prev = self.toks[self.i - 1] if self.i > 0 else None
        if tok.kind in ("AND", "OR") and (prev is None or prev.kind in ("LPAREN", "AND", "OR")):
            return self.error(f"{tok.kind} has no term before it", tok.pos)
        if prev is not None and prev.kind in _OP_NAMES:
            return self.error(f"{_OP_NAMES[prev.kind]} has no term after it", prev.pos)
        if tok.kind == "RPAREN" and prev is not None and prev.kind == "LPAREN":
            return self.error("empty parentheses", prev.pos)
        if tok.kind == "RPAREN":
            return self.error("unmatched ')'", tok.pos)
        if tok.kind == "EOF":
            return self.error("query ends where a term was expected", tok.pos)
        return self.error(f"expected a term, found {tok.value!r}", tok.pos)

    def parse_primary(self) -> _Node:
        tok = self.peek()
        if tok.kind in ("WORD", "PHRASE"):
            self.take()
            return self.make_term(tok)
        if tok.kind == "LPAREN":
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.error(f"more than {MAX_DEPTH} nested NOTs and parentheses", tok.pos)
            if self.peek().kind == "RPAREN":
                raise self.error("empty parentheses", tok.pos)
            node = self.parse_or()
            close = self.peek()
            if close.kind != "RPAREN":
                if close.kind == "COMMA":
                    raise self.error("',' is only allowed before NEAR's distance", close.pos)
                raise self.error("'(' is never closed", tok.pos)
            self.take()
            self.depth -= 1
            return node
        if tok.kind == "FIELD":
            self.take()
            if self.peek().kind not in ("WORD", "PHRASE", "LPAREN", "NEAR", "FIELD"):
                raise self.error(
                    "title: must be followed by a word, phrase, group or NEAR", tok.pos
                )
            node = self.parse_primary()
            node.restrict_to_title()
            return node
        if tok.kind == "NEAR":
            return self.parse_near()
        raise self.missing_term(tok)

    def parse_near(self) -> _Near:
        near = self.take()
        self.take()  # '(' (the lexer only emits NEAR before one)
        operands: list[_Term] = []
        while self.peek().kind in ("WORD", "PHRASE"):
            operands.append(self.make_term(self.take()))
        tok = self.peek()
        if tok.kind == "RPAREN" or tok.kind == "EOF":
            raise self.error("NEAR needs a distance, as in NEAR(a b, 10)", near.pos)
        if tok.kind != "COMMA":
            raise self.error('NEAR takes only words and "phrases" before its distance', tok.pos)
        if len(operands) < 2:
            raise self.error("NEAR needs at least two words or phrases", near.pos)
        self.take()
        num = self.peek()
        if num.kind != "WORD" or not num.value.isdigit() or num.prefix:
            raise self.error("NEAR's distance must be a whole number", num.pos)
        self.take()
        if self.peek().kind != "RPAREN":
            raise self.error("NEAR( is never closed", near.pos)
        self.take()
        return _Near(operands, int(num.value), near.pos)

    def make_term(self, tok: _Lex) -> _Term:
        words = tuple(textnorm.words(tok.value))
        if not words:
            raise self.error(f"{tok.value!r} has no letters or digits", tok.pos)
        written = tok.value.strip() + ("*" if tok.prefix else "")
        if tok.prefix:
            alts: tuple[_Alt, ...] = (_Alt(words, prefix=True),)
        else:
            members = self.synonyms.get(words, [words])
            # a quoted word means exactly that word: no affixed forms
            alts = tuple(_make_alt(m, stemmed=tok.kind == "WORD") for m in members)
        return _Term(written, alts, tok.pos)


def _make_alt(words: tuple[str, ...], stemmed: bool = True) -> _Alt:
    """An exact alternative, with stem matching for a single plain Indonesian word."""
    if stemmed and len(words) == 1:
        w = words[0]
        if w.isascii() and w.isalpha():
            s = textnorm.stem(w)
            if len(s) >= textnorm.MIN_STEM_LEN and any(v in s for v in "aeiou"):
                return _Alt(words, stem=s, patterns=textnorm.affix_patterns(s))
    return _Alt(words)


def _synonym_map(groups: Iterable[Sequence[str]] | None) -> dict:
    table: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for g, group in enumerate(groups or ()):
        members = []
        for member in group:
            words = tuple(textnorm.words(str(member)))
            if not words:
                raise QuerySyntaxError(
                    f"synonym group {g + 1}: member {member!r} has no letters or digits", 0
                )
            if words not in members:
                members.append(words)
        for m in members:
            bucket = table.setdefault(m, [m])
            bucket.extend(x for x in members if x not in bucket)
    return table


# --- Public API -----------------------------------------------------------------------------


class Query:
    """A parsed query: match articles with `match`, prefilter an FTS5 table with `to_fts5`."""

    def __init__(self, source: str, root: _Node):
        self.source = source
        self._root = root
        fts = root.fts()
        assert fts is not None
        self._fts = fts

    def __repr__(self) -> str:
        return f"Query({self.source!r})"

    def match(
        self, title: str | None, text: str | None, *, marks: tuple[str, str] | None = None
    ) -> MatchResult | None:
        """The match on one article's clean title and text, or None. With `marks`, the
        snippet wraps each matched term's first place in the text in them (search output)."""
        return self.match_article(TokenizedArticle(title, text), marks=marks)

    def match_article(
        self, doc: TokenizedArticle, *, marks: tuple[str, str] | None = None
    ) -> MatchResult | None:
        """Like `match`, on an article already tokenised (see `match_many`)."""
        ok, hits = self._root.eval(doc)
        if not ok:
            return None
        hits.sort(key=lambda h: h.order)
        # "ASN OR PNS" on a text with only "ASN": PNS matched only as ASN's synonym; say ASN once.
        found_as_written = {h.group for h in hits if h.own}
        terms: list[str] = []
        for h in hits:
            if h.term not in terms and (h.own or h.group not in found_as_written):
                terms.append(h.term)
        spans = [h.text_span for h in hits if h.text_span is not None]
        if marks and spans:
            return MatchResult(terms, _marked_snippet(doc, spans, marks))
        return MatchResult(terms, _snippet(doc, min(spans) if spans else None))

    def to_fts5(self) -> str:
        """FTS5 MATCH expression for `articles_fts(title, text)` accepting every article
        `match()` accepts (and maybe more: run `match()` on the candidates)."""
        return self._fts

    def terms(self) -> list[str]:
        """The positive terms as written (not those under NOT), in query order, once each."""
        out: list[str] = []
        for t in self._root.positive_terms():
            if t not in out:
                out.append(t)
        return out


def _snippet(doc: TokenizedArticle, span: tuple[int, int] | None) -> str:
    fi = doc.text
    if not fi.text.strip():
        return textnorm.snippet(doc.title.text, 0, 0)
    if span is None:
        return textnorm.snippet(fi.text, 0, 0)
    start = fi.span(span[0])[0]
    end = fi.span(span[1] - 1)[1]
    return textnorm.snippet(fi.text, start, end)


def _marked_snippet(
    doc: TokenizedArticle, spans: list[tuple[int, int]], marks: tuple[str, str]
) -> str:
    """The snippet around the first matched term, each matched term wrapped in `marks`."""
    fi = doc.text
    chars = sorted((fi.span(a)[0], fi.span(b - 1)[1]) for a, b in spans)
    merged: list[tuple[int, int]] = []
    for a, b in chars:  # phrases that overlap or touch become one marked run
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    out: list[str] = []
    pos = 0
    for a, b in merged:
        out += [fi.text[pos:a], marks[0], fi.text[a:b], marks[1]]
        pos = b
    out.append(fi.text[pos:])
    start, end = merged[0]  # nothing is inserted before the first run
    return textnorm.snippet("".join(out), start, end + len(marks[0]) + len(marks[1]))


def parse_query(text: str, synonyms: list[list[str]] | None = None) -> Query:
    """Parse `text` once; raise QuerySyntaxError naming what is wrong and where.

    `synonyms` are groups of interchangeable terms (topics.yaml): a query term equal to any
    member of a group matches any member.
    """
    if not isinstance(text, str):
        raise QuerySyntaxError("query must be text", 0)
    root = _Parser(text, _synonym_map(synonyms)).parse()
    if root.fts() is None:
        raise QuerySyntaxError(
            "query has no required positive term (a query of only NOT parts matches "
            "nearly every article)",
            root.pos,
            text,
        )
    return Query(text, root)


def match_many(
    queries: Sequence[Query], title: str | None, text: str | None
) -> list[MatchResult | None]:
    """Match several queries against one article, tokenising it once."""
    doc = TokenizedArticle(title, text)
    return [q.match_article(doc) for q in queries]
