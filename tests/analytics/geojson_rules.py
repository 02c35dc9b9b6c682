"""A validator of the GeoJSON (RFC 7946) rules the exports rely on, and of their clean geometry.

RFC 7946: a FeatureCollection has ``type`` and a ``features`` array (section 3.3); a Feature has
``type``, ``geometry`` (an object or null) and ``properties`` (an object or null), and an ``id``
that is a string or a number if any (3.2); a position is two or three numbers, longitude then
latitude in WGS84 (3.1.1, 4); a LineString has two or more positions (3.1.4); no ``crs`` member
(4). Beyond the RFC, the exports promise clean geometry: no line of zero length, and (with
``single_type``) one geometry type per collection.
"""

from __future__ import annotations

from numbers import Real


def _position(value, where: str) -> list[str]:
    if not isinstance(value, list) or len(value) not in (2, 3):
        return [f"{where}: a position is 2 or 3 numbers, not {value!r}"]
    if not all(isinstance(v, Real) and not isinstance(v, bool) and v == v for v in value):
        return [f"{where}: a position holds numbers only, not {value!r}"]
    lon, lat = value[0], value[1]
    problems = []
    if not -180 <= lon <= 180:
        problems.append(f"{where}: longitude {lon} is outside [-180, 180]")
    if not -90 <= lat <= 90:
        problems.append(f"{where}: latitude {lat} is outside [-90, 90]")
    return problems


def _geometry(geometry, where: str) -> list[str]:
    if geometry is None:
        return []
    if not isinstance(geometry, dict) or "coordinates" not in geometry:
        return [f"{where}: a geometry is an object with coordinates"]
    kind, coordinates = geometry.get("type"), geometry["coordinates"]
    if kind == "Point":
        return _position(coordinates, where)
    if kind == "LineString":
        if not isinstance(coordinates, list) or len(coordinates) < 2:
            return [f"{where}: a LineString has two or more positions"]
        problems = [p for i, c in enumerate(coordinates) for p in _position(c, f"{where}[{i}]")]
        if not problems and all(c[:2] == coordinates[0][:2] for c in coordinates):
            problems.append(f"{where}: a LineString of zero length")
        return problems
    return [f"{where}: geometry type {kind!r} is not one the exports write (Point, LineString)"]


def geojson_problems(collection, single_type: bool = False) -> list[str]:
    """Every rule the collection breaks (empty when it is valid)."""
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        return ["the top level is not a FeatureCollection"]
    if "crs" in collection:
        return ["RFC 7946 has no crs member: coordinates are WGS84"]
    features = collection.get("features")
    if not isinstance(features, list):
        return ["a FeatureCollection has a features array"]
    problems: list[str] = []
    types = set()
    for i, feature in enumerate(features):
        where = f"features[{i}]"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(f"{where}: not a Feature")
            continue
        if "geometry" not in feature or "properties" not in feature:
            problems.append(f"{where}: a Feature has geometry and properties members")
            continue
        if feature["properties"] is not None and not isinstance(feature["properties"], dict):
            problems.append(f"{where}: properties are an object or null")
        if "id" in feature and not isinstance(feature["id"], (str, int, float)):
            problems.append(f"{where}: an id is a string or a number")
        problems += _geometry(feature["geometry"], f"{where}.geometry")
        if feature["geometry"] is not None:
            types.add(feature["geometry"].get("type"))
    if single_type and len(types) > 1:
        problems.append(f"one geometry type expected, found {sorted(types)}")
    return problems
