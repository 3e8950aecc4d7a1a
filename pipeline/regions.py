"""Indonesian provinces and the place names that point to them.

Used to refine an article's region from the text: a dateline "PALANGKA RAYA –" or a mention of
"Kabupaten Sukamara" says Kalimantan Tengah even when the source has no region of its own.
Only unambiguous names are listed (cities, kabupaten seats and regencies, the common short forms
such as "Kalteng"); a name shared by two provinces is left out rather than guessed.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

# province -> places in it (the province's own name and short forms count too)
PROVINCES: dict[str, list[str]] = {
    "Aceh": [
        "Banda Aceh",
        "Lhokseumawe",
        "Langsa",
        "Sabang",
        "Meulaboh",
        "Bireuen",
        "Aceh Utara",
        "Aceh Besar",
        "Pidie",
        "Takengon",
        "Lhoksukon",
        "Subulussalam",
    ],
    "Sumatera Utara": [
        "Sumut",
        "Medan",
        "Binjai",
        "Pematangsiantar",
        "Tebing Tinggi",
        "Sibolga",
        "Padangsidimpuan",
        "Deli Serdang",
        "Karo",
        "Nias",
        "Toba",
        "Tapanuli",
        "Labuhanbatu",
        "Asahan",
        "Langkat",
        "Gunungsitoli",
    ],
    "Sumatera Barat": [
        "Sumbar",
        "Padang",
        "Bukittinggi",
        "Payakumbuh",
        "Solok",
        "Pariaman",
        "Sawahlunto",
        "Padang Panjang",
        "Pesisir Selatan",
        "Mentawai",
        "Agam",
        "Tanah Datar",
    ],
    "Riau": [
        "Pekanbaru",
        "Dumai",
        "Siak",
        "Kampar",
        "Bengkalis",
        "Indragiri",
        "Rokan Hulu",
        "Rokan Hilir",
        "Pelalawan",
        "Kuantan Singingi",
    ],
    "Kepulauan Riau": [
        "Kepri",
        "Batam",
        "Tanjungpinang",
        "Tanjung Pinang",
        "Bintan",
        "Karimun",
        "Natuna",
        "Lingga",
        "Anambas",
    ],
    "Jambi": [
        "Kota Jambi",
        "Muaro Jambi",
        "Sungai Penuh",
        "Kerinci",
        "Bungo",
        "Tebo",
        "Merangin",
        "Sarolangun",
        "Batanghari",
        "Tanjung Jabung",
    ],
    "Sumatera Selatan": [
        "Sumsel",
        "Palembang",
        "Lubuklinggau",
        "Prabumulih",
        "Pagar Alam",
        "Ogan Komering",
        "Ogan Ilir",
        "Muara Enim",
        "Lahat",
        "Musi Banyuasin",
        "Musi Rawas",
        "Banyuasin",
    ],
    "Kepulauan Bangka Belitung": [
        "Babel",
        "Bangka Belitung",
        "Pangkalpinang",
        "Pangkal Pinang",
        "Bangka",
        "Belitung",
        "Tanjung Pandan",
    ],
    "Bengkulu": [
        "Kota Bengkulu",
        "Rejang Lebong",
        "Mukomuko",
        "Kaur",
        "Seluma",
        "Kepahiang",
        "Lebong",
        "Bengkulu Selatan",
        "Bengkulu Utara",
    ],
    "Lampung": [
        "Bandar Lampung",
        "Bandarlampung",
        "Pringsewu",
        "Tanggamus",
        "Lampung Selatan",
        "Lampung Tengah",
        "Way Kanan",
        "Tulang Bawang",
        "Pesawaran",
    ],
    "DKI Jakarta": [
        "Jakarta",
        "Jakarta Pusat",
        "Jakarta Selatan",
        "Jakarta Barat",
        "Jakarta Timur",
        "Jakarta Utara",
        "Kepulauan Seribu",
        "Senayan",
        "Kebayoran",
        "Tebet",
        "Menteng",
    ],
    "Jawa Barat": [
        "Jabar",
        "Bandung",
        "Bandung Barat",
        "Bekasi",
        "Bogor",
        "Depok",
        "Cimahi",
        "Cirebon",
        "Sukabumi",
        "Tasikmalaya",
        "Garut",
        "Karawang",
        "Purwakarta",
        "Subang",
        "Indramayu",
        "Majalengka",
        "Sumedang",
        "Ciamis",
        "Pangandaran",
        "Cianjur",
        "Lembang",
    ],
    "Banten": ["Serang", "Tangerang", "Tangerang Selatan", "Cilegon", "Pandeglang", "Lebak"],
    "Jawa Tengah": [
        "Jateng",
        "Semarang",
        "Solo",
        "Surakarta",
        "Magelang",
        "Salatiga",
        "Pekalongan",
        "Tegal",
        "Kudus",
        "Pati",
        "Jepara",
        "Demak",
        "Klaten",
        "Boyolali",
        "Sukoharjo",
        "Karanganyar",
        "Sragen",
        "Wonogiri",
        "Purwokerto",
        "Banyumas",
        "Cilacap",
        "Kebumen",
        "Purworejo",
        "Wonosobo",
        "Temanggung",
        "Kendal",
        "Batang",
        "Brebes",
        "Rembang",
        "Blora",
        "Grobogan",
        "Banjarnegara",
        "Purbalingga",
    ],
    "DI Yogyakarta": [
        "DIY",
        "Yogyakarta",
        "Jogja",
        "Yogya",
        "Sleman",
        "Bantul",
        "Gunungkidul",
        "Kulon Progo",
        "Wates",
    ],
    "Jawa Timur": [
        "Jatim",
        "Surabaya",
        "Malang",
        "Kediri",
        "Blitar",
        "Madiun",
        "Mojokerto",
        "Pasuruan",
        "Probolinggo",
        "Sidoarjo",
        "Gresik",
        "Lamongan",
        "Tuban",
        "Bojonegoro",
        "Jember",
        "Banyuwangi",
        "Situbondo",
        "Bondowoso",
        "Lumajang",
        "Tulungagung",
        "Trenggalek",
        "Ponorogo",
        "Pacitan",
        "Ngawi",
        "Magetan",
        "Nganjuk",
        "Jombang",
        "Madura",
        "Bangkalan",
        "Sampang",
        "Pamekasan",
        "Sumenep",
    ],
    "Bali": [
        "Denpasar",
        "Badung",
        "Gianyar",
        "Tabanan",
        "Buleleng",
        "Singaraja",
        "Karangasem",
        "Klungkung",
        "Bangli",
        "Jembrana",
        "Negara Bali",
        "Kuta",
        "Ubud",
        "Nusa Dua",
    ],
    "Nusa Tenggara Barat": [
        "NTB",
        "Mataram",
        "Lombok",
        "Lombok Barat",
        "Lombok Tengah",
        "Lombok Timur",
        "Lombok Utara",
        "Sumbawa",
        "Bima",
        "Dompu",
    ],
    "Nusa Tenggara Timur": [
        "NTT",
        "Kupang",
        "Flores",
        "Ende",
        "Maumere",
        "Sikka",
        "Manggarai",
        "Labuan Bajo",
        "Sumba",
        "Alor",
        "Rote",
        "Atambua",
        "Belu",
        "Ngada",
    ],
    "Kalimantan Barat": [
        "Kalbar",
        "Pontianak",
        "Singkawang",
        "Ketapang",
        "Sambas",
        "Sanggau",
        "Sintang",
        "Kapuas Hulu",
        "Mempawah",
        "Landak",
        "Bengkayang",
        "Sekadau",
        "Melawi",
        "Kubu Raya",
        "Kayong Utara",
    ],
    "Kalimantan Tengah": [
        "Kalteng",
        "Palangka Raya",
        "Palangkaraya",
        "Sampit",
        "Kotawaringin",
        "Pangkalan Bun",
        "Sukamara",
        "Lamandau",
        "Seruyan",
        "Katingan",
        "Pulang Pisau",
        "Gunung Mas",
        "Barito Utara",
        "Barito Selatan",
        "Barito Timur",
        "Murung Raya",
        "Muara Teweh",
        "Kuala Kapuas",
        "Kapuas",
    ],
    "Kalimantan Selatan": [
        "Kalsel",
        "Banjarmasin",
        "Banjarbaru",
        "Martapura",
        "Kotabaru",
        "Tanah Laut",
        "Tanah Bumbu",
        "Tabalong",
        "Hulu Sungai",
        "Tapin",
        "Balangan",
        "Barito Kuala",
    ],
    "Kalimantan Timur": [
        "Kaltim",
        "Samarinda",
        "Balikpapan",
        "Bontang",
        "Kutai Kartanegara",
        "Kutai Timur",
        "Kutai Barat",
        "Berau",
        "Paser",
        "Penajam",
        "Tenggarong",
    ],
    "Kalimantan Utara": [
        "Kaltara",
        "Tarakan",
        "Tanjung Selor",
        "Bulungan",
        "Nunukan",
        "Malinau",
        "Tana Tidung",
    ],
    "Sulawesi Utara": [
        "Sulut",
        "Manado",
        "Bitung",
        "Tomohon",
        "Kotamobagu",
        "Minahasa",
        "Minahasa Tenggara",
        "Minahasa Utara",
        "Minahasa Selatan",
        "Ratatotok",
        "Bolaang Mongondow",
        "Sangihe",
        "Talaud",
    ],
    "Gorontalo": ["Kota Gorontalo", "Boalemo", "Pohuwato", "Bone Bolango", "Gorontalo Utara"],
    "Sulawesi Tengah": [
        "Sulteng",
        "Palu",
        "Poso",
        "Donggala",
        "Sigi",
        "Luwuk",
        "Banggai",
        "Tolitoli",
        "Morowali",
        "Parigi Moutong",
    ],
    "Sulawesi Barat": ["Sulbar", "Mamuju", "Majene", "Polewali Mandar", "Mamasa", "Pasangkayu"],
    "Sulawesi Selatan": [
        "Sulsel",
        "Makassar",
        "Parepare",
        "Palopo",
        "Gowa",
        "Maros",
        "Bone",
        "Bulukumba",
        "Takalar",
        "Jeneponto",
        "Pinrang",
        "Sidrap",
        "Wajo",
        "Soppeng",
        "Luwu",
        "Toraja",
        "Selayar",
        "Pangkep",
    ],
    "Sulawesi Tenggara": [
        "Sultra",
        "Kendari",
        "Baubau",
        "Kolaka",
        "Konawe",
        "Muna",
        "Buton",
        "Wakatobi",
        "Bombana",
    ],
    "Maluku": ["Ambon", "Tual", "Maluku Tengah", "Maluku Tenggara", "Kepulauan Aru", "Saumlaki"],
    "Maluku Utara": ["Malut", "Ternate", "Tidore", "Sofifi", "Halmahera", "Morotai"],
    "Papua": ["Jayapura", "Sarmi", "Keerom", "Biak", "Supiori", "Waropen", "Yapen", "Mamberamo"],
    "Papua Barat": ["Manokwari", "Fakfak", "Kaimana", "Teluk Bintuni", "Teluk Wondama"],
    "Papua Barat Daya": ["Sorong", "Raja Ampat", "Tambrauw", "Maybrat"],
    "Papua Selatan": ["Merauke", "Boven Digoel", "Mappi", "Asmat"],
    "Papua Tengah": ["Nabire", "Timika", "Mimika", "Paniai", "Puncak Jaya", "Dogiyai"],
    "Papua Pegunungan": ["Wamena", "Jayawijaya", "Yahukimo", "Tolikara", "Lanny Jaya"],
}

# Short forms also used as province names in config ("Jabar" -> "Jawa Barat" is handled above).
_ALIASES = {"Yogyakarta": "DI Yogyakarta", "Jakarta": "DKI Jakarta"}


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, str], re.Pattern[str]]:
    names: dict[str, str] = {}
    for prov, places in PROVINCES.items():
        names[prov.casefold()] = prov
        for p in places:
            names[p.casefold()] = prov
    # longest names first so "Bandung Barat" wins over "Bandung", "Lombok Timur" over "Lombok"
    alts = sorted(names, key=len, reverse=True)
    # (?-i:...): only try the alternation where a capital letter starts a word; place names
    # are capitalised ("batu", "palu" are words), and most positions are not
    pattern = re.compile(
        r"(?<![\w-])(?-i:(?=[A-Z]))("
        + "|".join(re.escape(a).replace(r"\ ", r"\s+") for a in alts)
        + r")(?![\w-])",
        re.IGNORECASE,
    )
    return names, pattern


def province_of(place: str) -> str | None:
    """The province a place name (city, kabupaten, province or short form) lies in."""
    names, _ = _index()
    key = re.sub(r"^(kota|kabupaten|kab\.?|provinsi|prov\.?)\s+", "", place.strip(), flags=re.I)
    return names.get(re.sub(r"\s+", " ", key).casefold()) or _ALIASES.get(place.strip())


def mentioned_provinces(text: str) -> Counter[str]:
    """How often each province is pointed to by a place name in the text."""
    names, pattern = _index()
    counts: Counter[str] = Counter()
    for m in pattern.finditer(text):
        if not m.group(1)[0].isupper():  # "batu", "palu" are words; place names are capitalised
            continue
        counts[names[re.sub(r"\s+", " ", m.group(1)).casefold()]] += 1
    return counts


def _dateline_place(text: str) -> str | None:
    """The place an article's dateline names: "PALANGKA RAYA –", "Sukamara (Antara Kalteng) -"."""
    head = text[:120]
    m = re.match(r"^\W*([A-Z][A-Za-z.' ]{2,30}?)\s*(?:,|\(|[-–—])", head)
    if m:
        return m.group(1).strip()
    return None


def refine_region(source_region: str | None, title: str | None, text: str) -> str | None:
    """The article's region: the source's, or the province named by the dateline or text.

    A source with a region keeps it (a regional outlet reports from its province; a city in
    another province mentioned in passing is no reason to move the article). Without one, the
    dateline's place decides; failing that, a province named clearly more than any other.
    """
    if source_region:
        return source_region
    for cand in (_dateline_place(text), _dateline_after_site(text)):
        if cand:
            prov = province_of(cand)
            if prov:
                return prov
    counts = mentioned_provinces(f"{title or ''}\n{text[:3000]}")
    if not counts:
        return None
    (best, n), *rest = counts.most_common(2) + [("", 0)]
    if n >= 2 and n > rest[0][1]:
        return best
    return None


def _dateline_after_site(text: str) -> str | None:
    """The place in "TRIBUNSOLO.COM, JAKARTA --" or "JAKARTA, KOMPAS.com —" style datelines."""
    m = re.match(
        r"^\W*[\w.]+\.(?:com|co\.id|id)\s*,\s*([A-Za-z][A-Za-z ]{2,30}?)\s*[-–—]", text, re.I
    )
    if m:
        return m.group(1)
    m = re.match(r"^\W*([A-Z][A-Z ]{2,30}),\s*[\w.]+\.(?:com|co\.id|id)\b", text, re.I)
    return m.group(1) if m else None
