"""PNG maps of resistance, least-cost corridors, core areas and paths (matplotlib, ``[plot]`` extra).

matplotlib is imported only when a map is drawn, so the rest of bigcats works without it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from genetics.errors import BigcatsError
from genetics.io.atomic import atomic_path

from .raster import Raster, raster_bounds

__all__ = ["plot_leastcost_map"]


def plot_leastcost_map(
    path: str | os.PathLike[str],
    resistance: Raster,
    *,
    corridors: np.ndarray | None = None,
    cores: np.ndarray | None = None,
    core_labels: dict[int, tuple[float, float, str]] | None = None,
    paths: list[tuple[np.ndarray, np.ndarray]] | None = None,
    lines: list[Any] | None = None,
    title: str = "",
    dpi: int = 120,
) -> Path:
    """Draw a least-cost map and write it atomically as PNG.

    Parameters
    ----------
    path : path-like
        Output ``.png``.
    resistance : Raster
        Background, drawn on a log colour scale (nodata = white).
    corridors : ndarray, shape (rows, cols), optional
        Corridor values (inf = outside); low values (the corridor cores) drawn darkest.
    cores : ndarray of int, shape (rows, cols), optional
        Core ids (0 = none), drawn as outlines and fills.
    core_labels : dict id -> (x, y, name), optional
        Label positions in map units.
    paths : list of (rows, cols), optional
        Least-cost paths as cell indices.
    lines : list of shapely lines in the raster CRS, optional
        Context lines (borders) drawn thin.
    title : str
    dpi : int
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.colors import LogNorm
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise BigcatsError("maps need matplotlib: pip install 'bigcats[plot]'") from exc

    left, bottom, right, top = raster_bounds(resistance)
    km = 1e-3
    extent = (left * km, right * km, bottom * km, top * km)
    fig, ax = plt.subplots(figsize=(9, 7.5))
    r = resistance.masked(np.nan)
    vmax = np.nanpercentile(r, 99.5) if np.isfinite(r).any() else 1.0
    cmap = matplotlib.colormaps["Greys"].with_extremes(bad="#d4e6f5")  # nodata (sea, lakes, barriers): pale blue
    ax.set_facecolor("#d4e6f5")
    im = ax.imshow(r, extent=extent, cmap=cmap, norm=LogNorm(vmin=max(np.nanmin(r), 1e-6), vmax=max(vmax, 1.0)),
                   interpolation="nearest")
    cb = fig.colorbar(im, ax=ax, shrink=0.6, pad=0.01)
    cb.set_label("resistance (log scale)")
    if corridors is not None:
        c = np.where(np.isfinite(corridors), corridors, np.nan)
        if np.isfinite(c).any():
            cim = ax.imshow(c, extent=extent, cmap="YlOrRd_r", alpha=0.75, interpolation="nearest")
            cb2 = fig.colorbar(cim, ax=ax, shrink=0.5, pad=0.08, location="bottom")
            from matplotlib.ticker import FuncFormatter, MaxNLocator

            cb2.ax.xaxis.set_major_locator(MaxNLocator(5))
            cb2.ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:.0f}k" if abs(v) >= 1000 else f"{v:.3g}"))
            cb2.set_label("corridor: extra cost over the least-cost path (resistance x m)")
    if lines:
        for g in lines:
            for part in getattr(g, "geoms", [g]):
                xs, ys = part.xy
                ax.plot(np.asarray(xs) * km, np.asarray(ys) * km, color="#3060a0", lw=0.6, alpha=0.8)
    t = resistance.transform
    if paths:
        for rows, cols in paths:
            x = (t.c + (cols + 0.5) * t.a) * km  # type: ignore[attr-defined]
            y = (t.f + (rows + 0.5) * t.e) * km  # type: ignore[attr-defined]
            ax.plot(x, y, color="#00a0ff", lw=1.6)
    if cores is not None and (cores > 0).any():
        m = np.where(cores > 0, 1.0, np.nan)
        ax.imshow(m, extent=extent, cmap="Greens", vmin=0, vmax=1.2, interpolation="nearest")
        ax.contour(np.flipud(cores > 0).astype(float), levels=[0.5], colors="darkgreen", linewidths=0.8,
                   extent=extent)
    if core_labels:
        for x, y, name in core_labels.values():
            ax.annotate(name, (x * km, y * km), fontsize=7, color="black", xytext=(4, 4), textcoords="offset points",
                        bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.7))
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel("easting (km)")
    ax.set_ylabel("northing (km)")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    p = Path(path)
    with atomic_path(p) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    plt.close(fig)
    return p
