"""The catalogue: the glossary in one place, and every name DESIGN.md makes a contract declared."""
import re
from pathlib import Path

from data.semantic import catalogue
from data.semantic.model import LEVELS

DESIGN = Path(__file__).resolve().parents[2] / "shared" / "DESIGN.md"


def _keys(heading: str) -> set[str]:
    """The `backticked` keys of the DESIGN.md bullet that starts with `heading`."""
    text = DESIGN.read_text()
    bullet = text[text.index(heading):].split("\n- ", 1)[0]
    return set(re.findall(r"`([a-z_]+)`", bullet))


def test_every_dimension_design_names_is_declared():
    assert _keys("**Dimension keys**") - {"day", "week", "month", "quarter", "year"} <= set(catalogue.DIMENSIONS)


def test_every_metric_is_built_from_declared_measures_at_known_levels():
    for m in catalogue.METRICS.values():
        assert all(k in catalogue.MEASURES for k in m.measures), m.key
        assert m.fmt in ("money", "count", "pct", "score", "days") and m.definition.endswith("."), m.key
    assert all(m.level in LEVELS and m.agg in ("sum", "count", "distinct") for m in catalogue.MEASURES.values())
    assert all(d.level in LEVELS for d in catalogue.DIMENSIONS.values())


def test_the_pages_glossary_is_the_catalogue():
    from data import metrics
    assert metrics.METRICS is catalogue.METRICS


def test_the_readmes_data_dictionary_lists_every_rollup_as_declared():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for r in catalogue.ROLLUPS:
        named = {catalogue.EVERY_SUM: "every sum and count", catalogue.SELLER_SUMS: "every sum and count but payments"}
        measures = next((n for sums, n in named.items() if set(r.measures) == set(sums)), ", ".join(r.measures))
        source = f"`rollup_{r.source}`" if r.source else "the star"
        if r.overlap:
            assert (f"| `rollup_{r.name}` | one row per order holding two or more {r.overlap} values | the star | "
                    f"{', '.join(r.dimensions)}; {measures} (the order's own totals); the array of its {r.overlap} "
                    f"values |" in readme), r.name
            continue
        assert f"| `rollup_{r.name}` | {r.grain} x {' x '.join(r.dimensions)} | {source} | {measures} |" in readme, r.name
    p = catalogue.PEOPLE
    assert (f"| `rollup_{p.name}` | one row per order of a person with two or more orders | `repeat_buyer_orders` "
            f"and the star | person, first order date, {', '.join(p.dimensions)}; arrays of {', '.join(p.lists)} |"
            in readme)
