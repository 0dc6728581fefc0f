"""Write the web copy of Brazil's state outlines: `python -m etl.simplify_geo [SOURCE]`.

The shared GeoJSON (../shared/geo, MIT, from click_that_hood) is 3.3 MB at full precision; a
choropleth needs a small fraction of that. The states are simplified together as one coverage,
so neighbours keep a common border (no slivers or gaps), and coordinates are cut to 3 decimals
(about 100 m); rings are wound the way d3-geo expects. The output keeps each state's `sigla` and `name`, and the licence goes beside it.
Run again only when the source changes; the result is committed under assets/.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "geo"
TOLERANCE = 0.03  # degrees; about 3 km, invisible at the size the map is drawn


def _rounded(value, places: int = 3):
    if isinstance(value, (list, tuple)):
        return [_rounded(v, places) for v in value]
    return round(value, places)


def simplify(source: Path, target: Path) -> tuple[int, int]:
    """Simplify the source's states into `target`; return the sizes before and after, in bytes."""
    data = json.loads(source.read_text(encoding="utf-8"))
    geoms = [shape(f["geometry"]) for f in data["features"]]
    simpler = shapely.coverage_simplify(geoms, TOLERANCE)
    features = []
    for feature, geom in zip(data["features"], simpler):
        # d3-geo, which draws Plotly's maps, wants exterior rings clockwise (the opposite of RFC 7946):
        # a counter-clockwise state would be drawn as the whole globe minus the state.
        g = mapping(shapely.orient_polygons(shapely.make_valid(geom), exterior_cw=True))
        features.append({"type": "Feature", "id": feature["properties"]["sigla"],
                         "properties": {"sigla": feature["properties"]["sigla"],
                                        "name": feature["properties"]["name"]},
                         "geometry": {"type": g["type"], "coordinates": _rounded(g["coordinates"])}})
    text = json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))
    target.write_text(text, encoding="utf-8")
    return source.stat().st_size, len(text)


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    before, after = simplify(folder / "brazil-states.geojson", ROOT / "assets" / "brazil-states.geojson")
    shutil.copyfile(folder / "LICENSE-click_that_hood.txt", ROOT / "assets" / "LICENSE-brazil-states.txt")
    print(f"assets/brazil-states.geojson: {before / 1e6:.1f} MB -> {after / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
