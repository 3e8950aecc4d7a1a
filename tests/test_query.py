"""The topic query language: parser, matcher, snippets and the FTS5 prefilter."""

from __future__ import annotations

import json
import random
import sqlite3
import unicodedata

import pytest

from pantau.pipeline import textnorm
from pantau.pipeline.query import (
    MatchResult,
    QuerySyntaxError,
    TokenizedArticle,
    match_many,
    parse_query,
)
from tests.conftest import SEEDS

DEFAULT_QUERY = '"revolusi mental" AND (ASN OR PNS OR "aparatur sipil negara" OR birokrasi)'
SYNONYMS = [
    ["ASN", "PNS", "aparatur sipil negara", "pegawai negeri sipil"],
    ["GNRM", "Gerakan Nasional Revolusi Mental"],
]

# Clean text of real corpus pages (trafilatura output of ../shared/corpus/pages/...).
# kompas-2.html (nasional.kompas.com, 2016): PNS and birokrasi, but no "revolusi mental".
KOMPAS_TITLE = 'Menteri Yuddy Ancam PNS yang Rankingnya Terendah Akan "Dipangkas"'
KOMPAS_TEXT = """JAKARTA, KOMPAS.com — Menteri Pendayagunaan Aparatur Negara dan Reformasi Birokrasi \
Yuddy Chrisnandi menginginkan adanya sistem untuk bisa memantau pegawai negeri sipil terbaik dalam \
sebuah instansi.
Tidak hanya yang terbaik, tetapi PNS yang asal kerja dan sekadar absen saja juga akan \
ditindaklanjuti.
"Orang-orang yang tidak memiliki kinerja yang baik, sekadar absen saja, menunggu 30 hari untuk \
mengambil gaji, akan dirasionalisasi (diberhentikan)," tutur Yuddy dalam rapat koordinasi di kantor \
Kemenpan RB, Senayan, Jakarta Selatan, Selasa (16/2/2016).
Rasionalisasi atau pemberhentian tersebut dilakukan menyusul banyaknya kritik di masyarakat terkait \
banyaknya PNS di daerah yang tidak produktif. Tingkat absensinya bahkan terbilang tinggi.
Seperti dikutip dari situs www.menpan.go.id, rencana rasionalisasi sejalan dengan kebijakan \
pemerintah untuk menciptakan birokrasi pemerintahan berkelas dunia, yakni birokrasi yang bersih dan \
akuntabel, efektif dan efisien, serta yang memiliki pelayanan publik yang berkualitas.
Saat ini rasionya masih sebesar 1,7 persen, yaitu setiap 100 orang penduduk dilayani oleh 1,7 \
pegawai."""
# beritamanado-1.html (beritamanado.com, 2020): a regional government story on COVID-19.
MANADO_TITLE = "Forkopimda Mitra Koordinasikan Penanganan COVID-19 dan Keamanan Kebun Raya Megawati"
MANADO_TEXT = """Ratatotok – Pemerintah Kabupaten Minahasa Tenggara (Mitra), melalui Asisten Satu \
Sekretariat Daerah Mitra, Jani Rolos, mengapresiasi aparat gabungan yang turut berjaga di wilayah \
Kebun Raya Megawati Soekarnoputri.
Hal ini diampaikannya dalam Rapat Koordinasi penanganan dan meminimalkan masalah penyebaran \
COVID-19 dan keamanan di kawasan Kebun Raya dan area pertambangan di Kecamatan Ratatotok yang \
digelar di Kantor Camat Ratatotok, pada Kamis (08/10/2020)."""


def _seeds() -> list[tuple[str, str, str]]:
    gold = json.loads((SEEDS / "gold.json").read_text(encoding="utf-8"))
    return [
        (a["file"], a["title"], (SEEDS / a["file"]).read_text(encoding="utf-8"))
        for a in gold["articles"]
    ]


def seed(prefix: str) -> tuple[str, str]:
    for name, title, text in _seeds():
        if name.startswith(prefix):
            return title, text
    raise KeyError(prefix)


def m(query: str, text: str, title: str = "", synonyms=None) -> MatchResult | None:
    return parse_query(query, synonyms).match(title, text)


# --- the default topic on real articles -----------------------------------------------------


def test_default_topic_matches_every_seed_article():
    q = parse_query(DEFAULT_QUERY, SYNONYMS)
    for name, title, text in _seeds():
        result = q.match(title, text)
        assert result is not None, name
        assert result.matched_terms[0] in ("revolusi mental", "ASN"), name
        assert "revolusi mental" in result.matched_terms


def test_seed_000_matched_terms_and_snippet():
    title, text = seed("000")
    result = parse_query(DEFAULT_QUERY, SYNONYMS).match(title, text)
    assert result is not None
    # title "Revolusi Mental Untuk ASN Modal Dasar Birokrasi ...": order of first appearance
    assert result.matched_terms == ["revolusi mental", "ASN", "birokrasi"]
    assert "birokrasi" in result.snippet.lower()
    assert 100 <= len(result.snippet) <= 320


def test_default_topic_rejects_off_topic_articles():
    q = parse_query(DEFAULT_QUERY, SYNONYMS)
    assert q.match(KOMPAS_TITLE, KOMPAS_TEXT) is None  # PNS and birokrasi, no revolusi mental
    assert q.match(MANADO_TITLE, MANADO_TEXT) is None
    # ...while a query for what the Kompas story is about does find it
    result = m("PNS AND birokrasi", KOMPAS_TEXT, KOMPAS_TITLE)
    assert result is not None and result.matched_terms == ["PNS", "birokrasi"]


# --- operators and precedence ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("ASN PNS", "ASN dan PNS", True),  # juxtaposition is AND
        ("ASN PNS", "hanya ASN", False),
        ("ASN AND PNS", "hanya PNS", False),
        ("ASN OR PNS", "hanya PNS", True),
        ("ASN OR PNS", "hanya honorer", False),
        ("ASN NOT korupsi", "ASN bebas korupsi", False),
        ("ASN NOT korupsi", "ASN melayani", True),
        ("ASN AND NOT korupsi", "ASN melayani", True),
        # precedence: NOT > AND > OR
        ("gubernur OR ASN PNS", "gubernur saja", True),
        ("gubernur OR ASN PNS", "ASN saja", False),
        ("gubernur OR ASN PNS", "ASN dan PNS", True),
        ("(gubernur OR ASN) PNS", "gubernur saja", False),
        ("(gubernur OR ASN) PNS", "gubernur dan PNS", True),
        ("NOT korupsi ASN", "ASN", True),  # (NOT korupsi) AND ASN
        ("NOT korupsi ASN", "ASN korupsi", False),
        ("ASN NOT (korupsi OR pungli)", "ASN pungli", False),
        ("ASN NOT NOT pungli", "ASN pungli", True),
        # lower-case and/or/not are ordinary words
        ("ASN or PNS", "hanya PNS", False),
        ("ASN or PNS", "ASN or PNS", True),
        ("ASN not PNS", "ASN not PNS", True),
        ("ASN not PNS", "ASN PNS", False),
    ],
)
def test_boolean_operators(query, text, expected):
    assert (m(query, text) is not None) is expected


def test_matched_terms_skip_negated_and_failed_branches():
    result = m("(ASN OR honorer) AND NOT korupsi", "ASN melayani warga")
    assert result is not None and result.matched_terms == ["ASN"]


def test_matched_terms_in_order_of_appearance_deduplicated():
    result = m("birokrasi AND ASN AND birokrasi", "ASN adalah birokrasi. ASN lagi, birokrasi lagi.")
    assert result is not None and result.matched_terms == ["ASN", "birokrasi"]


# --- normalisation: case, diacritics, punctuation -------------------------------------------


def test_case_and_diacritics_are_ignored():
    assert m("desa", "Kepala DÉSA berkata") is not None
    assert m("Désa", "kepala desa") is not None
    assert m('"cafe kopi"', "Café Kopi Bengkulu") is not None
    decomposed = unicodedata.normalize("NFD", "naïve café")
    assert m("NAIVE CAFE", decomposed) is not None
    assert m("asn", "ASN") is not None


def test_punctuation_separates_tokens():
    assert m("ASN", "para ASN, PNS dan honorer") is not None
    assert m("ASN", "Aparatur Sipil Negara (ASN) di Bengkulu") is not None
    assert m("ASN", "“ASN” harus melayani") is not None
    assert m("ASN", "CASN dan PPPK") is None  # whole tokens only
    assert m('"revolusi mental"', "gerakan revolusi-mental di daerah") is not None
    assert m("revolusi-mental", "Revolusi Mental ASN") is not None  # hyphenated word = phrase
    assert m('"revolusi mental"', "revolusi, mental") is not None  # as FTS5 phrases do
    assert m('"revolusi mental"', "revolusi sosial mental") is None


def test_title_and_text_are_separate_for_phrases():
    assert m('"revolusi mental"', "Mental ASN", title="Revolusi") is None


# --- prefix -----------------------------------------------------------------------------------


def test_prefix_terms():
    assert m("birokra*", "reformasi birokrasinya") is not None
    assert m("birokra*", "reformasi") is None
    assert m('"revolusi ment*"', "revolusi mentalitas pegawai") is not None
    assert m('"revolusi ment"*', "revolusi mentalitas pegawai") is not None
    assert m('"revolusi ment*"', "revolusi moral") is None
    result = m("revolu*", "Revolusi mental")
    assert result is not None and result.matched_terms == ["revolu*"]


# --- NEAR -----------------------------------------------------------------------------------


def test_near():
    text = "Gubernur menekankan bahwa birokrasi harus bersih dan melayani masyarakat."
    assert m("NEAR(birokrasi bersih, 2)", text) is not None  # one token between
    assert m("NEAR(bersih birokrasi, 2)", text) is not None  # any order
    assert m("NEAR(birokrasi bersih, 0)", text) is None
    assert m("NEAR(birokrasi masyarakat, 3)", text) is None
    assert m("NEAR(birokrasi masyarakat, 5)", text) is not None
    assert m('NEAR("revolusi mental" ASN, 0)', "revolusi mental ASN Bandung") is not None
    assert m('NEAR("revolusi mental" ASN, 1)', "revolusi mental di kalangan ASN") is None
    assert m("NEAR(gubernur bersih birokrasi, 4)", text) is not None  # three operands


def test_near_on_seed_text():
    title, text = seed("001")
    result = parse_query("NEAR(revolusi ASN, 3)").match(title, text)
    assert result is not None and result.matched_terms == ["revolusi", "ASN"]
    assert "revolusi mental ASN" in result.snippet


def test_near_uses_synonyms_and_stems():
    assert m("NEAR(birokrasi PNS, 2)", "birokrasinya para ASN", synonyms=SYNONYMS) is not None


# --- title: ----------------------------------------------------------------------------------


def test_title_restriction():
    title, text = seed("004")  # title "Kepala BPSDM: ASN Harus Miliki Nilai ..."
    assert parse_query("title:ASN").match(title, text) is not None
    assert parse_query("title:birokrasi").match(title, text) is None  # only in the body
    assert parse_query("birokrasi").match(title, text) is not None
    assert parse_query('title:"nilai dan jiwa"').match(title, text) is not None
    assert parse_query("title:(birokrasi OR BPSDM)").match(title, text) is not None
    assert parse_query("title: (birokrasi OR reformasi)").match(title, text) is None
    assert parse_query("title:pelayanan").match(title, text) is not None  # "Melayani", by stem
    assert parse_query("title:NEAR(ASN nilai, 2)").match(title, text) is not None


def test_title_only_match_snippet_is_the_text_start():
    result = m("title:ASN", "Bupati membuka acara. Semua hadir.", title="ASN Bandung Barat")
    assert result is not None and result.snippet.startswith("Bupati membuka acara")


# --- synonyms ----------------------------------------------------------------------------------


def test_synonyms_match_any_member_and_report_the_query_term():
    text = "Para aparatur sipil negara di Pemprov Kalteng mengikuti apel pagi."
    result = m("PNS", text, synonyms=SYNONYMS)
    assert result is not None and result.matched_terms == ["PNS"]
    assert m("PNS", text) is None  # without the group
    assert m('"aparatur sipil negara"', "seluruh ASN hadir", synonyms=SYNONYMS) is not None
    assert m("GNRM", "mendukung Gerakan Nasional Revolusi Mental", synonyms=SYNONYMS) is not None
    assert m("pegawai", "ASN", synonyms=SYNONYMS) is None  # a word of a member is no member


def test_synonym_of_a_term_already_found_is_not_reported_twice():
    result = m("ASN OR PNS", "seluruh ASN hadir", synonyms=SYNONYMS)
    assert result is not None and result.matched_terms == ["ASN"]


def test_synonym_groups_are_case_and_diacritic_insensitive():
    assert m("asn", "PNS", synonyms=[["ASN", "PNS"]]) is not None
    assert m("desa", "kelurahan", synonyms=[["Désa", "Kelurahan"]]) is not None


# --- stems -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "text"),
    [
        ("birokrasi", "reformasi birokrasinya berjalan"),
        ("pelayanan", "ASN wajib melayani masyarakat"),
        ("layanan", "meningkatkan pelayanan publik"),
        ("kerja", "pekerjaan rumah bagi ASN"),
        ("disiplin", "ASN harus berdisiplin"),
    ],
)
def test_affixed_forms_match_by_stem(term, text):
    assert textnorm.stem(term) != term or term in ("birokrasi", "kerja", "disiplin")
    result = m(term, text)
    assert result is not None and result.matched_terms == [term]


def test_stems_do_not_apply_to_phrases_prefixes_or_acronyms():
    assert m('"reformasi birokrasi"', "reformasi birokrasinya") is None
    assert m("asn", "asnya") is None  # acronym-like short terms match exactly
    assert m("birokrasinya", "birokrasi") is not None  # the query word's own stem counts too
    assert m("pemerintah", "memerintahkan") is not None  # one root (perintah) for both...
    assert m('"pemerintah"', "memerintahkan") is None  # ...so quoting means exactly this word
    assert m('"pemerintah"', "Pemerintah Kabupaten") is not None


def test_stem_matching_in_the_body_of_a_seed():
    title, text = seed("002")  # "pelayanan" and "melayani", never "layanan"
    assert "layanan" not in textnorm.words(text)
    result = parse_query("layanan AND NOT korupsi").match(title, text)
    assert result is not None and result.matched_terms == ["layanan"]
    assert "melayani" in result.snippet.lower() or "pelayanan" in result.snippet.lower()


def test_affix_patterns_cover_affixed_words():
    for word in ["birokrasinya", "melayani", "pelayanan", "memukul", "penulis", "menyapu",
                 "pengirim", "diperbaiki", "keberhasilan", "pemerintahan"]:  # fmt: skip
        s = textnorm.stem(word)
        assert word.startswith(textnorm.affix_patterns(s)), (word, s)


# --- snippets --------------------------------------------------------------------------------


def test_snippet_whole_words_and_ellipses():
    title, text = seed("002")
    result = parse_query("Perkalan").match(title, text)
    assert result is not None
    snip = result.snippet
    assert "Perkalan" in snip
    assert snip.startswith("…") and snip.endswith("…")
    assert 150 <= len(snip) <= 320
    body = snip.strip("…")
    flat = " ".join(text.split())
    assert body in flat  # a contiguous piece of the text...
    i = flat.index(body)
    assert i == 0 or not flat[i - 1].isalnum()  # ...cut at word boundaries
    j = i + len(body)
    assert j == len(flat) or not flat[j].isalnum()
    assert "\n" not in snip


def test_snippet_of_short_text_is_whole_text():
    result = m("ASN", "Semua ASN\n\nhadir.")
    assert result is not None and result.snippet == "Semua ASN hadir."


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message", "position"),
    [
        ("", "empty query", 0),
        ("   ", "empty query", 0),
        ("(ASN OR PNS", "'(' is never closed", 0),
        ("ASN) OR PNS", "unmatched ')'", 3),
        ('"revolusi mental AND ASN', "unterminated quote", 0),
        ('ASN AND "revolusi', "unterminated quote", 8),
        ("ASN AND", "AND has no term after it", 4),
        ("ASN OR", "OR has no term after it", 4),
        ("OR ASN", "OR has no term before it", 0),
        ("ASN OR OR PNS", "OR has no term before it", 7),
        ("(AND ASN)", "AND has no term before it", 1),
        ("ASN NOT", "NOT has no term after it", 4),
        ("()", "empty parentheses", 0),
        ("ASN ()", "empty parentheses", 4),
        ("NEAR(revolusi mental)", "NEAR needs a distance", 0),
        ("ASN NEAR(revolusi mental", "NEAR needs a distance", 4),
        ("NEAR(revolusi mental, x)", "whole number", 22),
        ("NEAR(revolusi mental, 2", "NEAR( is never closed", 0),
        ("NEAR(revolusi, 3)", "at least two", 0),
        ("NEAR(revolusi (mental), 3)", "only words", 14),
        ("title:", "title: must be followed", 0),
        ("ASN title: OR PNS", "title: must be followed", 4),
        ("*asn", "'*' can only end a word", 0),
        ("bi*rokrasi", "'*' can only end a word", 2),
        ("ASN, PNS", "','", 3),
        ('"..."', "no letters or digits", 0),
        ("NOT korupsi", "no required positive term", 0),
        ("ASN OR NOT korupsi", "no required positive term", 0),
        ("(" * 60 + "ASN" + ")" * 60, "nested NOTs and parentheses", 50),
    ],
)
def test_syntax_errors_name_what_and_where(query, message, position):
    with pytest.raises(QuerySyntaxError) as exc:
        parse_query(query)
    assert message in str(exc.value)
    assert exc.value.position == position
    assert f"at position {position}" in str(exc.value)
    assert isinstance(exc.value, ValueError)


def test_upper_case_near_without_parenthesis_is_a_word():
    assert m("NEAR ASN", "near the ASN office") is not None


# --- terms(), match_many ---------------------------------------------------------------------


def test_terms_are_positive_terms_as_written():
    q = parse_query('"revolusi mental" (ASN OR birokra*) NOT korupsi title:GNRM NEAR(a b, 3)')
    assert q.terms() == ["revolusi mental", "ASN", "birokra*", "GNRM", "a", "b"]
    assert q.source.startswith('"revolusi mental"')


def test_match_many_tokenises_once_and_agrees_with_match():
    queries = [parse_query(DEFAULT_QUERY, SYNONYMS), parse_query("PNS birokrasi"), parse_query("x")]
    for title, text in [seed("000"), (KOMPAS_TITLE, KOMPAS_TEXT)]:
        many = match_many(queries, title, text)
        assert many == [q.match(title, text) for q in queries]
    doc = TokenizedArticle(KOMPAS_TITLE, KOMPAS_TEXT)
    assert queries[1].match_article(doc) == queries[1].match(KOMPAS_TITLE, KOMPAS_TEXT)


# --- FTS5 prefilter is a superset -------------------------------------------------------------


def _fts_db(rows: list[tuple[str, str]]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    db.executemany("INSERT INTO articles_fts(rowid, title, text) VALUES (?, ?, ?)",
                   [(i, t, x) for i, (t, x) in enumerate(rows)])  # fmt: skip
    return db


def _check_superset(db, rows, query) -> tuple[set[int], set[int]]:
    fts = {r for (r,) in db.execute(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", (query.to_fts5(),))}  # fmt: skip
    hits = {i for i, (t, x) in enumerate(rows) if query.match(t, x) is not None}
    assert hits <= fts, (query.source, query.to_fts5(), hits - fts)
    return hits, fts


REAL_ROWS = [(title, text) for _, title, text in _seeds()] + [
    (KOMPAS_TITLE, KOMPAS_TEXT),
    (MANADO_TITLE, MANADO_TEXT),
    ("Reformasi birokrasinya", "Pegawai wajib melayani; para pekerja berdisiplin."),
    ("Kabar Désa", "Kepala DÉSA (ASN) mendukung revolusi-mental, kata “camat”."),
    ("", "Aparatur sipil negara di NEAR kota; birokrasi bersih."),
]


@pytest.mark.parametrize(
    "query",
    [
        DEFAULT_QUERY,
        "PNS AND birokrasi",
        "pelayanan OR kerja",
        "birokrasi NOT korupsi",
        "birokra* title:revolusi",
        '"revolusi ment*" OR NEAR(birokrasi bersih, 1)',
        "NEAR(ASN revolusi, 3)",
        "NEAR(birokrasi PNS, 5)",
        "desa",
        "title:(ASN OR PNS OR birokrasi)",
        '"aparatur sipil negara" GNRM',
        "NEAR near",
    ],
)
def test_fts5_prefilter_is_a_superset_on_real_articles(query):
    hits, fts = _check_superset(_fts_db(REAL_ROWS), REAL_ROWS, parse_query(query, SYNONYMS))
    if query == DEFAULT_QUERY:
        assert hits == {0, 1, 2, 3, 4, 8}  # the seeds and the Désa row, no off-topic article
        assert fts == hits


def test_fts5_expression_uses_columns_and_near():
    assert parse_query("title:ASN").to_fts5() == 'title : "asn"'
    assert parse_query('NEAR("Revolusi Mental" ASN, 4)').to_fts5() == (
        'NEAR("revolusi mental" "asn", 4)'
    )
    assert parse_query("birokrasi NOT korupsi").to_fts5().count("korupsi") == 0
    assert '"birokrasi"*' in parse_query("birokrasi").to_fts5()
    assert '"melayan"*' in parse_query("pelayanan").to_fts5()


def test_fts5_prefilter_is_a_superset_on_random_documents():
    """Random queries over random documents from a small vocabulary full of near misses."""
    rng = random.Random(20240921)
    vocab = ["asn", "PNS", "revolusi", "mental", "birokrasi", "birokrasinya", "melayani",
             "pelayanan", "layanan", "Désa", "desa", "a", "b", "sipil", "negara", "aparatur"]  # fmt: skip
    seps = ["", ",", "-", " (", ".", "’"]
    rows = []
    for _ in range(300):
        title = " ".join(rng.choice(vocab) for _ in range(rng.randint(0, 4)))
        text = " ".join(rng.choice(vocab) + rng.choice(seps) for _ in range(rng.randint(0, 14)))
        rows.append((title, text))
    db = _fts_db(rows)
    terms = vocab + ['"revolusi mental"', '"a b"', '"b a"', "biro*", '"revolusi ment*"', '"a a"']

    def term() -> str:
        return rng.choice(terms)

    def expr(depth: int = 0) -> str:
        r = rng.random()
        if depth > 2 or r < 0.3:
            return ("title:" if rng.random() < 0.2 else "") + term()
        if r < 0.45:
            return f"NEAR({term()} {term()}, {rng.randint(0, 3)})"
        if r < 0.6:
            return f"{expr(depth + 1)} OR {expr(depth + 1)}"
        if r < 0.75:
            return f"{expr(depth + 1)} AND NOT {expr(depth + 1)}"
        return f"({expr(depth + 1)} {expr(depth + 1)})"

    checked = matched = 0
    for _ in range(300):
        try:
            query = parse_query(expr(), [["ASN", "PNS", "aparatur sipil negara"]])
        except QuerySyntaxError:
            continue
        hits, _ = _check_superset(db, rows, query)
        checked += 1
        matched += bool(hits)
    assert checked > 200 and matched > 100  # the check really exercised matches


def test_marked_snippet_wraps_each_matched_term_once():
    q = parse_query('"revolusi mental" AND (ASN OR birokrasi)')
    text = "Bupati membuka acara. Gerakan revolusi mental bagi ASN di daerah. ASN wajib hadir."
    hit = q.match("Judul", text, marks=("[", "]"))
    assert hit is not None
    assert "Gerakan [revolusi mental] bagi [ASN] di daerah. ASN wajib" in hit.snippet
    plain = q.match("Judul", text)
    assert plain is not None and "[" not in plain.snippet
    assert plain.matched_terms == hit.matched_terms


def test_marked_snippet_of_a_title_only_match_has_no_marks():
    q = parse_query("title:pilkada")
    hit = q.match("Pilkada serentak", "Warga datang ke TPS pagi hari.", marks=("[", "]"))
    assert hit is not None and "[" not in hit.snippet and hit.snippet.startswith("Warga")


def test_marked_snippet_marks_a_stemmed_form_as_written_in_the_text():
    q = parse_query("korupsi")
    hit = q.match("t", "Kasus itu diduga dikorupsi oleh pejabat.", marks=("<", ">"))
    assert hit is not None and "<dikorupsi>" in hit.snippet
