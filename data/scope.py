"""A user's data scope: the sellers and customer states they may see, as a filter they cannot remove.

Applying a scope to Filters keeps the chosen values that lie inside it and, when none is chosen
(or none of the chosen ones is allowed), the whole scope. So a scoped answer is always computed
over a subset of the scope, whatever a page, a link or a crafted request asks for.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from data.filters import Filters


@dataclass(frozen=True)
class Scope:
    sellers: tuple[str, ...] = ()
    states: tuple[str, ...] = ()

    @property
    def limited(self) -> bool:
        return bool(self.sellers or self.states)

    def apply(self, f: Filters) -> Filters:
        """These filters with the scope as a filter that cannot be removed (idempotent)."""
        if not self.limited:
            return f
        sellers, states = f.sellers, f.states
        if self.sellers:
            sellers = tuple(s for s in f.sellers if s in self.sellers) or self.sellers
        if self.states:
            states = tuple(s for s in f.states if s in self.states) or self.states
        return replace(f, sellers=sellers, states=states)

    def restrict(self, filters: dict) -> dict:
        """A semantic query's filters (dimension key to values) with the scope as a filter that
        cannot be removed: the same rule as `apply`, on the `seller` and `state` dimensions."""
        out = dict(filters)
        for key, allowed in (("seller", self.sellers), ("state", self.states)):
            if allowed:
                out[key] = tuple(v for v in out.get(key, ()) if v in allowed) or allowed
        return out

    def allows_seller(self, seller_id: str) -> bool:
        return not self.sellers or seller_id in self.sellers

    def allows_state(self, state: str) -> bool:
        return not self.states or state in self.states

    def describe(self) -> str:
        """One line for the filter bar and the admin's list ("" when not limited)."""
        parts = []
        if self.sellers:
            shown = ", ".join(s[:8] + "…" for s in self.sellers[:3])
            more = f" and {len(self.sellers) - 3} more" if len(self.sellers) > 3 else ""
            parts.append(f"seller{'s' if len(self.sellers) > 1 else ''} {shown}{more}")
        if self.states:
            parts.append(f"customer state{'s' if len(self.states) > 1 else ''} {', '.join(self.states)}")
        return " and ".join(parts)


EVERYTHING = Scope()
