"""Near-duplicate detection: MinHash signatures and LSH bands kept in the archive.

Why bands in SQLite and not an in-memory index: a cron run starts cold every hour, and at a
million articles rebuilding an in-memory LSH index would cost more than the crawl. Band
buckets are indexed rows, so a lookup is `BANDS` indexed probes plus a few signature checks.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import MinHash

NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS  # 4 rows a band: candidate threshold about (1/32)^(1/4) = 0.42
SHINGLE = 3
JACCARD_THRESHOLD = 0.5
_WORD = re.compile(r"\w+", re.UNICODE)
_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=1)


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _drop_mark(m: re.Match[str]) -> str:
    return "" if unicodedata.combining(m.group()) else m.group()


@lru_cache(maxsize=8)  # the hash and the signature of one text normalise it once
def normalise_text(text: str) -> str:
    """Lower-case, diacritics stripped, whitespace folded: what 'the same text' means."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # combining marks are never ASCII: look only at the few characters that are not
    return " ".join(_NON_ASCII.sub(_drop_mark, decomposed).split())


def content_hash(text: str) -> str:
    """Stable hash of the clean text, blind to case, accents and spacing."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def shingles(text: str) -> set[bytes]:
    words = _WORD.findall(normalise_text(text))
    if len(words) < SHINGLE:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + SHINGLE]).encode() for i in range(len(words) - SHINGLE + 1)}


@dataclass
class Signature:
    values: np.ndarray  # uint32[NUM_PERM]

    def to_bytes(self) -> bytes:
        return self.values.astype("<u4").tobytes()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Signature:
        return cls(np.frombuffer(raw, dtype="<u4").astype(np.uint64))

    def jaccard(self, other: Signature) -> float:
        return float(np.count_nonzero(self.values == other.values)) / NUM_PERM

    def band_buckets(self) -> list[tuple[int, int]]:
        """(band, bucket) pairs; bucket is a signed 63-bit hash so SQLite stores it as INTEGER."""
        out = []
        raw = self.values.astype("<u4")
        for b in range(BANDS):
            chunk = raw[b * ROWS : (b + 1) * ROWS].tobytes()
            h = int.from_bytes(hashlib.blake2b(chunk, digest_size=8).digest(), "little")
            out.append((b, h & 0x7FFFFFFFFFFFFFFF))
        return out


def signature(text: str) -> Signature | None:
    """MinHash of the word 3-shingles; None for texts too short to compare meaningfully."""
    sh = shingles(text)
    if len(sh) < 8:
        return None
    m = MinHash(num_perm=NUM_PERM, permutations=_TEMPLATE.permutations, scheme=_TEMPLATE.scheme)
    m.update_batch(list(sh))
    return Signature(m.hashvalues.astype(np.uint64))
