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

NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS  # 4 rows a band: candidate threshold about (1/32)^(1/4) = 0.42
SHINGLE = 3
JACCARD_THRESHOLD = 0.5
_WORD = re.compile(r"\w+", re.UNICODE)


# MinHash as datasketch (>= 2.0, scheme "affine32", seed 1) computes it, bit for bit
# (tests/test_storage.py checks against datasketch itself): SHA-1's first 32 bits of each
# shingle, the MurmurHash3 32-bit finalizer, then a_k * h + b_k in uint32. Written out here
# because importing datasketch imports scipy for its LSH classes: about 50 MB in every crawl
# process, for code Pantau never runs.
def _permutations(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


_A, _B = _permutations()


def _fmix32(hv: np.ndarray) -> np.ndarray:
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    return hv ^ (hv >> np.uint32(16))


def minhash_values(items: list[bytes]) -> np.ndarray:
    """uint32[NUM_PERM]: the minimum of each permutation over the items' hashes."""
    hv = np.fromiter(
        (int.from_bytes(hashlib.sha1(x).digest()[:4], "little") for x in items),
        dtype=np.uint32,
        count=len(items),
    ).reshape(-1, 1)
    with np.errstate(over="ignore"):  # uint32 wrap-around is the arithmetic mod 2^32
        return (_fmix32(hv) * _A + _B).min(axis=0)


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
    return Signature(minhash_values(list(sh)).astype(np.uint64))
