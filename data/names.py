"""How values are named for people: states with their names, categories in title case.

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


def status(key: str | None) -> str:
    return str(key or "unknown").capitalize()


def payment_type(key: str | None) -> str:
    return {"credit_card": "Credit card", "debit_card": "Debit card", "boleto": "Boleto",
            "voucher": "Voucher", "not_defined": "Not defined"}.get(key or "", str(key or "Unknown"))
