"""The cross-board duplicate fingerprint (`jobs.dupKey`): normalized company + title + location.

Two postings of one position on two boards rarely share an identity, but they share who, what and where.
The key folds the differences boards introduce: case, punctuation, HTML entities, accents, spacing
("Front-End" / "Frontend"), company legal forms ("Inc.", "Ltd", "GmbH"), title abbreviations ("Sr."),
gender tags ("(m/f/d)"), the many spellings of "remote", US state and country names. It is a hash so that
it can be indexed and compared cheaply; `dupkey_parts` keeps the folded parts readable for tests and for
explaining a match. Precision matters more than recall (a wrong group hides a real job when collapsed), so
nothing here guesses: a place stays distinct from another place, a company from another company. Measured
on a labelled set in docs/duplicates.md.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata

# Legal-form suffixes dropped from company names: the same employer signs "Acme Inc." on one board and "Acme" on
# another. Only trailing words are dropped, so a company called "Limited Editions" keeps its name.
COMPANY_SUFFIXES = frozenset(
    {"inc", "incorporated", "llc", "ltd", "limited", "gmbh", "ag", "sa", "sas", "sarl", "bv", "nv", "plc",
     "co", "corp", "corporation", "company", "oy", "ab", "as", "srl", "spa", "pty", "pte", "kg", "ug", "llp", "lp",
     "se", "aps", "mbh"}
)  # fmt: skip
# Multi-word forms after punctuation became spaces ("L.L.C." -> "l l c", "Co., Ltd." -> "co ltd" is two words).
COMPANY_SUFFIX_PHRASES = (("l", "l", "c"), ("s", "a"), ("b", "v"), ("n", "v"), ("p", "l", "c"), ("pty", "ltd"))
# Every way boards say "not tied to a place": removed from a location, which is then "remote" if nothing is left.
REMOTE_PHRASES = (
    "anywhere in the world", "work from home", "fully remote", "100 remote", "remote first", "home based",
    "remote only", "remote friendly", "remote ok", "remote", "anywhere", "worldwide", "global", "wfh",
    "distributed", "telecommute", "telecommuting", "world", "work from anywhere", "from home", "virtual",
)  # fmt: skip
REMOTE = "remote"
MAX_COMPANY_CHARS = 80  # "Company: Title" only when the part before the colon is short enough to be a name
# Title words boards abbreviate differently; a whole word is replaced, never a part of one.
TITLE_WORDS = {
    "sr": "senior", "snr": "senior", "jr": "junior", "jnr": "junior", "mgr": "manager", "eng": "engineer",
    "engr": "engineer", "dev": "developer", "asst": "assistant", "assoc": "associate", "dir": "director",
    "vp": "vice president", "svp": "senior vice president", "ops": "operations", "mktg": "marketing",
    "admin": "administrator", "ii": "2", "iii": "3", "iv": "4", "fullstack": "full stack",
}  # fmt: skip
# Gender tags of European postings: "(m/f/d)", "m/w/d", "(f/m/x)", "(h/f)"; folded to their letters.
GENDER_TAG = re.compile(r"(?:^|\s)(?:[mwfdhx]\s){1,2}[mwfdhx](?=\s|$)")
# Places: a US state's name folds to its code; a country's names fold to one name. Country aliases are only
# spelling variants of one country ("usa", "united states"), never a guess between two places; two-letter
# codes that are also US states ("CA", "DE") are left alone.
US_STATES = {
    "alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca", "colorado": "co",
    "connecticut": "ct", "delaware": "de", "florida": "fl", "georgia": "ga", "hawaii": "hi", "idaho": "id",
    "illinois": "il", "indiana": "in", "iowa": "ia", "kansas": "ks", "kentucky": "ky", "louisiana": "la",
    "maine": "me", "maryland": "md", "massachusetts": "ma", "michigan": "mi", "minnesota": "mn",
    "mississippi": "ms", "missouri": "mo", "montana": "mt", "nebraska": "ne", "nevada": "nv", "new hampshire": "nh",
    "new jersey": "nj", "new mexico": "nm", "north carolina": "nc", "north dakota": "nd", "ohio": "oh",
    "oklahoma": "ok", "oregon": "or", "pennsylvania": "pa", "rhode island": "ri", "south carolina": "sc",
    "south dakota": "sd", "tennessee": "tn", "texas": "tx", "utah": "ut", "vermont": "vt", "virginia": "va",
    "washington": "wa", "west virginia": "wv", "wisconsin": "wi", "wyoming": "wy", "district of columbia": "dc",
}  # fmt: skip
COUNTRIES = {
    "usa": "us", "united states": "us", "united states of america": "us", "u s a": "us", "u s": "us",
    "america": "us", "uk": "gb", "united kingdom": "gb", "great britain": "gb", "england": "gb", "u k": "gb",
    "deutschland": "germany", "nederland": "netherlands", "the netherlands": "netherlands",
    "holland": "netherlands", "espana": "spain", "osterreich": "austria", "schweiz": "switzerland",
    "suisse": "switzerland", "italia": "italy", "polska": "poland", "czechia": "czech republic",
    "uae": "united arab emirates", "brasil": "brazil", "mx": "mexico",
    "eu": "europe", "emea": "europe", "european union": "europe",
}  # fmt: skip
_NON_WORD = re.compile(r"[^\w]+")
_LOCATION_SEPARATORS = re.compile(r"\s*[,;|/()&+\u00b7]\s*|\s+[-\u2013\u2014]\s+")  # between places, not in one
_TAGS = re.compile(r"<[^>]+>")


def _fold(text: str | None) -> str:
    """Lower-case words only: entities decoded, tags and accents dropped, punctuation to spaces."""
    if not text:
        return ""
    text = html.unescape(html.unescape(text))  # feeds escape twice (&amp;amp;)
    text = _TAGS.sub(" ", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("&", " and ").replace("+", " plus ")
    return " ".join(_NON_WORD.sub(" ", text.casefold()).replace("_", " ").split())


def _drop_phrases(words: list[str], phrases: tuple[str, ...]) -> tuple[list[str], bool]:
    """Remove every occurrence of the (multi-word) phrases, longest first; say whether any was found."""
    found = False
    text = f" {' '.join(words)} "
    for phrase in sorted(phrases, key=len, reverse=True):
        if f" {phrase} " in text:
            found = True
            while f" {phrase} " in text:
                text = text.replace(f" {phrase} ", " ")
    return text.split(), found


def fold_company(company: str | None) -> str:
    """The employer's name without legal form or a leading "the"; "" when unknown."""
    words = _fold(company).split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    changed = True
    while changed and len(words) > 1:
        changed = False
        for phrase in COMPANY_SUFFIX_PHRASES:
            if len(words) > len(phrase) and tuple(words[-len(phrase) :]) == phrase:
                words, changed = words[: -len(phrase)], True
        if len(words) > 1 and words[-1] in COMPANY_SUFFIXES:
            words, changed = words[:-1], True
    return " ".join(words)


def fold_title(title: str | None) -> str:
    """The title's words with abbreviations spelled out, gender tags and a "remote" prefix/suffix dropped."""
    folded = GENDER_TAG.sub(" ", f" {_fold(title)} ")
    words = [part for word in folded.split() for part in TITLE_WORDS.get(word, word).split()]
    # "Remote Senior Engineer" / "Senior Engineer (Remote)": where a board puts the place, not the job
    while len(words) > 1 and words[0] in {"remote", "anywhere"}:
        words = words[1:]
    while len(words) > 1 and words[-1] in {"remote", "anywhere", "worldwide"}:
        words = words[:-1]
    return " ".join(words)


def fold_location(location: str | None) -> str:
    """The places named, in order (states and countries folded; a country after a city dropped), or "remote"."""
    places = [place for part in _LOCATION_SEPARATORS.split(_unescape(location)) if (place := _place(part))]
    if not places:
        return REMOTE if _fold(location) else ""  # only remote words ("Anywhere in the World")
    if len(places) > 1 and _is_country(places[-1]) and not all(_is_country(p) for p in places[:-1]):
        places = places[:-1]  # "Berlin, Germany" is "Berlin"; "Germany, Austria" stays a list of countries
    return " ".join(dict.fromkeys(" ".join(places).split()))


def _unescape(text: str | None) -> str:
    """Entities decoded and tags turned into separators, before folding loses where one place ends."""
    return _TAGS.sub(",", html.unescape(html.unescape(text or "")))


def _place(part: str) -> str:
    """One place of a location list: remote words dropped, a state or country name folded to one spelling."""
    words, _ = _drop_phrases(_fold(part).split(), REMOTE_PHRASES)
    text = " ".join(words)
    return COUNTRIES.get(text) or US_STATES.get(text) or text


def _is_country(place: str) -> bool:
    return place in COUNTRIES.values() or place in _COUNTRY_NAMES


# Country names as they end a location ("Lisbon, Portugal"), beyond the aliases above.
_COUNTRY_NAMES = frozenset(
    {"germany", "france", "spain", "portugal", "italy", "netherlands", "belgium", "austria", "switzerland", "poland",
     "ireland", "sweden", "norway", "denmark", "finland", "estonia", "latvia", "lithuania", "czech republic",
     "slovakia", "hungary", "romania", "bulgaria", "greece", "croatia", "serbia", "ukraine", "turkey", "israel",
     "india", "pakistan", "philippines", "indonesia", "vietnam", "thailand", "singapore", "malaysia", "japan",
     "china", "south korea", "australia", "new zealand", "canada", "brazil", "argentina", "chile", "colombia",
     "peru", "mexico", "south africa", "nigeria", "kenya", "egypt", "morocco", "united arab emirates",
     "saudi arabia", "us", "gb", "europe"}
)  # fmt: skip


def dupkey_parts(company: str | None, title: str | None, location: str | None) -> tuple[str, str, str]:
    """(company, title, location) as the key compares them: readable, for tests and explanations.

    A board that leaves the company empty and writes "Company: Title" (We Work Remotely) is read as such.
    """
    if not fold_company(company) and title and ":" in title:
        head, _, rest = title.partition(":")
        if _fold(head) and _fold(rest) and len(head) <= MAX_COMPANY_CHARS:
            company, title = head, rest
    return fold_company(company), fold_title(title), fold_location(location)


def dupkey(company: str | None, title: str | None, location: str | None) -> str | None:
    """The fingerprint, or None when company or title is missing (too little to call two postings one job).

    Spaces are dropped inside each part before hashing, so "Front End" and "Frontend" or "Data Base" and
    "Database" meet; the parts stay separated, so words never move between company, title and place.
    """
    company_f, title_f, location_f = dupkey_parts(company, title, location)
    if not company_f or not title_f:
        return None
    joined = "\x1f".join(part.replace(" ", "") for part in (company_f, title_f, location_f))
    return hashlib.sha1(joined.encode()).hexdigest()[:20]
