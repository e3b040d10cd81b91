"""Barrier Mapper: where restoring a circle of habitat would shorten least-cost links most.

Method (McRae, Hall, Beier & Theobald 2012, "Where to restore ecological connectivity?
Detecting barriers and quantifying restoration benefits", PLoS ONE 7: e52604; Linkage
Mapper's Barrier Mapper): for a link between cores A and B with least-cost distance LCD and
cost-weighted distance rasters CWD_A, CWD_B, restoring every cell of a circle of radius r
centred on a cell c to resistance ``rho`` (1 by default) gives a route whose cost is at most::

    LCD'(c) = min_{x in circle} CWD_A(x) + min_{x in circle} CWD_B(x) + 2 r rho

(enter the circle where A is cheapest to reach, cross its diameter at the restored resistance,
leave where B is cheapest). The *improvement score* is ``LCD - LCD'`` (clipped at 0), and by
default it is divided by the distance restored, ``2 r`` (Linkage Mapper's "per unit distance
restored" score). Scores are combined over links by their maximum (or sum) and over radii by
the maximum.

Linkage Mapper takes the focal minimum on an annulus of the circle's edge; the minimum over
the whole disk is the same: a CWD surface has no local minimum outside its source, so the
minimum over a disk that misses core A lies on the disk's edge cells (and when the disk covers
core A cells both are 0). Cells whose centres lie within ``r`` of the centre cell's centre
form the footprint (anisotropic cells handled). All work is vectorised with
``scipy.ndimage.minimum_filter``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage

from genetics.errors import InputDataError
from genetics.io.atomic import atomic_open

from .raster import Raster, write_raster

__all__ = ["BarrierResult", "disk_footprint", "barrier_scores", "top_barrier_sites", "write_sites_geojson",
           "write_barrier_outputs"]


@dataclass
class BarrierResult:
    """Barrier improvement scores.

    Attributes
    ----------
    radii : ndarray of float64, shape (k,)
        Search radii (map units).
    by_radius : ndarray of float64, shape (k, rows, cols)
        Score at each radius, combined over links; 0 where nothing improves, NaN on nodata.
    score : ndarray of float64, shape (rows, cols)
        Maximum over radii (NaN on nodata).
    best_radius : ndarray of float64, shape (rows, cols)
        Radius giving :attr:`score` (NaN where the score is 0 or nodata).
    best_link : ndarray of int64, shape (rows, cols)
        Index (into the *pairs* given) of the link with the largest score, -1 where none.
    per_unit : bool
        Scores are per unit distance restored.
    """

    radii: np.ndarray
    by_radius: np.ndarray
    score: np.ndarray
    best_radius: np.ndarray
    best_link: np.ndarray
    per_unit: bool


def disk_footprint(radius: float, cellsize: tuple[float, float]) -> np.ndarray:
    """Boolean footprint of cells whose centres lie within *radius* of the centre cell's centre.

    Parameters
    ----------
    radius : float
        Map units.
    cellsize : (width, height)
        Map units.

    Returns
    -------
    ndarray of bool, shape (2 ry + 1, 2 rx + 1)
    """
    w, h = float(cellsize[0]), float(cellsize[1])
    rx, ry = int(np.floor(radius / w)), int(np.floor(radius / h))
    yy, xx = np.mgrid[-ry:ry + 1, -rx:rx + 1]
    return np.hypot(xx * w, yy * h) <= radius * (1 + 1e-12)


def barrier_scores(
    cwd: np.ndarray,
    lcd: np.ndarray,
    pairs: list[tuple[int, int]],
    radii: list[float] | np.ndarray,
    cellsize: tuple[float, float],
    valid: np.ndarray,
    *,
    restored_resistance: float = 1.0,
    per_unit: bool = True,
    combine: str = "max",
) -> BarrierResult:
    """Barrier Mapper improvement scores for several radii (McRae et al. 2012).

    Parameters
    ----------
    cwd : ndarray of float64, shape (n, rows, cols)
        Cost-weighted distance from each core (inf = unreachable / nodata).
    lcd : ndarray of float64, shape (n, n)
        Least-cost distances between the cores (same cost units).
    pairs : list of (i, j)
        Links as index pairs into the first axis of *cwd*.
    radii : sequence of float
        Search radii in map units; each must be at least one cell size (as Linkage Mapper requires).
    cellsize : (width, height)
    valid : ndarray of bool, shape (rows, cols)
    restored_resistance : float
        Resistance of restored cells (cost of crossing = ``2 r * restored_resistance``).
    per_unit : bool
        Divide the improvement by the restored distance ``2 r``.
    combine : {"max", "sum"}
        How scores of different links combine.

    Returns
    -------
    BarrierResult
    """
    cwd = np.asarray(cwd, dtype=np.float64)
    if cwd.ndim != 3:
        raise InputDataError("cwd must have shape (n_cores, rows, cols)")
    radii = np.asarray(sorted(float(r) for r in radii))
    if radii.size == 0:
        raise InputDataError("give at least one search radius")
    if combine not in ("max", "sum"):
        raise InputDataError(f"combine must be 'max' or 'sum', got {combine!r}")
    if not restored_resistance > 0:
        raise InputDataError("restored resistance must be > 0")
    if radii[0] < min(cellsize):
        raise InputDataError(f"search radius {radii[0]:g} is smaller than the cell size {min(cellsize):g}")
    shape = cwd.shape[1:]
    by_radius = np.zeros((radii.size,) + shape)
    link_best = np.full(shape, -1, dtype=np.int64)
    link_score = np.zeros(shape)
    for k, r in enumerate(radii):  # loop over radii and cores (few), cells vectorised
        fp = disk_footprint(r, cellsize)
        fmin = {}
        for i in sorted({p for pair in pairs for p in pair}):
            fmin[i] = ndimage.minimum_filter(cwd[i], footprint=fp, mode="constant", cval=np.inf)
        dia = 2.0 * r
        acc = np.zeros(shape)
        for e, (i, j) in enumerate(pairs):
            L = lcd[i, j]
            if not np.isfinite(L):
                continue
            with np.errstate(invalid="ignore"):
                imp = L - fmin[i] - fmin[j] - dia * restored_resistance
            imp = np.where(np.isfinite(imp), np.maximum(imp, 0.0), 0.0)
            if per_unit:
                imp /= dia
            better = imp > link_score
            link_score = np.where(better, imp, link_score)
            link_best = np.where(better, e, link_best)
            acc = np.maximum(acc, imp) if combine == "max" else acc + imp
        by_radius[k] = acc
    score = by_radius.max(axis=0)
    kbest = by_radius.argmax(axis=0)
    best_radius = np.where(score > 0, radii[kbest], np.nan)
    inv = ~np.asarray(valid, dtype=bool)
    by_radius[:, inv] = np.nan
    score[inv] = np.nan
    best_radius[inv] = np.nan
    link_best[inv] = -1
    return BarrierResult(radii=radii, by_radius=by_radius, score=score, best_radius=best_radius,
                         best_link=link_best, per_unit=per_unit)


def top_barrier_sites(
    result: BarrierResult,
    raster: Raster,
    *,
    n: int = 10,
    pairs_ids: list[tuple[int, int]] | None = None,
) -> pd.DataFrame:
    """The *n* best restoration sites: greedy, non-overlapping peaks of the score.

    The highest-scoring cell is taken, every cell within its radius (at that radius) is
    excluded, and so on; ties broken by row-major position (deterministic).

    Returns
    -------
    DataFrame ``rank, score, radius, x, y, [lon, lat,] row, col, link`` (x, y = cell centre in
    map units, lon/lat when the grid has a CRS; link = ``"a-b"`` core ids when *pairs_ids* is given).
    """
    s = np.where(np.isfinite(result.score), result.score, 0.0)
    order = np.argsort(-s, axis=None, kind="stable")
    order = order[s.ravel()[order] > 0]
    taken = np.zeros(s.shape, dtype=bool)
    rows_out = []
    w, h = raster.cellsize
    for flat in order:  # walks down the sorted scores until n sites are found
        r, c = divmod(int(flat), s.shape[1])
        if taken[r, c]:
            continue
        rad = float(result.best_radius[r, c])
        fp = disk_footprint(rad, (w, h))
        ry, rx = fp.shape[0] // 2, fp.shape[1] // 2
        r0, r1, c0, c1 = max(0, r - ry), min(s.shape[0], r + ry + 1), max(0, c - rx), min(s.shape[1], c + rx + 1)
        taken[r0:r1, c0:c1] |= fp[r0 - r + ry:r1 - r + ry, c0 - c + rx:c1 - c + rx]
        x, y = raster.rowcol_to_xy(np.array([r]), np.array([c]))
        e = int(result.best_link[r, c])
        link = f"{pairs_ids[e][0]}-{pairs_ids[e][1]}" if (pairs_ids is not None and e >= 0) else str(e)
        rows_out.append((len(rows_out) + 1, float(s[r, c]), rad, float(x[0]), float(y[0]), r, c, link))
        if len(rows_out) >= n:
            break
    out = pd.DataFrame(rows_out, columns=["rank", "score", "radius", "x", "y", "row", "col", "link"])
    if raster.crs is not None and len(out):
        from pyproj import Transformer

        tr = Transformer.from_crs(raster.crs.to_wkt(), "EPSG:4326", always_xy=True)
        lon, lat = tr.transform(out["x"].to_numpy(), out["y"].to_numpy())
        out.insert(5, "lon", np.round(lon, 5))
        out.insert(6, "lat", np.round(lat, 5))
    return out


def _to_wgs84(geoms: list, crs) -> list:
    """Shapely geometries in the raster CRS -> EPSG:4326 (RFC 7946); unchanged without a CRS."""
    if crs is None:
        return geoms
    import shapely
    from pyproj import Transformer

    tr = Transformer.from_crs(crs.to_wkt() if hasattr(crs, "to_wkt") else crs, "EPSG:4326", always_xy=True)

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return list(shapely.transform(np.asarray(geoms, dtype=object), fn))


def write_sites_geojson(path: str | os.PathLike[str], sites: pd.DataFrame, crs, *, circles: bool = True) -> Path:
    """Write barrier sites as GeoJSON (circles of their radius, or points), lon/lat when the CRS is known.

    Properties carry every column of *sites*.
    """
    from shapely.geometry import Point, mapping

    geoms = [Point(x, y).buffer(r, 32) if circles else Point(x, y)
             for x, y, r in zip(sites["x"], sites["y"], sites["radius"])]
    geoms = _to_wgs84(geoms, crs)
    feats = []
    for g, rec in zip(geoms, sites.to_dict(orient="records")):
        props = {k: (v.item() if hasattr(v, "item") else v) for k, v in rec.items()}
        feats.append({"type": "Feature", "geometry": mapping(g), "properties": props})
    doc = {"type": "FeatureCollection", "features": feats}
    if crs is None:
        doc["metadata"] = {"crs": "map coordinates of the resistance grid (no CRS)"}
    p = Path(path)
    with atomic_open(p, "w") as fh:
        json.dump(doc, fh)
    return p


def write_barrier_outputs(outdir: Path, result: BarrierResult, raster: Raster, sites: pd.DataFrame) -> list[Path]:
    """``barriers.tif`` (max over radii), ``barriers_r<R>.tif`` per radius, ``barrier_sites.geojson/.csv``."""
    from genetics.io.tables import write_table

    outdir.mkdir(parents=True, exist_ok=True)
    nod = -9999.0
    out = [write_raster(outdir / "barriers.tif", raster.with_values(np.where(np.isfinite(result.score), result.score, nod), nodata=nod))]
    for r, layer in zip(result.radii, result.by_radius):
        out.append(write_raster(outdir / f"barriers_r{r:g}.tif",
                                raster.with_values(np.where(np.isfinite(layer), layer, nod), nodata=nod)))
    out.append(write_sites_geojson(outdir / "barrier_sites.geojson", sites, raster.crs))
    write_table(sites, outdir / "barrier_sites.csv")
    out.append(outdir / "barrier_sites.csv")
    return out
