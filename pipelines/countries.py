"""The country codes the import rules accept, from pycountry's ISO 3166-1 list, and hints for
the well-known wrong ones (`UK` for GB, `USA` for US, `Germany` for DE).

The list reaches SQL as bound data: `import_countries.sql` turns `rules_table()` into the temp
table `import_countries`, which `ip_country_error` (queries/import_rules.sql) reads in both
passes. Nothing here is a hand-typed code list: the codes, alpha-3 and numeric codes, names
and withdrawn codes all come from pycountry (Debian's iso-codes, kept up to date upstream).
What is typed here are installpulse's own conventions, the codes stores are documented to
emit beyond ISO, and two well-known abbreviations that ISO reserves without assigning.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

# installpulse's conventions (ISO 3166-1 leaves AA, QM-QZ, XA-XZ and ZZ to users).
CONVENTIONS: dict[str, str] = {
    "WW": "worldwide (files without a country breakdown)",
    "ZZ": "a country the store could not resolve",
}

# Codes outside ISO 3166-1 that store exports are documented to contain (Google Play's
# `_country` reports; docs/FORMATS.md 1.5): refusing them would refuse the file as downloaded.
STORE_CODES: dict[str, str] = {
    "XK": "Kosovo (user-assigned; used by Google Play and the European Commission)",
    "AN": "Netherlands Antilles (withdrawn in 2010; Google Play still reports it)",
}

# Abbreviations people use for a country whose ISO code differs (ISO reserves UK, and the EU
# writes EL for Greece, without assigning either).
MISTAKES: dict[str, tuple[str, str]] = {
    "UK": ("GB", "UK is reserved for the United Kingdom but not assigned"),
    "EL": ("GR", "EL is the EU's abbreviation for Greece"),
}


@lru_cache(maxsize=1)
def assigned() -> frozenset[str]:
    """Every assigned ISO 3166-1 alpha-2 code (pycountry)."""
    import pycountry  # (10 ms: only an import pays for it)

    return frozenset(c.alpha_2 for c in pycountry.countries)


def accepted() -> frozenset[str]:
    """Every code an import stores: the assigned ones, the conventions and the store codes."""
    return assigned() | CONVENTIONS.keys() | STORE_CODES.keys()


@lru_cache(maxsize=1)
def hints() -> dict[str, str]:
    """Upper-case text that is not an accepted code -> what to write instead.

    Alpha-3 and numeric codes and English names (short, official, common) map to their
    alpha-2 code where that is unambiguous; withdrawn codes say so; UK and EL name the ISO code.
    """
    import pycountry

    codes: dict[str, set[str]] = defaultdict(set)
    why: dict[tuple[str, str], str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        spelled = {
            country.alpha_3: f"{country.alpha_3} is the alpha-3 code",
            country.numeric: f"{country.numeric} is the numeric code",
        }
        for attribute in ("name", "official_name", "common_name"):
            name = getattr(country, attribute, None)
            if name:
                spelled.setdefault(name.upper(), country.name)
        for text, reason in spelled.items():
            codes[text].add(code)
            why[(text, code)] = reason
    out: dict[str, str] = {}
    for text, found in codes.items():
        if len(found) == 1:
            (code,) = found
            out[text] = f"the ISO code is {code} ({why[(text, code)]})."
    withdrawn: dict[str, list[str]] = defaultdict(list)
    for old in pycountry.historic_countries:
        withdrawn[old.alpha_2].append(f"{old.name}, {old.withdrawal_date[:4]}")
    for code, names in withdrawn.items():
        out[code] = f"{code} was withdrawn from ISO 3166-1 ({'; '.join(names)})."
    for code, (iso, reason) in MISTAKES.items():
        out[code] = f"the ISO code is {iso} ({reason})."
    keep = accepted()
    return {text: hint for text, hint in out.items() if text not in keep}


def rules_table() -> dict[str, list]:
    """The bound parameters of `import_countries.sql`: one row per accepted code (no hint) and
    per known wrong spelling (with its hint)."""
    table = hints()
    keys = sorted(accepted())
    return {
        "country_keys": keys + sorted(table),
        "country_accepted": [True] * len(keys) + [False] * len(table),
        "country_hints": [None] * len(keys) + [table[k] for k in sorted(table)],
    }
