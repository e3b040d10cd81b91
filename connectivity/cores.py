"""Core areas on the analysis grid: an integer core-id raster from ids, points or polygons.

Three inputs give the same thing, a grid of core ids (0 = no core) aligned with the
resistance grid:

* a raster of ids (``.tif``/``.asc``; nodata and 0 = no core), which must align with the grid;
* a CSV of points (``name``, ``lon``, ``lat``, optional ``id`` and ``radius_km``) — each point
  becomes a disc of the given radius (cells whose centre lies within it; the point's own cell
  always belongs). Where discs overlap, a cell goes to the nearest point;
* GeoJSON polygons (or points, grown by the radius), properties ``id`` and/or ``name``.

Core cells that fall on nodata are dropped from discs and polygons (a disc around a coastal
park loses its sea cells); a core whose *centre point* is on nodata or outside the grid is an
error (use ``snap_km`` to move such a point to the nearest landscape cell).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from genetics.errors import InputDataError

from .raster import Raster, check_aligned, read_raster, require_metric

__all__ = ["CoreSet", "cores_from_raster", "cores_from_points", "cores_from_features", "read_cores"]


@dataclass
class CoreSet:
    """Core areas on a grid.

    Attributes
    ----------
    ids : ndarray of int64, shape (rows, cols)
        Core id per cell, 0 = none.
    table : pandas.DataFrame
        One row per core: ``id, name, x, y`` (map units, the point or centroid), ``lon, lat``
        where known, ``n_cells``.
    """

    ids: np.ndarray
    table: pd.DataFrame

    def name_of(self, core_id: int) -> str:
        row = self.table.loc[self.table["id"] == core_id]
        return str(row["name"].iloc[0]) if len(row) else str(core_id)


def _to_grid_xy(lon: np.ndarray, lat: np.ndarray, grid: Raster, crs: str = "EPSG:4326") -> tuple[np.ndarray, np.ndarray]:
    if grid.crs is None:
        return np.asarray(lon, float), np.asarray(lat, float)
    from pyproj import Transformer

    tr = Transformer.from_crs(crs, grid.crs.to_wkt(), always_xy=True)
    x, y = tr.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x), np.asarray(y)


def _counts(ids: np.ndarray, core_ids: np.ndarray) -> np.ndarray:
    return np.bincount(ids.ravel(), minlength=int(core_ids.max()) + 1)[core_ids] if core_ids.size else np.zeros(0, int)


def cores_from_raster(path: str | os.PathLike[str], grid: Raster) -> CoreSet:
    """Read a raster of core ids aligned with *grid*.

    Raises
    ------
    InputDataError
        Misaligned, non-integer ids, or core cells on the grid's nodata.
    """
    p = Path(path)
    r = read_raster(p)
    check_aligned([grid, r], ["the resistance grid", str(p)])
    v = np.where(r.valid, r.values, 0.0)
    if np.any(v != np.round(v)):
        raise InputDataError("core ids must be whole numbers", path=p)
    ids = np.where(v > 0, v, 0).astype(np.int64)
    bad = (ids > 0) & ~grid.valid
    if bad.any():
        raise InputDataError(
            f"core(s) {', '.join(map(str, np.unique(ids[bad])[:10]))} have {int(bad.sum())} cell(s) on nodata", path=p)
    core_ids = np.unique(ids[ids > 0])
    from scipy import ndimage

    cm = np.asarray(ndimage.center_of_mass(np.ones_like(ids, dtype=float), ids, core_ids)).reshape(-1, 2)
    x, y = grid.rowcol_to_xy(cm[:, 0] - 0.5, cm[:, 1] - 0.5) if core_ids.size else (np.zeros(0), np.zeros(0))
    table = pd.DataFrame({"id": core_ids, "name": [str(c) for c in core_ids], "x": x, "y": y,
                          "n_cells": _counts(ids, core_ids)})
    return CoreSet(ids, table)


def cores_from_points(
    points: pd.DataFrame,
    grid: Raster,
    radius_km: float | np.ndarray,
    *,
    path: str | os.PathLike[str] | None = None,
    crs: str = "EPSG:4326",
    snap_km: float = 0.0,
    line_offset: int = 2,
) -> CoreSet:
    """Grow point cores into discs on the grid.

    Parameters
    ----------
    points : DataFrame with ``lon``, ``lat`` (or ``x``, ``y`` in *crs*), optional ``id``, ``name``
    grid : Raster
        The metric analysis grid.
    radius_km : float or array
        Disc radius per point (0 = the point's cell only).
    path : path-like, optional
        File name for errors.
    crs : str
        CRS of the coordinates.
    snap_km : float
        A point whose cell is nodata moves to the nearest valid cell within this distance.
    line_offset : int
        File line of the first row (header = line 1) for error messages.

    Raises
    ------
    InputDataError
        A point outside the grid or on nodata (beyond *snap_km*), duplicate ids, bad radius.
    """
    from scipy import ndimage

    require_metric(grid, name=None)
    cols_l = {c.lower(): c for c in points.columns}
    if "lon" in cols_l and "lat" in cols_l:
        gx, gy = _to_grid_xy(points[cols_l["lon"]].to_numpy(float), points[cols_l["lat"]].to_numpy(float), grid, crs)
        lon, lat = points[cols_l["lon"]].to_numpy(float), points[cols_l["lat"]].to_numpy(float)
    elif "x" in cols_l and "y" in cols_l:
        gx, gy = points[cols_l["x"]].to_numpy(float), points[cols_l["y"]].to_numpy(float)
        lon = lat = np.full(len(points), np.nan)
    else:
        raise InputDataError("core points need lon,lat (or x,y) columns", path=path, line=1)
    n = len(points)
    if n == 0:
        raise InputDataError("no core points", path=path)
    ids = points[cols_l["id"]].to_numpy() if "id" in cols_l else np.arange(1, n + 1)
    try:
        ids = np.asarray(ids, dtype=np.int64)
    except (TypeError, ValueError):
        raise InputDataError("core ids must be whole numbers", path=path) from None
    if np.any(ids <= 0):
        raise InputDataError("core ids must be positive", path=path, line=int(np.flatnonzero(ids <= 0)[0]) + line_offset)
    if len(np.unique(ids)) != n:
        raise InputDataError("duplicate core ids", path=path)
    names = points[cols_l["name"]].astype(str).to_numpy() if "name" in cols_l else ids.astype(str)
    radius = np.broadcast_to(np.asarray(radius_km, dtype=float), (n,)).copy() * 1000.0
    if np.any(~np.isfinite(radius)) or np.any(radius < 0):
        k = int(np.flatnonzero(~(np.isfinite(radius) & (radius >= 0)))[0])
        raise InputDataError(f"core {names[k]!r}: radius must be >= 0", path=path, line=k + line_offset)
    r, c = grid.xy_to_rowcol(gx, gy)
    rows, cols = grid.shape
    valid = grid.valid
    outside = (r < 0) | (r >= rows) | (c < 0) | (c >= cols) | ~np.isfinite(gx) | ~np.isfinite(gy)
    if outside.any():
        k = int(np.flatnonzero(outside)[0])
        raise InputDataError(f"core {names[k]!r} lies outside the grid", path=path, line=k + line_offset)
    on_nodata = ~valid[r, c]
    if on_nodata.any():
        if snap_km > 0:
            d, (ri, ci) = ndimage.distance_transform_edt(~valid, sampling=(grid.cellsize[1], grid.cellsize[0]),
                                                         return_indices=True)
            far = on_nodata & (d[r, c] > snap_km * 1000.0)
            if far.any():
                k = int(np.flatnonzero(far)[0])
                raise InputDataError(f"core {names[k]!r} is on nodata, more than {snap_km:g} km from the landscape",
                                     path=path, line=k + line_offset)
            r, c = np.where(on_nodata, ri[r, c], r), np.where(on_nodata, ci[r, c], c)
            sx, sy = grid.rowcol_to_xy(r, c)  # snapped points move to their new cell's centre
            gx, gy = np.where(on_nodata, sx, gx), np.where(on_nodata, sy, gy)
        else:
            k = int(np.flatnonzero(on_nodata)[0])
            raise InputDataError(f"core {names[k]!r} lies on nodata (outside the landscape); move it or use snap",
                                 path=path, line=k + line_offset)
    # nearest-point assignment within each disc (vectorised over cells; loop over points only)
    yy, xx = np.mgrid[0:rows, 0:cols]
    cx, cy = grid.rowcol_to_xy(yy.ravel(), xx.ravel())
    best = np.full(rows * cols, np.inf)
    out = np.zeros(rows * cols, dtype=np.int64)
    for k in range(n):
        d = np.hypot(cx - gx[k], cy - gy[k])
        d[r[k] * cols + c[k]] = 0.0  # the point's own cell always belongs
        take = (d <= radius[k]) & (d < best)
        best[take] = d[take]
        out[take] = ids[k]
    grid_ids = out.reshape(rows, cols)
    grid_ids[~valid] = 0
    counts = _counts(grid_ids, ids)
    table = pd.DataFrame({"id": ids, "name": names, "x": gx, "y": gy, "lon": lon, "lat": lat,
                          "radius_km": radius / 1000.0, "n_cells": counts})
    return CoreSet(grid_ids, table)


def cores_from_features(path: str | os.PathLike[str], grid: Raster, radius_km: float = 0.0) -> CoreSet:
    """Rasterise GeoJSON core polygons (points are grown by *radius_km*) onto *grid*."""
    from rasterio import features

    from .resistance import _project_geoms, read_features

    p = Path(path)
    geoms, props, crs = read_features(p)
    if not geoms:
        raise InputDataError("no core features", path=p)
    ids = []
    for k, pr in enumerate(props):
        v = pr.get("id", k + 1)
        try:
            ids.append(int(v))
        except (TypeError, ValueError):
            raise InputDataError(f"feature {k}: id {v!r} is not a whole number", path=p) from None
    ids_a = np.asarray(ids, dtype=np.int64)
    if np.any(ids_a <= 0) or len(np.unique(ids_a)) != len(ids_a):
        raise InputDataError("core ids must be positive and unique", path=p)
    names = [str(pr.get("name", i)) for pr, i in zip(props, ids)]
    pg = _project_geoms(geoms, crs, grid.crs)
    pg = [g.buffer(radius_km * 1000.0) if g.geom_type in ("Point", "MultiPoint", "LineString", "MultiLineString")
          and radius_km > 0 else g for g in pg]
    from shapely.geometry import box

    b = box(*_bounds(grid))
    for k, g in enumerate(pg):
        if not g.intersects(b):
            raise InputDataError(f"core {names[k]!r} lies outside the grid", path=p)
    burnt = features.rasterize([(g, int(i)) for g, i in zip(pg, ids_a)], out_shape=grid.shape,
                               transform=grid.transform, fill=0, dtype="int64", all_touched=False)
    # tiny polygons that miss every cell centre: burn the cell under the centroid
    missing = set(ids_a.tolist()) - set(np.unique(burnt).tolist())
    for k in np.flatnonzero(np.isin(ids_a, list(missing))):
        pt = pg[k].representative_point()
        r, c = grid.xy_to_rowcol(np.array([pt.x]), np.array([pt.y]))
        if 0 <= r[0] < grid.shape[0] and 0 <= c[0] < grid.shape[1]:
            burnt[r[0], c[0]] = ids_a[k]
    burnt[~grid.valid] = 0
    counts = _counts(burnt, ids_a)
    empty = counts == 0
    if empty.any():
        raise InputDataError(f"core {names[int(np.flatnonzero(empty)[0])]!r} lies entirely on nodata", path=p)
    cent = [g.centroid for g in pg]
    table = pd.DataFrame({"id": ids_a, "name": names, "x": [c.x for c in cent], "y": [c.y for c in cent],
                          "n_cells": counts})
    return CoreSet(burnt, table)


def _bounds(grid: Raster) -> tuple[float, float, float, float]:
    from .raster import raster_bounds

    return raster_bounds(grid)


def read_cores(
    path: str | os.PathLike[str],
    grid: Raster,
    *,
    radius_km: float | None = None,
    snap_km: float = 0.0,
) -> CoreSet:
    """Read cores from a raster of ids, a CSV of points or GeoJSON, onto *grid*.

    For a CSV the radius comes from a ``radius_km`` column, else from *radius_km*
    (default 0: one cell per point).
    """
    p = Path(path)
    if not p.exists():
        raise InputDataError("no such file", path=p)
    suffix = "".join(p.suffixes[-2:]).lower() if p.suffix.lower() == ".gz" else p.suffix.lower()
    if suffix == ".csv":
        try:
            df = pd.read_csv(p, comment="#")
        except Exception as exc:
            raise InputDataError(f"cannot read CSV: {exc}", path=p) from None
        if "radius_km" in df.columns and radius_km is None:
            rad = pd.to_numeric(df["radius_km"], errors="coerce").to_numpy(float)
        else:
            rad = float(radius_km or 0.0)
        return cores_from_points(df, grid, rad, path=p, snap_km=snap_km)
    if suffix in (".geojson", ".json"):
        return cores_from_features(p, grid, radius_km=float(radius_km or 0.0))
    return cores_from_raster(p, grid)
