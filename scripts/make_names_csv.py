"""Build the shipped surnames-by-country data (run once by a maintainer; needs Faker).

    pip install --target /tmp/fakerlib "faker==40.54.0"
    PYTHONPATH=/tmp/fakerlib python scripts/make_names_csv.py

Source: the surname lists of Faker's person providers (MIT licence), one locale
(or a few) per country.  The course's own names files carry no licence, so they
are not used.  Each name is written in ASCII, as the lecture's model reads
character codes below 128: Latin-script names lose their diacritics (Unicode
NFKD, as the lecture's unicodeToAscii does); Russian (Cyrillic) and Greek
names are transliterated with the simple tables below.  A name that occurs
under two countries is dropped, so every label is unambiguous; each country
keeps at most CAP names (a seeded sample); multi-word entries (titles such as
"Koch II", historical names such as "Gepa van Bourgondie") are left out.  A seeded, per-country split:

  names_train.csv.gz  60 %  public: the worker trains on it
  names_test.csv.gz   15 %  public: learners may evaluate on it
  eval/names.csv.gz   25 %  hidden: only the grader's process reads it

Rows are `name,country` without a header, as in the lecture's files.
"""
import csv
import gzip
import importlib
import io
import random
import sys
import unicodedata
from pathlib import Path

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "grader" / "data" / "names")
SEED = 20261122
CAP = 350

# country -> (Faker locale, attribute names of its surname lists)
SOURCES = {
    "Chinese": [("zh_CN", "last_romanized_names")],
    "Czech": [("cs_CZ", "last_names_male"), ("cs_CZ", "last_names_female")],
    "Dutch": [("nl_NL", "last_names")],
    "English": [("en_US", "last_names"), ("en_GB", "last_names")],
    "French": [("fr_FR", "last_names")],
    "German": [("de_DE", "last_names")],
    "Greek": [("el_GR", "last_names")],
    "Italian": [("it_IT", "last_names")],
    "Japanese": [("ja_JP", "last_romanized_names")],
    "Polish": [("pl_PL", "male_last_names"), ("pl_PL", "unisex_last_names")],
    "Portuguese": [("pt_PT", "last_names"), ("pt_BR", "last_names")],
    "Russian": [("ru_RU", "last_names")],
    "Spanish": [("es_ES", "last_names")],
}

CYRILLIC = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                    "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya".split()))
GREEK_PAIRS = {"ου": "ou", "αι": "ai", "ει": "ei", "οι": "oi", "αυ": "av", "ευ": "ev", "γγ": "ng", "γκ": "gk",
               "μπ": "mp", "ντ": "nt", "τσ": "ts", "τζ": "tz"}
GREEK = dict(zip("αβγδεζηθικλμνξοπρσςτυφχψω",
                 "a v g d e z i th i k l m n x o p r s s t y f ch ps o".split()))


def transliterate(name: str, table: dict, pairs: dict | None = None) -> str:
    text = unicodedata.normalize("NFD", name.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")  # Greek accents
    out, i = [], 0
    while i < len(text):
        if pairs and text[i:i + 2] in pairs:
            out.append(pairs[text[i:i + 2]])
            i += 2
            continue
        out.append(table.get(text[i], text[i]).replace("_", ""))
        i += 1
    return "".join(out).capitalize()


def to_ascii(name: str, country: str) -> str | None:
    if country == "Russian":
        name = transliterate(name, CYRILLIC)
    elif country == "Greek":
        name = transliterate(name, GREEK, GREEK_PAIRS)
    name = "".join(c for c in unicodedata.normalize("NFKD", name) if unicodedata.category(c) != "Mn")
    name = name.replace("ł", "l").replace("Ł", "L").strip()
    # one word (hyphens and apostrophes allowed): multi-word entries are mostly titles and historical names
    ok = name.isascii() and name[:1].isupper() and all(c.isalpha() or c in "'-" for c in name) and len(name) >= 2
    return name if ok else None


def collect() -> dict[str, list[str]]:
    by_country: dict[str, set[str]] = {}
    for country, lists in SOURCES.items():
        names = by_country.setdefault(country, set())
        for locale, attr in lists:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
            for raw in getattr(provider, attr):
                name = to_ascii(str(raw), country)
                if name:
                    names.add(name)
    seen: dict[str, int] = {}
    for names in by_country.values():
        for n in names:
            seen[n] = seen.get(n, 0) + 1
    rng = random.Random(SEED)
    result = {}
    for country, names in sorted(by_country.items()):
        unique = sorted(n for n in names if seen[n] == 1)  # a name under two countries has no single label
        rng.shuffle(unique)
        result[country] = unique[:CAP]
    return result


def write(path: Path, rows: list[tuple[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    with open(path, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as gz:  # reproducible bytes
        gz.write(text.getvalue().encode("ascii"))


def main() -> None:
    import faker
    rng = random.Random(SEED + 1)
    parts: dict[str, list[tuple[str, str]]] = {"train": [], "test": [], "eval": []}
    for country, names in collect().items():
        n = len(names)
        n_test, n_eval = round(0.15 * n), round(0.25 * n)
        parts["test"] += [(x, country) for x in names[:n_test]]
        parts["eval"] += [(x, country) for x in names[n_test:n_test + n_eval]]
        parts["train"] += [(x, country) for x in names[n_test + n_eval:]]
        print(f"{country:11s} {n:4d}")
    for rows in parts.values():
        rng.shuffle(rows)
    write(OUT / "names_train.csv.gz", parts["train"])
    write(OUT / "names_test.csv.gz", parts["test"])
    write(OUT / "eval" / "names.csv.gz", parts["eval"])
    print({k: len(v) for k, v in parts.items()}, "from Faker", faker.VERSION, "->", OUT)


if __name__ == "__main__":
    main()
