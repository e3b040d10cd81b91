"""Resistance surfaces from a declarative TOML model.

Pure functions (arrays in, arrays out) do the work: reclassification tables, piecewise-linear
and threshold functions, slope and terrain ruggedness from a DEM, rasterised vector features
with buffers and distance decay, hard barriers, combination of layers, and the Keeley et al.
(2016) suitability → resistance transforms. :func:`load_model` parses a model file and
:func:`build_resistance` reads its layers (through :mod:`connectivity.raster`), puts them on one
metric grid and evaluates the model.

Model file (TOML)
-----------------
::

    [model]
    name = "amur_tiger"
    combine = "sum"          # sum | max | product | weighted (weighted mean)
    base = 1.0               # added to the combination (sum / weighted)
    min = 1.0                # final clamp
    max = 1000.0
    # optional: the combined layers are a habitat suitability in [0, 1]
    # suitability = { transform = "negative_exponential", c = 8, max_resistance = 100 }

    [grid]
    template = "elevation.tif"   # path relative to this file (or to --data-dir)
    crs = "laea"                 # reproject onto a Lambert azimuthal equal-area grid centred on
                                 # the template; "EPSG:32652" etc.; omit to keep the template's
                                 # (metric) grid, in which case raster layers must align with it
    resolution = 5000            # metres

    [[layer]]
    name = "elevation"
    type = "continuous"          # continuous | slope | tri | categorical | vector
    source = "elevation.tif"
    function = "piecewise"       # piecewise: points = [[x, r], ...]; threshold: breaks + values
    points = [[0, 0], [800, 0], [1500, 20]]
    weight = 1.0
    citation = "..."             # every value needs a citation or "expert assumption"

Vector layers (``.geojson`` in lon/lat unless the file names a CRS, or ``.csv`` with ``lon``/
``lat`` columns) take ``value`` (or ``value_by = {attribute = "level", table = {...}}``),
``where = {attribute = [values]}``, ``buffer_m``, ``radius_attribute`` + ``radius_m_per_sqrt``
(points grown with the square root of e.g. population), ``decay = {distance_m, shape}`` (linear,
exponential or step fall-off of the penalty away from the feature) and ``barrier = true``
(cells become nodata: impassable).
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from genetics.errors import ConfigError, InputDataError

from .raster import (
    DEFAULT_NODATA,
    Raster,
    align_to,
    check_aligned,
    laea_crs,
    raster_bounds,
    read_raster,
    require_metric,
    to_metric,
)

__all__ = [
    "reclassify",
    "piecewise_linear",
    "threshold",
    "slope_degrees",
    "terrain_ruggedness",
    "distance_decay",
    "rasterize_features",
    "combine_layers",
    "keeley_transform",
    "LayerSpec",
    "ResistanceModel",
    "load_model",
    "build_resistance",
    "read_features",
    "COMBINE_MODES",
    "LAYER_TYPES",
]

COMBINE_MODES = ("sum", "max", "product", "weighted")
LAYER_TYPES = ("continuous", "slope", "tri", "categorical", "vector")
FUNCTIONS = ("piecewise", "threshold", "identity", "keeley")

# ======================================================================================
# Pure functions


def reclassify(values: np.ndarray, valid: np.ndarray, table: dict[float, float], default: float | None = None) -> np.ndarray:
    """Map category codes to resistances with a lookup table.

    Parameters
    ----------
    values : ndarray, shape (rows, cols)
        Category codes.
    valid : ndarray of bool, shape (rows, cols)
    table : dict code -> resistance
        ``nan`` as a resistance marks a hard barrier (the cell becomes nodata).
    default : float, optional
        Resistance of codes missing from *table*; ``None`` makes them an error.

    Returns
    -------
    ndarray of float64, shape (rows, cols)
        nan on invalid cells and barriers.

    Raises
    ------
    InputDataError
        A valid cell has a code missing from the table and no default is given.
    """
    out = np.full(values.shape, np.nan)
    codes = np.asarray(sorted(table), dtype=np.float64)
    res = np.asarray([table[c] for c in sorted(table)], dtype=np.float64)
    v = values[valid].astype(np.float64)
    pos = np.searchsorted(codes, v)
    pos_c = np.clip(pos, 0, max(len(codes) - 1, 0))
    hit = (pos < len(codes)) & (codes[pos_c] == v) if len(codes) else np.zeros(v.shape, bool)
    r = np.where(hit, res[pos_c] if len(codes) else np.nan, np.nan)
    if (~hit).any():
        if default is None:
            missing = np.unique(v[~hit])[:10]
            raise InputDataError(
                "category code(s) " + ", ".join(f"{m:g}" for m in missing) + " have no entry in the reclass table "
                "(add them or give a default)")
        r[~hit] = default
    out[valid] = r
    return out


def piecewise_linear(values: np.ndarray, points: list[tuple[float, float]] | np.ndarray) -> np.ndarray:
    """Piecewise-linear function through *points* ``[(x, y), ...]``, constant beyond the ends.

    Parameters
    ----------
    values : ndarray, any shape
    points : sequence of (x, y), x strictly increasing, at least one point

    Returns
    -------
    ndarray of float64, same shape (nan stays nan)
    """
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] < 1:
        raise ConfigError("piecewise points must be a list of [x, y] pairs")
    if np.any(np.diff(p[:, 0]) <= 0):
        raise ConfigError("piecewise points need strictly increasing x")
    v = np.asarray(values, dtype=np.float64)
    out = np.interp(v, p[:, 0], p[:, 1])
    out[np.isnan(v)] = np.nan
    return out


def threshold(values: np.ndarray, breaks: list[float], results: list[float]) -> np.ndarray:
    """Step function: ``results[k]`` for ``breaks[k-1] <= x < breaks[k]``.

    Parameters
    ----------
    values : ndarray
    breaks : increasing sequence of n thresholds
    results : sequence of n + 1 values

    Returns
    -------
    ndarray of float64 (nan stays nan)
    """
    b = np.asarray(breaks, dtype=np.float64)
    r = np.asarray(results, dtype=np.float64)
    if r.size != b.size + 1:
        raise ConfigError(f"threshold needs one more value than breaks ({b.size} breaks, {r.size} values)")
    if np.any(np.diff(b) <= 0):
        raise ConfigError("threshold breaks must be strictly increasing")
    v = np.asarray(values, dtype=np.float64)
    out = r[np.digitize(v, b, right=False)]
    out[np.isnan(v)] = np.nan
    return out


def _fill_invalid_nearest(dem: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """DEM with nodata cells set to the nearest valid value (for edge-safe kernels)."""
    from scipy import ndimage

    if valid.all():
        return dem.astype(np.float64)
    _, (ri, ci) = ndimage.distance_transform_edt(~valid, return_indices=True)
    return dem[ri, ci].astype(np.float64)


def slope_degrees(dem: np.ndarray, valid: np.ndarray, cellsize: float | tuple[float, float]) -> np.ndarray:
    """Slope in degrees by Horn's (1981) third-order finite difference.

    Horn, B. K. P. (1981). Hill shading and the reflectance map. Proc. IEEE 69: 14-47.
    (The method of ArcGIS *Slope* and GDAL ``gdaldem slope``.) Nodata neighbours take the
    nearest valid elevation.

    Parameters
    ----------
    dem : ndarray, shape (rows, cols), elevation in the same unit as *cellsize*
    valid : ndarray of bool
    cellsize : float or (width, height) in map units

    Returns
    -------
    ndarray of float64, shape (rows, cols); nan on invalid cells
    """
    from scipy import ndimage

    w, h = (float(cellsize), float(cellsize)) if np.ndim(cellsize) == 0 else map(float, cellsize)  # type: ignore[arg-type]
    z = _fill_invalid_nearest(dem, valid)
    kx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64) / (8 * w)
    ky = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float64) / (8 * h)
    dzdx = ndimage.correlate(z, kx, mode="nearest")
    dzdy = ndimage.correlate(z, ky, mode="nearest")
    out = np.degrees(np.arctan(np.hypot(dzdx, dzdy)))
    out[~valid] = np.nan
    return out


def terrain_ruggedness(dem: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Terrain Ruggedness Index of Riley et al. (1999): sqrt of the summed squared elevation
    differences between a cell and its 8 neighbours.

    Riley, S. J., DeGloria, S. D. & Elliot, R. (1999). A terrain ruggedness index that quantifies
    topographic heterogeneity. Intermountain Journal of Sciences 5: 23-27.
    (``gdaldem TRI`` uses the mean absolute difference of Wilson et al. 2007 instead; we follow
    Riley.) Grid-edge and nodata neighbours take the nearest valid elevation (difference 0 at
    the grid edge).

    Returns
    -------
    ndarray of float64, shape (rows, cols), elevation units; nan on invalid cells
    """
    z = _fill_invalid_nearest(dem, valid)
    p = np.pad(z, 1, mode="edge")
    rows, cols = z.shape
    acc = np.zeros_like(z)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr or dc:
                acc += (p[1 + dr:1 + dr + rows, 1 + dc:1 + dc + cols] - z) ** 2
    out = np.sqrt(acc)
    out[~valid] = np.nan
    return out


def distance_decay(
    feature_values: np.ndarray,
    cellsize: float | tuple[float, float],
    distance: float,
    shape: str = "linear",
) -> np.ndarray:
    """Spread feature penalties to nearby cells with a distance-decay function.

    Each cell gets the value of its nearest feature cell times ``f(d)``, with ``d`` the distance
    between cell centres in map units and ``f`` linear (``1 - d/distance``), exponential
    (``exp(-3 d / distance)``, 5 % left at *distance*) or step (1 up to *distance*); 0 beyond
    *distance*. Feature cells keep their value.

    Parameters
    ----------
    feature_values : ndarray, shape (rows, cols)
        Penalty on feature cells, 0 elsewhere.
    cellsize : float or (width, height)
    distance : float
        Reach in map units (> 0).
    shape : {"linear", "exponential", "step"}

    Returns
    -------
    ndarray of float64, shape (rows, cols)
    """
    from scipy import ndimage

    if distance <= 0:
        raise ConfigError("decay distance must be > 0")
    w, h = (float(cellsize), float(cellsize)) if np.ndim(cellsize) == 0 else map(float, cellsize)  # type: ignore[arg-type]
    on = feature_values != 0
    if not on.any():
        return np.zeros(feature_values.shape)
    d, (ri, ci) = ndimage.distance_transform_edt(~on, sampling=(h, w), return_indices=True)
    x = d / distance
    if shape == "linear":
        f = np.clip(1.0 - x, 0.0, 1.0)
    elif shape == "exponential":
        f = np.where(x <= 1.0, np.exp(-3.0 * x), 0.0)
    elif shape == "step":
        f = (x <= 1.0).astype(np.float64)
    else:
        raise ConfigError(f"unknown decay shape {shape!r} (linear, exponential, step)")
    return feature_values[ri, ci] * f


def rasterize_features(
    geometries: list[Any],
    values: np.ndarray | list[float],
    template: Raster,
    *,
    all_touched: bool = True,
) -> np.ndarray:
    """Burn geometries (already in the template's CRS) into a grid with ``rasterio.features``.

    Overlapping features keep the largest value.

    Parameters
    ----------
    geometries : list of shapely geometries
    values : sequence of float, one per geometry
    template : Raster
        Grid (shape and transform).
    all_touched : bool
        Burn every cell a line touches (keeps thin lines connected as barriers).

    Returns
    -------
    ndarray of float64, shape template.shape; 0 where no feature.
    """
    from rasterio import features

    vals = np.asarray(values, dtype=np.float64)
    if len(geometries) == 0:
        return np.zeros(template.shape)
    order = np.argsort(vals, kind="stable")  # later shapes overwrite: largest wins
    shapes = [(geometries[k], float(vals[k])) for k in order if not geometries[k].is_empty]
    if not shapes:
        return np.zeros(template.shape)
    return features.rasterize(shapes, out_shape=template.shape, transform=template.transform,
                              fill=0.0, all_touched=all_touched, dtype="float64")


def combine_layers(layers: list[np.ndarray], weights: list[float], mode: str = "sum", base: float = 0.0) -> np.ndarray:
    """Combine resistance components cell by cell.

    ``sum``: ``base + Σ w_k r_k``; ``weighted``: ``base + Σ w_k r_k / Σ w_k``; ``max``:
    ``max_k w_k r_k``; ``product``: ``Π r_k ** w_k``. nan (nodata) in any layer gives nan.

    Parameters
    ----------
    layers : list of ndarray, each shape (rows, cols)
    weights : list of float, one per layer
    mode : {"sum", "weighted", "max", "product"}
    base : float

    Returns
    -------
    ndarray of float64, shape (rows, cols)
    """
    if mode not in COMBINE_MODES:
        raise ConfigError(f"unknown combine mode {mode!r}; use {', '.join(COMBINE_MODES)}")
    if not layers:
        raise ConfigError("the model has no layers")
    stack = np.stack([np.asarray(x, dtype=np.float64) for x in layers])
    w = np.asarray(weights, dtype=np.float64)[:, None, None]
    if mode == "sum":
        return base + (w * stack).sum(axis=0)
    if mode == "weighted":
        if w.sum() == 0:
            raise ConfigError("weights sum to zero")
        return base + (w * stack).sum(axis=0) / w.sum()
    if mode == "max":
        return (w * stack).max(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.prod(stack ** w, axis=0)


def keeley_transform(
    suitability: np.ndarray,
    c: float = 8.0,
    max_resistance: float = 100.0,
    kind: str = "negative_exponential",
) -> np.ndarray:
    """Habitat suitability → resistance transforms of Keeley et al. (2016).

    Keeley, A. T. H., Beier, P. & Gagnon, J. W. (2016). Estimating landscape resistance from
    habitat suitability: effects of data source and nonlinearities. Landscape Ecology 31:
    2151-2162. doi:10.1007/s10980-016-0387-5.

    ``negative_exponential``: ``R = Rmax - (Rmax - 1) (1 - exp(-c h)) / (1 - exp(-c))`` with
    ``Rmax = 100`` in the paper and shape ``c`` (0.25 ≈ linear ... 16 strongly concave:
    resistance stays low until suitability is poor). ``linear``: ``R = Rmax - (Rmax - 1) h``
    (the c → 0 limit). ``h`` is clipped to [0, 1]; R runs from Rmax (h = 0) to 1 (h = 1).

    Parameters
    ----------
    suitability : ndarray, values in [0, 1] (nan = nodata)
    c : float > 0
    max_resistance : float > 1
    kind : {"negative_exponential", "linear"}

    Returns
    -------
    ndarray of float64
    """
    h = np.clip(np.asarray(suitability, dtype=np.float64), 0.0, 1.0)
    if max_resistance <= 1:
        raise ConfigError("max_resistance must be > 1")
    if kind == "linear":
        return max_resistance - (max_resistance - 1.0) * h
    if kind != "negative_exponential":
        raise ConfigError(f"unknown suitability transform {kind!r} (negative_exponential, linear)")
    if c <= 0:
        raise ConfigError("Keeley shape c must be > 0")
    return max_resistance - (max_resistance - 1.0) * (-np.expm1(-c * h)) / (-math.expm1(-c))


# ======================================================================================
# Model


@dataclass
class LayerSpec:
    """One layer of a resistance model (see the module docstring for the keys)."""

    name: str
    type: str
    source: Path
    weight: float = 1.0
    function: str = "identity"
    params: dict[str, Any] = field(default_factory=dict)
    citation: str = ""


@dataclass
class ResistanceModel:
    """A parsed resistance model file."""

    name: str
    path: Path | None
    layers: list[LayerSpec]
    combine: str = "sum"
    base: float = 0.0
    min: float | None = None
    max: float | None = None
    suitability: dict[str, Any] | None = None
    grid: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


_LAYER_KEYS = {"name", "type", "source", "weight", "function", "citation", "points", "breaks", "values",
               "table", "default", "value", "value_by", "where", "buffer_m", "radius_attribute",
               "radius_m_per_sqrt", "radius_min_m", "decay", "barrier", "background", "resampling",
               "barrier_above", "barrier_below", "c", "max_resistance", "transform", "notes", "all_touched"}


def load_model(path: str | os.PathLike[str], *, data_dir: str | os.PathLike[str] | None = None) -> ResistanceModel:
    """Parse a resistance model TOML file.

    Parameters
    ----------
    path : path-like
        The model file.
    data_dir : path-like, optional
        Folder the layer paths are relative to (default: the model file's folder).

    Raises
    ------
    ConfigError
        Invalid TOML or an invalid model (unknown keys, types, functions).
    """
    p = Path(path)
    if not p.exists():
        raise InputDataError("no such file", path=p)
    try:
        with open(p, "rb") as fh:
            doc = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        line = None
        import re

        m = re.search(r"line (\d+)", str(exc))
        if m:
            line = int(m.group(1))
        raise ConfigError(f"invalid TOML: {exc}", path=p, line=line) from None
    return model_from_dict(doc, path=p, data_dir=Path(data_dir) if data_dir else p.parent)


def model_from_dict(doc: dict[str, Any], *, path: Path | None = None, data_dir: Path | None = None) -> ResistanceModel:
    """Build a :class:`ResistanceModel` from a parsed TOML document."""
    base_dir = data_dir or (path.parent if path else Path.cwd())

    def err(msg: str) -> ConfigError:
        return ConfigError(msg, path=path)

    model = doc.get("model", {})
    if not isinstance(model, dict):
        raise err("[model] must be a table")
    combine = str(model.get("combine", "sum"))
    if combine not in COMBINE_MODES:
        raise err(f"[model] combine = {combine!r}: use one of {', '.join(COMBINE_MODES)}")
    raw_layers = doc.get("layer", [])
    if not isinstance(raw_layers, list) or not raw_layers:
        raise err("the model needs at least one [[layer]]")
    layers = []
    for k, lay in enumerate(raw_layers, 1):
        name = str(lay.get("name", f"layer{k}"))
        unknown = set(lay) - _LAYER_KEYS
        if unknown:
            raise err(f"layer {name!r}: unknown key(s) {', '.join(sorted(unknown))}")
        typ = lay.get("type")
        if typ not in LAYER_TYPES:
            raise err(f"layer {name!r}: type must be one of {', '.join(LAYER_TYPES)}, got {typ!r}")
        if "source" not in lay:
            raise err(f"layer {name!r}: missing source")
        func = str(lay.get("function", "reclass" if typ == "categorical" else ("value" if typ == "vector" else "identity")))
        if typ in ("continuous", "slope", "tri") and func not in FUNCTIONS:
            raise err(f"layer {name!r}: function must be one of {', '.join(FUNCTIONS)}, got {func!r}")
        if func == "piecewise" and "points" not in lay:
            raise err(f"layer {name!r}: piecewise function needs points = [[x, r], ...]")
        if func == "threshold" and ("breaks" not in lay or "values" not in lay):
            raise err(f"layer {name!r}: threshold function needs breaks and values")
        if typ == "categorical" and "table" not in lay:
            raise err(f"layer {name!r}: categorical layer needs a table")
        if typ == "vector" and not lay.get("barrier") and "value" not in lay and "value_by" not in lay:
            raise err(f"layer {name!r}: vector layer needs value, value_by or barrier = true")
        try:
            weight = float(lay.get("weight", 1.0))
        except (TypeError, ValueError):
            raise err(f"layer {name!r}: weight must be a number") from None
        params = {key: v for key, v in lay.items() if key not in ("name", "type", "source", "weight", "function", "citation")}
        layers.append(LayerSpec(name=name, type=typ, source=(base_dir / str(lay["source"])), weight=weight,
                                function=func, params=params, citation=str(lay.get("citation", ""))))
    grid = dict(doc.get("grid", {}))
    if "template" in grid:
        grid["template"] = base_dir / str(grid["template"])
    suit = model.get("suitability")
    return ResistanceModel(
        name=str(model.get("name", path.stem if path else "model")),
        path=path,
        layers=layers,
        combine=combine,
        base=float(model.get("base", 0.0)),
        min=None if model.get("min") is None else float(model["min"]),
        max=None if model.get("max") is None else float(model["max"]),
        suitability=dict(suit) if suit else None,
        grid=grid,
        meta={k: v for k, v in model.items() if k not in ("combine", "base", "min", "max", "suitability")},
    )


# --------------------------------------------------------------------------------------
# Reading vector features


def read_features(path: Path) -> tuple[list[Any], list[dict[str, Any]], str]:
    """Read point/line/polygon features: GeoJSON, or CSV with lon/lat (or x/y) columns.

    Returns
    -------
    (geometries, properties, crs) with crs a string understood by pyproj
    (GeoJSON: ``crs`` member or ``metadata.crs``, default EPSG:4326).
    """
    from shapely.geometry import Point, shape

    if not path.exists():
        raise InputDataError("no such file", path=path)
    if path.suffix.lower() == ".csv":
        import pandas as pd

        try:
            df = pd.read_csv(path, comment="#")
        except Exception as exc:
            raise InputDataError(f"cannot read CSV: {exc}", path=path) from None
        cols = {c.lower(): c for c in df.columns}
        if "lon" in cols and "lat" in cols:
            xc, yc, crs = cols["lon"], cols["lat"], "EPSG:4326"
        elif "x" in cols and "y" in cols:
            xc, yc = cols["x"], cols["y"]
            crs = str(df[cols["crs"]].iloc[0]) if "crs" in cols else "EPSG:4326"
        else:
            raise InputDataError("point CSV needs lon,lat (or x,y) columns", path=path, line=1)
        x = pd.to_numeric(df[xc], errors="coerce").to_numpy()
        y = pd.to_numeric(df[yc], errors="coerce").to_numpy()
        bad = np.flatnonzero(~(np.isfinite(x) & np.isfinite(y)))
        if bad.size:
            raise InputDataError("coordinates are not numbers", path=path, line=int(bad[0]) + 2)
        geoms = [Point(a, b) for a, b in zip(x, y)]
        props = df.to_dict(orient="records")
        return geoms, props, crs
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputDataError(f"invalid GeoJSON: {exc}", path=path) from None
    crs = "EPSG:4326"
    if isinstance(doc.get("crs"), dict):
        crs = str(doc["crs"].get("properties", {}).get("name", crs))
    elif isinstance(doc.get("metadata"), dict) and doc["metadata"].get("crs"):
        crs = str(doc["metadata"]["crs"])
    if doc.get("type") == "FeatureCollection":
        feats = doc.get("features", [])
    elif doc.get("type") == "Feature":
        feats = [doc]
    else:
        feats = [{"type": "Feature", "geometry": doc, "properties": {}}]
    geoms, props = [], []
    for k, f in enumerate(feats):
        try:
            g = shape(f["geometry"])
        except Exception as exc:
            raise InputDataError(f"feature {k}: invalid geometry ({exc})", path=path) from None
        geoms.append(g)
        props.append(dict(f.get("properties") or {}))
    return geoms, props, crs


def _project_geoms(geoms: list[Any], src_crs: str, dst_crs: Any) -> list[Any]:
    import shapely
    from pyproj import CRS as PCRS
    from pyproj import Transformer

    if dst_crs is None:
        return geoms
    dst = PCRS.from_user_input(dst_crs.to_wkt() if hasattr(dst_crs, "to_wkt") else dst_crs)
    src = PCRS.from_user_input(src_crs)
    if src == dst:
        return geoms
    tr = Transformer.from_crs(src, dst, always_xy=True)

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return list(shapely.transform(np.asarray(geoms, dtype=object), fn))


# --------------------------------------------------------------------------------------
# Evaluating the model


def _resolve_grid(model: ResistanceModel, template: Raster | None, template_name: str | None) -> tuple[Raster, bool]:
    """The analysis grid and whether raster layers are resampled onto it."""
    g = model.grid
    if template is not None:
        require_metric(template, name=template_name)
        return template, True
    if "template" not in g:
        raise ConfigError("the model has no [grid] template; give one or use --align TEMPLATE", path=model.path)
    tpath = Path(g["template"])
    t = read_raster(tpath)
    crs = g.get("crs")
    res = g.get("resolution")
    if crs is None and res is None:
        require_metric(t, name=str(tpath))
        return t, False
    if crs in (None, "laea"):
        left, bottom, right, top = raster_bounds(t)
        if t.is_geographic:
            lon0, lat0 = (left + right) / 2, (bottom + top) / 2
        else:
            from pyproj import Transformer

            tr = Transformer.from_crs(t.crs.to_wkt(), "EPSG:4326", always_xy=True)
            lon0, lat0 = tr.transform((left + right) / 2, (bottom + top) / 2)
        dst = laea_crs(float(g.get("lon_0", lon0)), float(g.get("lat_0", lat0)))
    else:
        from rasterio.crs import CRS

        try:
            dst = CRS.from_user_input(crs)
        except Exception:
            raise ConfigError(f"[grid] crs {crs!r} is not a CRS rasterio understands", path=model.path) from None
    grid = to_metric(t, float(res) if res else None, crs=dst, name=str(tpath))
    return grid, True


def _raster_layer(spec: LayerSpec, grid: Raster, resample: bool, cache: dict[Path, Raster]) -> Raster:
    key = (spec.source, spec.params.get("resampling"))
    if key in cache:
        return cache[key]  # type: ignore[index]
    r = read_raster(spec.source)
    method = spec.params.get("resampling", "nearest" if spec.type == "categorical" else "bilinear")
    if resample:
        if r.crs is None and grid.crs is not None:
            raise InputDataError(f"layer {spec.name!r} has no CRS; cannot place it on the grid", path=spec.source)
        r = align_to(r, grid, method, name=str(spec.source))
    else:
        require_metric(r, name=str(spec.source))
        check_aligned([grid, r], ["the grid template", str(spec.source)])
    cache[key] = r  # type: ignore[index]
    return r


def _apply_function(spec: LayerSpec, x: np.ndarray) -> np.ndarray:
    p = spec.params
    try:
        if spec.function == "piecewise":
            return piecewise_linear(x, p["points"])
        if spec.function == "threshold":
            return threshold(x, p["breaks"], p["values"])
        if spec.function == "keeley":
            return keeley_transform(x, float(p.get("c", 8.0)), float(p.get("max_resistance", 100.0)),
                                    str(p.get("transform", "negative_exponential")))
        return x.astype(np.float64)
    except ConfigError as exc:
        raise ConfigError(f"layer {spec.name!r}: {exc.message}") from None


def _vector_layer(spec: LayerSpec, grid: Raster, neutral: float) -> tuple[np.ndarray, np.ndarray]:
    """(component, barrier mask) of a vector layer."""
    p = spec.params
    geoms, props, crs = read_features(spec.source)
    where = p.get("where") or {}
    keep = np.ones(len(geoms), dtype=bool)
    for attr, allowed in where.items():
        allowed = allowed if isinstance(allowed, list) else [allowed]
        keep &= np.array([pr.get(attr) in allowed for pr in props], dtype=bool)
    geoms = [g for g, k in zip(geoms, keep) if k]
    props = [pr for pr, k in zip(props, keep) if k]
    geoms = _project_geoms(geoms, crs, grid.crs)
    radius_attr = p.get("radius_attribute")
    buf = float(p.get("buffer_m", 0.0))
    if radius_attr:
        per = float(p.get("radius_m_per_sqrt", 1.0))
        rmin = float(p.get("radius_min_m", 0.0))
        radii = []
        for pr in props:
            try:
                radii.append(max(rmin, per * math.sqrt(float(pr[radius_attr]))))
            except (KeyError, TypeError, ValueError):
                raise InputDataError(f"layer {spec.name!r}: feature without a numeric {radius_attr!r}",
                                     path=spec.source) from None
        geoms = [g.buffer(r) if r > 0 else g for g, r in zip(geoms, radii)]
    elif buf > 0:
        geoms = [g.buffer(buf) for g in geoms]
    if "value_by" in p:
        vb = p["value_by"]
        table = {str(k): float(v) for k, v in vb.get("table", {}).items()}
        attr = vb.get("attribute")
        default = vb.get("default")
        vals = []
        for pr in props:
            key = str(pr.get(attr))
            if key in table:
                vals.append(table[key])
            elif default is not None:
                vals.append(float(default))
            else:
                raise InputDataError(f"layer {spec.name!r}: {attr} = {key!r} has no value in value_by.table",
                                     path=spec.source)
        values = np.asarray(vals, dtype=np.float64)
    else:
        values = np.full(len(geoms), float(p.get("value", 1.0)))
    all_touched = bool(p.get("all_touched", True))
    if p.get("barrier"):
        burnt = rasterize_features(geoms, np.ones(len(geoms)), grid, all_touched=all_touched)
        return np.full(grid.shape, neutral), burnt > 0
    burnt = rasterize_features(geoms, values, grid, all_touched=all_touched)
    decay = p.get("decay")
    if decay:
        w, h = grid.cellsize
        burnt = distance_decay(burnt, (w, h), float(decay.get("distance_m", 0)), str(decay.get("shape", "linear")))
    bg = float(p.get("background", neutral))
    comp = np.where(burnt != 0, burnt, bg)
    return comp, np.zeros(grid.shape, dtype=bool)


def build_resistance(
    model: ResistanceModel,
    *,
    template: Raster | None = None,
    template_name: str | None = None,
) -> tuple[Raster, dict[str, np.ndarray]]:
    """Evaluate a resistance model on its grid.

    Parameters
    ----------
    model : ResistanceModel
    template : Raster, optional
        Grid to resample every raster layer onto (the CLI's ``--align TEMPLATE``); it must be
        metric. Default: the model's ``[grid]``.
    template_name : str, optional
        Name of the template for messages.

    Returns
    -------
    resistance : Raster
        Float64 resistance, nodata (-9999) outside the landscape and on hard barriers.
    components : dict name -> ndarray
        Each layer's contribution before combination (nan = nodata).

    Raises
    ------
    InputDataError
        Misaligned layers without resampling, geographic grids without reprojection, missing
        files, bad attribute values; ConfigError for an invalid model.
    """
    grid, resample = _resolve_grid(model, template, template_name)
    valid = grid.valid.copy()
    neutral = 1.0 if model.combine == "product" else 0.0
    cache: dict[Any, Raster] = {}
    comps: dict[str, np.ndarray] = {}
    barrier = np.zeros(grid.shape, dtype=bool)
    for spec in model.layers:
        if spec.type == "vector":
            comp, bar = _vector_layer(spec, grid, neutral)
            barrier |= bar
        else:
            r = _raster_layer(spec, grid, resample, cache)
            lv = r.valid
            x = r.masked(np.nan)
            if spec.type == "slope":
                x = slope_degrees(np.where(lv, x, 0.0), lv, r.cellsize)
            elif spec.type == "tri":
                x = terrain_ruggedness(np.where(lv, x, 0.0), lv)
            if spec.type == "categorical":
                table = {}
                for k, v in spec.params["table"].items():
                    try:
                        code = float(k)
                    except ValueError:
                        raise ConfigError(f"layer {spec.name!r}: table key {k!r} is not a number", path=model.path) from None
                    table[code] = np.nan if v == "barrier" else float(v)
                try:
                    comp = reclassify(x, lv, table, spec.params.get("default"))
                except InputDataError as exc:
                    raise exc.located(path=spec.source) from None
                barrier |= lv & np.isnan(comp)
            else:
                comp = _apply_function(spec, x)
                if "barrier_above" in spec.params:
                    barrier |= lv & (x > float(spec.params["barrier_above"]))
                if "barrier_below" in spec.params:
                    barrier |= lv & (x < float(spec.params["barrier_below"]))
            valid &= lv
        comps[spec.name] = comp
    total = combine_layers([np.where(np.isnan(c), 0.0, c) for c in comps.values()],
                           [s.weight for s in model.layers], model.combine, model.base)
    for c in comps.values():
        valid &= ~np.isnan(c) | barrier
    if model.suitability:
        s = model.suitability
        total = keeley_transform(total, float(s.get("c", 8.0)), float(s.get("max_resistance", 100.0)),
                                 str(s.get("transform", "negative_exponential")))
    if model.min is not None or model.max is not None:
        total = np.clip(total, model.min if model.min is not None else -np.inf,
                        model.max if model.max is not None else np.inf)
    valid &= ~barrier & np.isfinite(total)
    bad = valid & (total <= 0)
    if bad.any():
        raise InputDataError(
            f"model gives zero or negative resistance on {int(bad.sum())} cell(s); set [model] min > 0 or base",
            path=model.path)
    values = np.where(valid, total, DEFAULT_NODATA)
    return Raster(values, grid.transform, grid.crs, DEFAULT_NODATA), comps
