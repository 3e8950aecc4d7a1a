"""The helpers every fixture builder shares, so a markup or path rule lives in one place.

Used by pantau/sample_sites/_build.py, tests/fixtures/sites/_build.py, _build_blogger.py and
tests/extraction/make_seed_pages.py (`make fixtures` runs them all). It lives in the package,
not in tests/, so the package's own builder never imports from tests/; nothing imports it at
run time. Sources are files of the repository or of `../shared/` beside the repository root,
never a machine path; `--shared DIR` points the builders at another copy of it.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
from datetime import datetime
from pathlib import Path

import lxml.html
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]  # the repository root
SHARED = ROOT.parent / "shared"  # ../shared/ beside the repository root
CASES = ROOT / "tests" / "extraction" / "cases"
B = "{{BASE}}"  # the site's base URL, filled in by pantau.fixtureweb when it serves a file

ID_DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
ID_MONTHS = [
    "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
    "September", "Oktober", "November", "Desember",
]  # fmt: skip


def set_shared(path: Path) -> None:
    """Read corpus pages and seeds from `path` instead of ../shared/."""
    global SHARED
    SHARED = path


def cli(doc: str | None, default_out: Path) -> Path:
    """Parse a builder's `--out DIR` (default: the committed folder) and `--shared DIR`."""
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument(
        "--out", type=Path, default=default_out, help="write here (default: %(default)s)"
    )
    ap.add_argument("--shared", type=Path, default=SHARED, help="../shared/ (default: %(default)s)")
    args = ap.parse_args()
    set_shared(args.shared)
    return args.out


# ----------------------------------------------------------------------------- sources


def corpus(name: str) -> str:
    """A saved page of ../shared/corpus/pages."""
    return (SHARED / "corpus" / "pages" / name).read_text(encoding="utf-8", errors="replace")


def seed_path(name_or_index: str | int) -> Path:
    """A seed text of ../shared/seeds, by file name or by its number (0 -> 000_*.txt)."""
    if isinstance(name_or_index, int):
        return next((SHARED / "seeds").glob(f"{name_or_index:03d}_*.txt"))
    return SHARED / "seeds" / name_or_index


def seed_lines(i: int) -> list[str]:
    """The non-blank lines of seed i, no-break spaces made plain."""
    text = seed_path(i).read_text(encoding="utf-8").replace("\xa0", " ")
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def case(name: str) -> tuple[str, list[str]]:
    """(title, paragraphs) of an extraction case's clean reference text."""
    meta_ = json.loads((CASES / f"{name}.json").read_text(encoding="utf-8"))
    text = (CASES / f"{name}.reference.txt").read_text(encoding="utf-8")
    title = meta_["title"].rstrip('\\"').strip()
    return title, [p.strip() for p in text.split("\n\n") if p.strip()]


# ----------------------------------------------------------------------------- text


def esc(s: str) -> str:
    return html.escape(s, quote=True)


def paras(items: list[str], cls: str = "") -> str:
    """<p> per item; an item that is already markup (starts with "<") goes in as it is."""
    c = f' class="{cls}"' if cls else ""
    return "\n".join(p if p.startswith("<") else f"<p{c}>{esc(p)}</p>" for p in items)


def slugify(title: str, limit: int | None = 80) -> str:
    """URL slug of a title: lower-case ASCII words joined by "-", cut to `limit` characters."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug if limit is None else slug[:limit].rstrip("-")


def id_date(iso: str, with_time: bool = False, zone: str = "") -> str:
    """'Kamis, 7 Maret 2024' (and ' 10:15 WIB' with a time and zone), as the outlets print it."""
    d = datetime.fromisoformat(iso)
    s = f"{ID_DAYS[d.weekday()]}, {d.day} {ID_MONTHS[d.month - 1]} {d.year}"
    if with_time:
        s += f" {d:%H:%M}" + (f" {zone}" if zone else "")
    return s


# ----------------------------------------------------------------------------- markup


def parse(src: str, base_url: str | None = None) -> lxml.html.HtmlElement:
    """A template page; with base_url its links become absolute (off-site unless replaced)."""
    doc = lxml.html.document_fromstring(src)
    if base_url:
        doc.make_links_absolute(base_url, resolve_base_href=True)
    return doc


def one(doc, xp: str):
    """The first match of xp; a template that lost the element fails the build loudly."""
    found = doc.xpath(xp)
    if not found:
        raise LookupError(xp)
    return found[0]


def drop(doc, xp: str) -> None:
    for el in doc.xpath(xp):
        el.drop_tree()


def set_inner(el, fragment: str) -> None:
    """Replace el's children and text with the parsed fragment."""
    for child in list(el):
        el.remove(child)
    el.text = None
    frags = lxml.html.fragments_fromstring(fragment) if fragment.strip() else []
    last = None
    for fr in frags:
        if isinstance(fr, str):
            if last is None:
                el.text = (el.text or "") + fr
            else:
                last.tail = (last.tail or "") + fr
        else:
            el.append(fr)
            last = fr


def meta(doc, attr: str, key: str, value: str | None) -> None:
    """Set (or with None remove) <meta attr=key content=value>; create it in <head> if missing."""
    found = doc.xpath(f'//meta[@{attr}="{key}"]')
    if value is None:
        for m in found:
            m.drop_tree()
        return
    if not found:
        m = etree.SubElement(one(doc, "//head"), "meta")
        m.set(attr, key)
        found = [m]
    for m in found:
        m.set("content", value)


def link_rel(doc, rel: str, href: str | None) -> None:
    """Set (or with None remove) <link rel=rel href=href>; create it in <head> if missing."""
    found = doc.xpath(f'//link[@rel="{rel}"]')
    if href is None:
        for el in found:
            el.drop_tree()
        return
    if not found:
        el = etree.SubElement(one(doc, "//head"), "link")
        el.set("rel", rel)
        found = [el]
    for el in found:
        el.set("href", href)


def serialize(doc) -> str:
    return lxml.html.tostring(doc, encoding="unicode", doctype="<!DOCTYPE html>") + "\n"


# ----------------------------------------------------------------------------- site files


def robots(disallow: list[str], sitemaps: list[str] = ()) -> str:
    lines = ["User-agent: *", *[f"Disallow: {d}" for d in disallow], ""]
    lines += [f"Sitemap: {B}{s}" for s in sitemaps]
    return "\n".join(lines) + "\n"


def urlset(paths: list[str], lastmod: str | None = None) -> str:
    lm = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
    urls = "".join(f"<url><loc>{B}{p}</loc>{lm}</url>\n" for p in paths)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + urls + "</urlset>\n"
    )


def sitemapindex(paths: list[str], lastmod: str | None = None) -> str:
    lm = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
    items = "".join(f"<sitemap><loc>{B}{p}</loc>{lm}</sitemap>\n" for p in paths)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + items
        + "</sitemapindex>\n"
    )


class SiteFiles:
    """One fixture site's files and its site.json (the format pantau.fixtureweb serves)."""

    def __init__(self, name: str, **meta_: object):
        self.name = name
        self.meta: dict = {"name": name, **meta_, "articles": [], "routes": []}
        self.files: dict[str, str] = {}

    def add(self, rel: str, text: str) -> None:
        self.files[rel] = text

    def write(self, root: Path) -> int:
        """Replace root/<name>/ with the site; returns the number of files besides site.json."""
        out = root / self.name
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        self.meta["articles"].sort(key=lambda a: a["published"], reverse=True)
        for rel, text in self.files.items():
            p = out / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
        (out / "site.json").write_text(
            json.dumps(self.meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        return len(self.files)
