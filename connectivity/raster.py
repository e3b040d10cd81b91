"""The one raster reader and writer of bigcats (rasterio underneath).

Every verb that reads a grid — resistance layers, focal points, polygons, masks, sources,
grounds, Omniscape inputs — reads it through :func:`read_raster`; every grid written goes
through :func:`write_raster`. Reading accepts anything GDAL opens (GeoTIFF, ESRI ASCII grid
``.asc`` as Circuitscape writes it, and gzipped ``.asc.gz`` / ``.tif.gz``). Writing picks the
format from the extension: ``.tif``/``.tiff`` → GeoTIFF (deflate), ``.asc`` → ESRI ASCII grid.

Cells outside the landscape are marked by the raster's nodata value (and NaN is folded into
nodata on reading): :attr:`Raster.valid` is the mask of usable cells, never NaN arithmetic.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from genetics.errors import InputDataError
from genetics.io.atomic import atomic_path

__all__ = [
    "Raster",
    "read_raster",
    "write_raster",
    "DEFAULT_NODATA",
    "check_aligned",
    "align_to",
    "laea_crs",
    "to_metric",
    "require_metric",
    "raster_bounds",
    "RESAMPLING",
]

#: Nodata value written when a raster has none (Circuitscape's convention).
DEFAULT_NODATA: float = -9999.0


@dataclass(frozen=True)
class Raster:
    """A single-band grid with its georeferencing.

    Parameters
    ----------
    values : numpy.ndarray, shape (rows, cols)
        Cell values, north row first. Cells equal to *nodata* are outside the landscape.
    transform : affine.Affine
        Pixel → map coordinates of the upper-left corner (rasterio convention).
    crs : rasterio.crs.CRS or None
        Coordinate reference system (ASCII grids usually have none).
    nodata : float
        The nodata value.
    """

    values: np.ndarray
    transform: "object"
    crs: "object | None" = None
    nodata: float = DEFAULT_NODATA

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape  # type: ignore[return-value]

    @property
    def valid(self) -> np.ndarray:
        """Boolean mask of cells that carry data."""
        v = self.values
        ok = v != self.nodata
        if np.issubdtype(v.dtype, np.floating):
            ok &= np.isfinite(v)
        return ok

    @property
    def cellsize(self) -> tuple[float, float]:
        """(width, height) of a cell in map units (height positive)."""
        t = self.transform
        return (abs(t.a), abs(t.e))  # type: ignore[attr-defined]

    @property
    def is_geographic(self) -> bool:
        return bool(self.crs is not None and getattr(self.crs, "is_geographic", False))

    def with_values(self, values: np.ndarray, nodata: float | None = None) -> "Raster":
        """Same grid, new values."""
        if values.shape != self.values.shape:
            raise ValueError("new values must have the raster's shape")
        return replace(self, values=values, nodata=self.nodata if nodata is None else nodata)

    def masked(self, fill: float = np.nan) -> np.ndarray:
        """Float copy of the values with nodata cells set to *fill*."""
        out = self.values.astype(np.float64, copy=True)
        out[~self.valid] = fill
        return out

    def xy_to_rowcol(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map coordinates → (row, col) of the containing cell (may lie outside the grid)."""
        inv = ~self.transform  # type: ignore[operator]
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        c = inv.a * x + inv.b * y + inv.c
        r = inv.d * x + inv.e * y + inv.f
        return np.floor(r).astype(np.int64), np.floor(c).astype(np.int64)

    def rowcol_to_xy(self, row: np.ndarray, col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, col) → map coordinates of the cell centres."""
        t = self.transform
        c = np.asarray(col, dtype=float) + 0.5
        r = np.asarray(row, dtype=float) + 0.5
        return t.a * c + t.b * r + t.c, t.d * c + t.e * r + t.f  # type: ignore[attr-defined]


def _gdal_path(path: Path) -> str:
    s = os.fspath(path)
    return "/vsigzip/" + s if s.endswith(".gz") else s


def read_raster(path: str | os.PathLike[str], *, band: int = 1) -> Raster:
    """Read one band of a raster file.

    Parameters
    ----------
    path : path-like
        GeoTIFF, ESRI ASCII grid, or a gzipped one of those; anything GDAL reads.
    band : int
        1-based band number.

    Returns
    -------
    Raster
        Values as float64 (integer grids are converted), NaN folded into nodata.

    Raises
    ------
    InputDataError
        The file is missing, unreadable, or has no such band.
    """
    import rasterio
    from rasterio.errors import RasterioIOError

    p = Path(path)
    if not p.exists():
        raise InputDataError("no such file", path=p)
    try:
        with rasterio.open(_gdal_path(p)) as ds:
            if band < 1 or band > ds.count:
                raise InputDataError(f"raster has {ds.count} band(s), band {band} requested", path=p)
            data = ds.read(band).astype(np.float64)
            nodata = ds.nodata
            transform = ds.transform
            crs = ds.crs
    except RasterioIOError as exc:
        raise InputDataError(f"cannot read raster: {str(exc).splitlines()[0]}", path=p) from None
    if nodata is None or (isinstance(nodata, float) and math.isnan(nodata)):
        nodata = DEFAULT_NODATA
        if np.any(data == nodata):
            pass  # -9999 is Circuitscape's nodata even when the header says nothing
    data[~np.isfinite(data)] = nodata
    return Raster(values=data, transform=transform, crs=crs, nodata=float(nodata))


def write_raster(
    path: str | os.PathLike[str],
    raster: Raster,
    *,
    fmt: str | None = None,
    dtype: str = "float64",
    ascii_format: str = "%.10g",
) -> Path:
    """Write *raster* atomically; the format comes from the extension unless *fmt* is given.

    Parameters
    ----------
    path : path-like
        Target file (``.tif``/``.tiff`` or ``.asc``).
    raster : Raster
    fmt : {"gtiff", "asc"}, optional
    dtype : str
        GeoTIFF sample type.
    ascii_format : str
        printf format of ASCII grid values.
    """
    p = Path(path)
    kind = (fmt or p.suffix.lstrip(".")).lower()
    if kind in ("tif", "tiff", "gtiff", "geotiff"):
        _write_gtiff(p, raster, dtype)
    elif kind in ("asc", "aaigrid", "ascii"):
        _write_ascii_grid(p, raster, ascii_format)
    else:
        raise InputDataError(f"unknown raster format {kind!r}: use .tif or .asc", path=p)
    return p


def _write_gtiff(path: Path, raster: Raster, dtype: str) -> None:
    import rasterio

    values = np.where(raster.valid, raster.values, raster.nodata).astype(dtype)
    profile = dict(
        driver="GTiff",
        height=values.shape[0],
        width=values.shape[1],
        count=1,
        dtype=dtype,
        crs=raster.crs,
        transform=raster.transform,
        nodata=raster.nodata,
        compress="deflate",
    )
    with atomic_path(path) as tmp:
        with rasterio.open(tmp, "w", **profile) as ds:
            ds.write(values, 1)


def _write_ascii_grid(path: Path, raster: Raster, value_format: str) -> None:
    t = raster.transform
    width, height = raster.cellsize
    if not math.isclose(width, height, rel_tol=1e-9):
        raise InputDataError("ASCII grids need square cells; write a GeoTIFF instead", path=path)
    rows, cols = raster.shape
    xll = t.c  # type: ignore[attr-defined]
    yll = t.f - rows * height  # type: ignore[attr-defined]
    values = np.where(raster.valid, raster.values, raster.nodata)
    header = (
        f"ncols         {cols}\nnrows         {rows}\nxllcorner     {xll:.12g}\n"
        f"yllcorner     {yll:.12g}\ncellsize      {width:.12g}\nNODATA_value  {raster.nodata:.12g}\n"
    )
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="ascii") as fh:
            fh.write(header)
            np.savetxt(fh, values, fmt=value_format, delimiter=" ")


# --------------------------------------------------------------------------------------
# Alignment and reprojection

#: Resampling methods accepted by :func:`align_to` and :func:`to_metric`.
RESAMPLING = ("nearest", "bilinear", "cubic", "average", "mode", "min", "max")


def raster_bounds(raster: Raster) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) in map units."""
    t = raster.transform
    rows, cols = raster.shape
    xs = [t.c, t.c + cols * t.a]  # type: ignore[attr-defined]
    ys = [t.f, t.f + rows * t.e]  # type: ignore[attr-defined]
    return (min(xs), min(ys), max(xs), max(ys))


def _same_crs(a: object | None, b: object | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a == b


def _same_transform(a: object, b: object, cell: float) -> bool:
    tol = 1e-6 * max(cell, 1e-12)
    return all(abs(x - y) <= tol for x, y in zip(tuple(a)[:6], tuple(b)[:6]))  # type: ignore[arg-type]


def check_aligned(
    rasters: "list[Raster] | tuple[Raster, ...]",
    names: "list[str] | tuple[str, ...]",
    *,
    allow_missing_crs: bool = False,
) -> None:
    """Raise :class:`InputDataError` unless all rasters share shape, transform and CRS.

    Parameters
    ----------
    rasters : sequence of Raster
    names : sequence of str
        A name (usually the file path) per raster, used in the message.
    allow_missing_crs : bool
        Treat a raster without a CRS (an ESRI ASCII grid) as matching any CRS, as
        Circuitscape does.

    Raises
    ------
    InputDataError
        Naming the first raster that differs from the first one and *which* of shape,
        transform, CRS differs (with both values), and suggesting ``--align TEMPLATE``.
    """
    if len(rasters) != len(names):
        raise ValueError("one name per raster")
    if not rasters:
        return
    ref, ref_name = rasters[0], names[0]
    cell = max(ref.cellsize)
    for r, name in zip(rasters[1:], names[1:]):
        diffs = []
        if r.shape != ref.shape:
            diffs.append(f"shape {r.shape[0]}x{r.shape[1]} vs {ref.shape[0]}x{ref.shape[1]}")
        if not _same_transform(r.transform, ref.transform, cell):
            t, u = r.transform, ref.transform
            diffs.append(
                "transform (origin {:.6g},{:.6g} cell {:.6g}x{:.6g} vs origin {:.6g},{:.6g} cell {:.6g}x{:.6g})".format(
                    t.c, t.f, abs(t.a), abs(t.e), u.c, u.f, abs(u.a), abs(u.e)))  # type: ignore[attr-defined]
        missing = r.crs is None or ref.crs is None
        if not (allow_missing_crs and missing) and not _same_crs(r.crs, ref.crs):
            diffs.append(f"CRS ({_crs_name(r.crs)} vs {_crs_name(ref.crs)})")
        if diffs:
            raise InputDataError(
                f"layer is not aligned with {ref_name}: {'; '.join(diffs)}; resample it with --align TEMPLATE",
                path=name,
            )


def _crs_name(crs: object | None) -> str:
    if crs is None:
        return "none"
    try:
        epsg = crs.to_epsg()  # type: ignore[attr-defined]
    except Exception:  # pragma: no cover
        epsg = None
    if epsg:
        return f"EPSG:{epsg}"
    try:
        return crs.to_proj4() or str(crs)  # type: ignore[attr-defined]
    except Exception:  # pragma: no cover
        return str(crs)


def _resampling(name: str):
    from rasterio.enums import Resampling

    if name not in RESAMPLING:
        raise InputDataError(f"unknown resampling {name!r}; use one of {', '.join(RESAMPLING)}")
    return getattr(Resampling, name)


def align_to(
    raster: Raster,
    template: Raster,
    resampling: str = "bilinear",
    *,
    name: str | None = None,
) -> Raster:
    """Resample *raster* onto the grid (shape, transform, CRS) of *template*.

    Parameters
    ----------
    raster : Raster
        Source layer; its nodata cells stay nodata.
    template : Raster
        The target grid (only its georeferencing is used).
    resampling : str
        ``"nearest"`` for categorical layers, ``"bilinear"`` (default) for continuous ones,
        or any name in :data:`RESAMPLING`.
    name : str, optional
        Layer name for error messages.

    Returns
    -------
    Raster
        Float64 values on the template grid, nodata where the source has no data.

    Raises
    ------
    InputDataError
        One raster has a CRS and the other none (the relation is unknown).
    """
    from rasterio.warp import reproject

    if (raster.crs is None) != (template.crs is None):
        raise InputDataError(
            "cannot align a raster without a CRS to one with a CRS; give both a CRS", path=name)
    method = _resampling(resampling)
    dst = np.full(template.shape, raster.nodata, dtype=np.float64)
    src = np.where(raster.valid, raster.values, raster.nodata).astype(np.float64)
    crs = raster.crs if raster.crs is not None else None
    kwargs = {}
    if crs is None:  # same (unknown) CRS on both sides: GDAL needs one, any will do
        from rasterio.crs import CRS

        crs = CRS.from_epsg(3857)
        kwargs = dict(src_crs=crs, dst_crs=crs)
    else:
        kwargs = dict(src_crs=raster.crs, dst_crs=template.crs)
    reproject(
        source=src,
        destination=dst,
        src_transform=raster.transform,
        dst_transform=template.transform,
        src_nodata=raster.nodata,
        dst_nodata=raster.nodata,
        resampling=method,
        **kwargs,
    )
    return Raster(values=dst, transform=template.transform, crs=template.crs, nodata=raster.nodata)


def laea_crs(lon0: float, lat0: float):
    """Lambert azimuthal equal-area CRS (metres, WGS84) centred on (*lon0*, *lat0*)."""
    from rasterio.crs import CRS

    return CRS.from_proj4(f"+proj=laea +lat_0={lat0:.6g} +lon_0={lon0:.6g} +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs")


def to_metric(
    raster: Raster,
    resolution: float | None = None,
    *,
    crs: object | None = None,
    resampling: str = "bilinear",
    name: str | None = None,
) -> Raster:
    """Reproject a geographic (lon/lat) raster onto a metric grid with square cells.

    A projected raster is returned unchanged (or re-gridded to *crs* when one is given).

    Parameters
    ----------
    raster : Raster
    resolution : float, optional
        Cell size in metres of the new grid; default: the size GDAL suggests
        (about the source cell's north-south size).
    crs : rasterio CRS, optional
        Target CRS; default a Lambert azimuthal equal-area projection centred on the
        raster's bounding box (:func:`laea_crs`), so cell areas are true everywhere.
    resampling : str
        ``"bilinear"`` for continuous values, ``"nearest"`` for categories.
    name : str, optional
        Layer name for error messages.

    Raises
    ------
    InputDataError
        The raster has no CRS (its units are unknown).
    """
    from rasterio.warp import calculate_default_transform

    if raster.crs is None:
        raise InputDataError("raster has no CRS: cannot tell degrees from metres; assign one first", path=name)
    if crs is None:
        if not raster.is_geographic:
            return raster
        left, bottom, right, top = raster_bounds(raster)
        crs = laea_crs((left + right) / 2, (bottom + top) / 2)
    if getattr(crs, "is_geographic", False):
        raise InputDataError("target CRS must be projected (metric), not geographic", path=name)
    left, bottom, right, top = raster_bounds(raster)
    rows, cols = raster.shape
    kw = {"resolution": resolution} if resolution else {}
    transform, width, height = calculate_default_transform(
        raster.crs, crs, cols, rows, left=left, bottom=bottom, right=right, top=top, **kw)
    template = Raster(np.zeros((height, width)), transform, crs, raster.nodata)
    return align_to(raster, template, resampling, name=name)


def require_metric(raster: Raster, *, name: str | None = None) -> None:
    """Reject a geographic (lon/lat) raster: analyses need square metric cells.

    Raises
    ------
    InputDataError
        The raster's CRS is geographic.
    """
    if raster.is_geographic:
        raise InputDataError(
            "raster is in a geographic (lon/lat) CRS; degrees are not square cells: reproject it to a "
            "metric CRS first (the resistance model's [grid] crs = \"laea\" does this)", path=name)
