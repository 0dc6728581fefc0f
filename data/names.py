"""How values are named for people: states with their names, categories and cities in title case.

Every chart, grid, hover, export and filter option names a value through these functions, so a
state or a category reads the same on every page.
"""
from __future__ import annotations

STATE_NAMES = {
    "AC": "Acre", "AL": "Alagoas", "AM": "Amazonas", "AP": "Amapá", "BA": "Bahia", "CE": "Ceará",
    "DF": "Distrito Federal", "ES": "Espírito Santo", "GO": "Goiás", "MA": "Maranhão", "MG": "Minas Gerais",
    "MS": "Mato Grosso do Sul", "MT": "Mato Grosso", "PA": "Pará", "PB": "Paraíba", "PE": "Pernambuco",
    "PI": "Piauí", "PR": "Paraná", "RJ": "Rio de Janeiro", "RN": "Rio Grande do Norte", "RO": "Rondônia",
    "RR": "Roraima", "RS": "Rio Grande do Sul", "SC": "Santa Catarina", "SE": "Sergipe", "SP": "São Paulo",
    "TO": "Tocantins",
}
UNKNOWN_STATE = "??"


def state(code: str | None) -> str:
    """"São Paulo (SP)"; the placeholder for customers without a known state is "Unknown state"."""
    if code in (None, "", UNKNOWN_STATE):
        return "Unknown state"
    name = STATE_NAMES.get(code)
    return f"{name} ({code})" if name else str(code)


def category(key: str | None) -> str:
    """"health_beauty" -> "Health Beauty"; a product without a category is "Unknown"."""
    if not key:
        return "Unknown"
    return " ".join(w.capitalize() for w in str(key).replace("_", " ").split())


LOWER = {"da", "das", "de", "do", "dos", "e", "d"}


def city(text: str | None) -> str:
    """"sao bernardo do campo" -> "Sao Bernardo do Campo" (the export's cities are lower case, without
    accents, and are shown as written otherwise); a customer without a city is "Unknown city"."""
    words = str(text or "").split()
    if not words:
        return "Unknown city"
    return " ".join(w if k and w in LOWER else w[:1].upper() + w[1:] for k, w in enumerate(words))


def status(key: str | None) -> str:
    return str(key or "unknown").capitalize()


def payment_type(key: str | None) -> str:
    return {"credit_card": "Credit card", "debit_card": "Debit card", "boleto": "Boleto",
            "voucher": "Voucher", "not_defined": "Not defined"}.get(key or "", str(key or "Unknown"))


def seller(seller_id, city: str | None, state: str | None) -> str:
    """How a seller is named wherever one is shown: city and state, then the id's first characters
    ("Belo Horizonte, MG · 44998ddd"); the full id is in the link and the export."""
    place = ", ".join(v for v in (city_or_blank(city), state or "") if v) or "Unknown place"
    return f"{place} · {str(seller_id)[:8]}"


def product(product_id, category_key: str | None) -> str:
    """"Housewares · a7283d58": a product has no name in the export, so its category and the id's start."""
    return f"{category(category_key)} · {str(product_id)[:8]}"


def city_or_blank(text: str | None) -> str:
    return city(text) if text and str(text).strip() else ""
