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

__all__ = ["Raster", "read_raster", "write_raster", "DEFAULT_NODATA"]

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
        c, r = inv * (np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        return np.floor(r).astype(np.int64), np.floor(c).astype(np.int64)

    def rowcol_to_xy(self, row: np.ndarray, col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, col) → map coordinates of the cell centres."""
        x, y = self.transform * (np.asarray(col, dtype=float) + 0.5, np.asarray(row, dtype=float) + 0.5)  # type: ignore[operator]
        return np.asarray(x), np.asarray(y)


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
