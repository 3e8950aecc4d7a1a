"""The one table of cleaning rules: phrase patterns and prune XPaths, per template.

Everything an editor may want to tune lives here, as data, so a new outlet is usually one more
entry rather than new code. Most rules are *generic*: label words ("Baca juga", "Editor:") that
every Indonesian newsroom uses, and CSS-class families that CMSs share. Template entries only
add to the generic ones; they never replace them.

Structural passes (link density, header zone before the dateline, repeated blocks, body-end
furniture) are code in `pipeline.cleaning`; their thresholds are at the bottom of this file.
"""

from __future__ import annotations

import re


def _cls(*tokens: str) -> str:
    """XPath test: the element's class contains one of these tokens as a whole word."""
    return " or ".join(
        f"contains(concat(' ', normalize-space(@class), ' '), ' {t} ')" for t in tokens
    )


def _cls_prefix(*prefixes: str) -> str:
    """XPath test: some class (or id) starts with one of these prefixes."""
    parts = []
    for p in prefixes:
        parts.append(f"contains(concat(' ', normalize-space(@class)), ' {p}')")
        parts.append(f"starts-with(@id, '{p}')")
    return " or ".join(parts)


_UP, _LO = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"

# Headings that open a box of other stories ("Berita Lainnya" + a list of teasers).
RELATED_LABELS = [
    "baca juga",
    "berita lainnya",
    "berita terkait",
    "artikel terkait",
    "artikel lainnya",
    "berita terkini",
    "berita terbaru",
    "artikel terbaru",
    "terpopuler",
    "populer",
    "rekomendasi",
    "pilihan editor",
    "pilihan redaksi",
    "headline",
    "topik terkait",
    "berita populer",
    "most popular",
    "related",
    "lihat juga",
    "simak juga",
    "video terkait",
]


def _label_box() -> str:
    """XPath: a container whose first child is a short related-stories label, and which holds
    no long paragraph (so an article body that happens to start with such a word survives)."""
    label = f"translate(normalize-space(.), '{_UP}', '{_LO}')"
    tests = " or ".join(f"{label}='{w}' or starts-with({label}, '{w}:')" for w in RELATED_LABELS)
    return (
        "//*[self::div or self::section or self::aside or self::ul]"
        f"[*[1][string-length(normalize-space(.)) < 40 and ({tests})]]"
        "[not(.//p[string-length(normalize-space(.)) > 300])]"
    )


# --- prune rules (elements removed before trafilatura sees the page) ---------------------------
# Per template: whole class tokens, class/id prefixes, ids, and structural XPaths. Class and id
# rules are applied in one Python pass over the tree (`pipeline.cleaning.prune_tree`); they are
# the same rules `prune_xpaths()` spells as XPath, which costs ~10x more to evaluate. The XPaths
# of "xpaths" are handed to trafilatura's prune_xpath as they are.

PRUNE: dict[str, dict[str, list[str]]] = {
    "generic": {
        "classes": [
            # captions and credits of photos
            "caption",
            "wp-caption-text",
            "photo-caption",
            "img-caption",
            "credit",
            # tag lists, related posts, comment widgets, view counters
            "tags",
            "tag-list",
            "post-tags",
            "tagcloud",
            "sharedaddy",
            "jp-relatedposts",
            "comments",
            "comment-respond",
            "comments-area",
            "post-views",
            "views",
            "breadcrumb",
            "breadcrumbs",
            "pagination",
            "paging",
            "page-numbers",
            # "today" widgets in site headers (date and weather) fool date extraction and leak
            "td-weather-top-widget",
            "td_data_time",
            "header-date",
            "weather",
        ],
        "prefixes": ["baca-juga", "bacajuga", "related", "share", "social-share"],
        # class tokens that merely *contain* these ("photo__caption", "box-baca-juga"); applied
        # only to elements with little text, so a wrapper named "with-captions" survives
        "substrings": [
            "caption",
            "keterangan",
            "baca-juga",
            "bacajuga",
            "read-also",
            "readalso",
            "berita-terkait",
            "related-post",
            "share-button",
            "sharebar",
            # pop-up dialogs (account verification, newsletter, cookie consent) printed after
            # the article in the page source: "kgmModal", "modal-body", "popup-newsletter"
            "modal",
            "popup",
        ],
        "ids": ["comments", "respond", "disqus_thread"],
        "xpaths": ["//figcaption", "//aside", "//nav", "//footer", "//form"],
    },
    "wordpress": {
        "classes": [
            "td-post-sharing",
            "td-post-source-tags",
            "td-post-next-prev",
            "td-author-name",
            "td-post-views",
            "td-related-title",
            "td_block_related_posts",
            "entry-meta",
            "post-meta",
            "jeg_share_button",
            "jeg_post_tags",
            "post-navigation",
            "nav-links",
            "author-box",
            "yarpp-related",
        ],
    },
    "tribun": {
        "classes": ["paging", "bottom-comment", "sharecot", "socmed"],
        "xpaths": ["//*[@id='article_con']//*[starts-with(normalize-space(.), 'Baca:')]"],
    },
    "antara": {"classes": ["tags-wrapper", "quick-share", "blog-tags"]},
    # Blogger's own widget markup, the same in every theme (Simple, Contempo, Soho ...): the
    # post footer and header bylines ("Diposkan oleh", "Label:", share buttons), Blogger's
    # caption table under a photo, the comments, the pager and the sidebar widgets (whose
    # popular-post snippets are other posts' first sentences).
    "blogger": {
        "classes": [
            "post-footer",
            "post-share-buttons",
            "share-buttons",
            "byline",
            "post-labels",
            "jump-link",
            "tr-caption",
            "tr-caption-container",
            "comment-form",
            "blog-pager",
            "feed-links",
            "post-feeds",
            "PopularPosts",
            "popular-posts",
            "BlogArchive",
            "Label",
            "Attribution",
            "ReportAbuse",
        ],
        "ids": ["comment-holder", "blog-pager", "ArchiveList"],
    },
    "kompas": {"classes": ["read__others", "kcm__others", "read__tagging", "ads-partner-wrap"]},
    "detik": {
        "classes": ["list_berita_terkait", "box_tag", "newstag", "detikcom-box", "lihatjg"],
        "xpaths": [
            f"//*[{_cls('list', 'list_feed', 'newsfeed', 'box_terkait', 'lbl_pop')}]"
            "[not(ancestor-or-self::*[@id='detikdetailtext'])]",
        ],
    },
}


def prune_rules(template: str) -> dict[str, list[str]]:
    """Generic prune rules merged with the template's own."""
    out: dict[str, list[str]] = {k: list(v) for k, v in PRUNE["generic"].items()}
    if template != "generic":
        for k, v in PRUNE.get(template, {}).items():
            out.setdefault(k, []).extend(v)
    return out


def prune_xpaths(template: str) -> list[str]:
    """All prune rules of a template spelt as XPath (the slow but self-contained form)."""
    r = prune_rules(template)
    out = list(r.get("xpaths", []))
    if r.get("classes"):
        out.append(f"//*[{_cls(*r['classes'])}]")
    if r.get("prefixes"):
        out.append(f"//*[{_cls_prefix(*r['prefixes'])}]")
    if r.get("ids"):
        out.append("//*[" + " or ".join(f"@id='{i}'" for i in r["ids"]) + "]")
    out.append(_label_box())
    return out


# --- phrase rules (applied to each paragraph of the extracted body) ---------------------------
# (rule name, regex) ; a paragraph matching the regex is furniture and removed whole.

LINE_RULES: dict[str, list[tuple[str, str]]] = {
    "generic": [
        # "Baca juga: <title>", "BACA JUGA >> ", "Baca: <title>", "Simak Video: ", "Lihat Juga".
        # The verb alone is prose ("Lihat saja data BKN ..."): it needs a label word after it
        # ("juga", "selengkapnya", "berita lainnya") or a separator (":", ">>", "|", "-").
        (
            "read_also",
            r"^\W{0,3}(baca|simak|lihat|cek|klik|tonton|saksikan)"
            r"((\s+(juga|pula|selengkapnya|lengkapnya|selanjutnya|berita|artikel|video|lainnya"
            r"|di ?sini|ini))+\s*[:>»|\-–—]*|\s*[:>»|\-–—]+)(\s|$)",
        ),
        (
            "related_heading",
            r"^\W{0,3}(berita|artikel|topik|video|foto|konten|tulisan|info)"
            r"( yang)? (terkait|lainnya|terpopuler|terbaru|terkini|pilihan|menarik|rekomendasi)"
            r"\b.{0,60}$",
        ),
        (
            "related_heading",
            r"^\W{0,3}(terpopuler|terkini|trending|populer|rekomendasi|pilihan (redaksi|editor)"
            r"|paling (banyak dibaca|populer)|most popular|related)\W{0,3}$",
        ),
        # syndication: "Artikel ini telah tayang di X.com dengan judul ...", "Berita ini sudah terbit"
        (
            "syndication",
            r"^\W{0,3}(artikel|berita|tulisan|konten) ini (telah |sudah |pertama kali |juga )*"
            r"(tayang|terbit|dimuat|diterbitkan|ditayangkan|dipublikasikan)",
        ),
        # promos for the outlet's channels: "Dapatkan update berita ... Grup Telegram", "Ikuti
        # berita terkini ... di Google News", "Simak breaking news ... WhatsApp Channel"
        (
            "follow_us",
            r"^\W{0,3}(dapatkan|ikuti|simak|baca|follow|gabung|bergabung|mari|yuk|jangan lupa)"
            r"\b.{0,200}\b(google news|telegram|whatsapp channel|saluran whatsapp|line today"
            r"|youtube channel|instagram|tiktok)\b",
        ),
        ("follow_us", r"(dapatkan|ikuti) (update|berita|informasi|kabar).{0,120}google news"),
        ("follow_us", r"^\W{0,3}(ikuti|follow) (kami|kita|akun)\b.{0,80}$"),
        ("ad_marker", r"^\W{0,3}(advertisements?|iklan|sponsored|scroll to continue.*)\W{0,3}$"),
        ("ad_marker", r"^\W{0,3}(scroll|gulir) (ke bawah|untuk|to)\b.{0,60}$"),
        (
            "view_counter",
            r"\b\d[\d.,]*\s*(x\s*)?(dilihat|kali dilihat|kali dibaca|views?|pembaca)\W*$",
        ),
        ("view_counter", r"^\W{0,3}(dibaca|dilihat|views?)\s*:?\s*\d[\d.,]*\s*(kali|x)?\W*$"),
        # share bars: "Bagikan:", "Share: Facebook Twitter WhatsApp", "Bagikan artikel ini"
        (
            "share_bar",
            r"^\W{0,3}(share|bagikan|sebarkan|share this|tweet|whatsapp)( artikel| berita| ini)*"
            r"\W{0,3}((facebook|twitter|whatsapp|telegram|line|linkedin|email|e-mail|x|copy link"
            r"|salin tautan|salin link|pinterest)\W{0,3})*$",
        ),
        # comment widgets: the whole line is the label ("Komentar" alone, "Tulis Komentar")
        (
            "comment_widget",
            r"^\W{0,3}(tinggalkan balasan|tinggalkan komentar|komentar|komentari|kirim komentar"
            r"|beri komentar|berikan komentar|tulis komentar|lihat komentar|tampilkan komentar"
            r"|leave a reply|\d+ komentar|komentar \(\d+\))( anda| di ?sini)?\W{0,3}$",
        ),
        # the comment form of WordPress-family CMSs (its own words, in Indonesian and English)
        (
            "comment_widget",
            r"^\W{0,3}(alamat email anda tidak akan (dipublikasikan|ditampilkan)"
            r"|your email address will not be published|ruas yang wajib ditandai"
            r"|simpan nama, email,? dan situs web saya|batalkan balasan|cancel reply)",
        ),
        ("copyright", r"(©|\(c\)|copyright\b).{0,120}$"),
        ("copyright", r"^.{0,80}all rights? reserved\W*$"),
        ("pagination", r"^\W{0,3}halaman(\s*(\d+|selanjutnya|berikutnya|sebelumnya|:))*\W*$"),
        ("pagination", r"^\W{0,3}(\d\s*){2,12}$"),
        ("pagination", r"^\W{0,3}(selanjutnya|berikutnya|next|sebelumnya|prev|load more)\W{0,6}$"),
        ("pagination", r"^\W{0,3}(tampilkan semua|lihat semua|show all)\b.{0,40}$"),
        ("video_promo", r"^\W{0,3}(cek|tonton|saksikan|simak) video\b.{0,80}$"),
        # a headline in a list, stamped with its date: "Kamis, 05/11/2015 09:25 WIB Judul ..."
        (
            "dated_headline",
            r"^\W{0,3}\d{0,2}\s*(senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu),?\s+"
            r"\d{1,2}[/ -]\w+[/ -]\d{2,4},?\s+\d{1,2}[:.]\d\d\b.{0,140}$",
        ),
        ("hashtag_line", r"^(#\w+\s*){1,8}$"),
        ("tag_line", r"^\W{0,3}(tags?|topik|kata kunci|keywords?|label)\s*[:#]"),
        ("credit_only", r"^\(?(foto|photo|ilustrasi|sumber foto|dok|dokumentasi)\s*[:/].{0,80}$"),
        # a short credit under a picture: "Ilustrasi shutterstock.com", "Foto Istimewa" (no
        # sentence punctuation: "Foto kegiatan itu diunggah ke media sosial." is prose)
        (
            "credit_only",
            r"^\W{0,3}(ilustrasi|foto|photo|gambar|image|dok|dokumentasi)\b[^.!?]{0,40}"
            r"(\.(com|co\.id|id))?$",
        ),
        (
            "credit_only",
            r"^[^.!?]{0,40}\b(shutterstock|getty ?images|istock(photo)?|unsplash|freepik|pexels"
            r"|pixabay)\b(\.com)?[^.!?]{0,30}$",
        ),
        # a date (and time) alone: the header's publication row or a "today" widget
        (
            "date_line",
            r"^\W{0,3}((diperbarui|dipublikasikan|diterbitkan|terbit|published|updated|posted)"
            r"\s*:?\s*(pada\s*)?)?((senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu),?\s*)?"
            r"(\d{1,2}\s*[/ .-]\s*(\d{1,2}|[a-z]{3,9})\.?\s*[/ .-]\s*\d{2,4}"
            r"|[a-z]{3,9}\.? \d{1,2},? \d{4})"
            r"(\s*[|,•-]?\s*(pukul\s*)?\d{1,2}[:.]\d\d(\s*(wib|wita|wit))?)?\W{0,3}$",
        ),
    ],
    "wordpress": [
        ("related_heading", r"^\W{0,3}(related posts?|you may also like|baca lainnya)\W*$"),
    ],
    "tribun": [
        ("citizen_reporter", r"^\W{0,3}citizen reporter\W*$"),
        ("pagination", r"^\W{0,3}(lihat|baca) (halaman|artikel) (selanjutnya|utuh|lengkap)\b.*$"),
    ],
    "antara": [],
    "kompas": [
        ("read_also", r"^\W{0,3}kompas\.com\s*-\s*$"),
    ],
    "detik": [
        ("read_also", r"^\W{0,3}(simak juga|lihat juga|tonton juga)\b.*$"),
    ],
}

# Byline lines: moved into metadata (author/editor), never kept in the text.
# (field, regex with a 'name' group); "Penulis: X", "Editor: Y", "Pewarta: Z", "(Penulis: X)".
BYLINE_RULES: list[tuple[str, str]] = [
    (
        "author",
        r"^\W{0,3}(penulis|pewarta|reporter|wartawan|laporan wartawan|kontributor|oleh)"
        r"\s*[:|]?\s*[:|]\s*(?P<name>[^|]{2,80}?)\W*$",
    ),
    (
        "editor",
        r"^\W{0,3}(editor|penyunting|redaktur|editing)\s*[:|]?\s*[:|]\s*(?P<name>[^|]{2,80}?)\W*$",
    ),
    ("source", r"^\W{0,3}(sumber|source)\s*[:|]\s*(?P<name>.{2,80}?)\W*$"),
    (
        "photo",
        r"^\W{0,3}(foto|fotografer|video|videografer|grafis)\s*[:|]\s*(?P<name>.{2,60}?)\W*$",
    ),
]

# A photo caption: a paragraph ending in a credit such as "(Foto Antara Kalteng/Gusti Jainal)",
# "(ANTARA FOTO/Budi)", "Foto: Grammy", "(Dok. Humas)", "(Istimewa)".
CAPTION_CREDIT = (
    r"(\((foto|antara foto|antara|dok\.?|dokumentasi|istimewa|ist|ilustrasi|sumber)"
    r"\b[^()]{0,60}\)|\b(foto|photo|dok|sumber foto)\s*:\s*[\w .,/@&-]{2,50})\W{0,3}$"
)

# A credit line on its own: "TRIBUNPONTIANAK.CO.ID/ISTIMEWA", "ANTARA/Gusti", "KOMPAS.com/Ira".
# "ANTARA FOTO/Muhammad Iqbal/foc." has several parts.
CREDIT_LINE = (
    r"^[A-Z0-9][A-Za-z0-9 .&-]{1,40}(\.[A-Za-z]{2,6})*(\s?/\s?[A-Za-z][\w .,'-]{1,40}){1,3}$"
)

# Datelines that open an Indonesian news body; blocks before it are header furniture.
DATELINE_PATTERNS: list[str] = [
    # "PALANGKA RAYA – ...", "PONTIANAK -Kepala", "BANDUNG BARAT – ...", "KUTA, KOMPAS.com — ..."
    r"^[A-Z][A-Z.'’ ]{2,40}(,\s*[A-Za-z0-9]+\.(?i:com|co\.id|id|net))?\s*(\([^)]{2,40}\))?\s*[-–—]{1,2}",
    # "Sukamara (Antara Kalteng) - ...", "Mataram, NTB (ANTARA News) - ...", "Bengkulu, (Site.com)"
    r"^[A-Z][\w.'’ ]{1,30}(,\s*[\w ]{2,30})?,?\s*\([^)]{2,40}\)\s*([-–—]{1,2}|\s)",
    # "TRIBUNSOLO.COM, JAKARTA -- ...", "REPUBLIKA.CO.ID, JAKARTA -- ", "Liputan6.com, Jakarta - "
    r"^[A-Za-z0-9]+\.(?i:com|co\.id|id|net)\s*,\s*[A-Za-z][\w ]{1,30}\s*([-–—]{1,2}|\s)",
    # "Merdeka.com - ...", "VIVA.co.id – ..."
    r"^[A-Za-z0-9]+\.(?i:com|co\.id|id|net)\s*[-–—]{1,2}",
    # "Ratatotok – Pemerintah ..." (Title-case place, spaced dash)
    r"^[A-Z][a-z]+( [A-Z][a-z]+){0,2} [–—-] [A-Z]",
]

# A dateline printed as its own line ("Jakarta -", "JAKARTA, KOMPAS.com -"): the body follows.
DATELINE_STUB = r"^[A-Z][\w.'’ ]{1,30}(,\s*[\w.]{2,30})?\s*[-–—]{1,2}\s*$"

# Words that mark Indonesian text (for the language field).
ID_STOPWORDS = frozenset(
    "yang dan di dengan untuk ini itu dari dalam tidak akan pada juga ke karena oleh adalah "
    "sebagai bahwa atau kami mereka telah sudah bisa ada saat tersebut kata menurut".split()
)

# --- thresholds of the structural passes --------------------------------------------------------
LINK_DENSITY_MAX = 0.6  # a short paragraph mostly made of link text is a related-link line
LINK_LINE_MAX_WORDS = 30  # ...when it has at most this many words
HEADER_ZONE_MAX_BLOCKS = 10  # the dateline must come within the first N blocks
HEADER_ZONE_MAX_WORDS = 120  # and what precedes it must be this short to be dropped
DATE_ROW_MAX_BLOCK = 5  # a date-only line this early is the header's publication row...
DATE_ROW_MAX_WORDS = 40  # ...and the few words before it (channel, excerpt) are header too
TAIL_MAX_WORDS = 14  # body-end lines at most this long, without a sentence ending, are furniture
DEDUP_MIN_WORDS = 5  # single repeated paragraphs shorter than this are kept (e.g. '"Ya," katanya.')
DUPLICATE_RUN = 3  # a run of this many repeated paragraphs is a body printed twice: drop all
SUBSTRING_PRUNE_MAX_CHARS = 600  # class-substring rules only remove elements shorter than this
CAPTION_MAX_WORDS = 60  # an italic/small line right after an image, at most this long, is a caption
REPEATED_CAPTION_MAX_WORDS = 150  # ...and a text after an image that a later paragraph repeats
# Lines that close an article: what follows them is the comment form, more tags, more share
# buttons ("Tinggalkan Balasan" + "Alamat email Anda tidak akan dipublikasikan.").
END_MARKERS = frozenset({"comment_widget", "tag_line", "hashtag_line", "share_bar"})
END_MARKER_TAIL_WORDS = 60  # after an end marker, a tail at most this long is cut
END_MARKER_TAIL_SHARE = 0.3  # ...or at most this share of the body's words (a comment thread)


def line_rules(template: str) -> list[tuple[str, re.Pattern[str]]]:
    """Compiled (rule name, pattern) pairs: generic first, then the template's."""
    rules = list(LINE_RULES["generic"])
    if template != "generic":
        rules += LINE_RULES.get(template, [])
    return [(name, re.compile(rx, re.IGNORECASE)) for name, rx in rules]


TEMPLATES = tuple(PRUNE)
