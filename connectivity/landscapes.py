"""The two bundled real landscapes: Amur (tigers, leopards) and Altai–Sayan (snow leopards).

Each region folder under ``fixtures/landscape/<region>/`` holds the 5-arcminute Mapzen DEM,
GSHHG rivers and borders, the core areas of that region, and settlements, roads/railways and
large lakes entered as facts (see ``fixtures/README.md``). :func:`build_landscape` evaluates a
species preset on that data and grows the named core areas into discs on the resulting metric
(Lambert azimuthal equal-area, 5 km) grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from genetics.errors import InputDataError

from .cores import CoreSet, cores_from_points
from .raster import Raster
from .resistance import build_resistance, load_model

__all__ = ["Region", "REGIONS", "region_dir", "preset_path", "build_landscape", "PRESETS", "core_radius_km"]

PRESET_DIR = Path(__file__).resolve().parent / "presets"
PRESETS = ("amur_tiger", "amur_leopard", "snow_leopard")


@dataclass(frozen=True)
class Region:
    """A bundled landscape: folder name, default preset and the demo's core areas."""

    key: str
    title: str
    preset: str
    cores: tuple[str, ...]


REGIONS: dict[str, Region] = {
    "amur": Region(
        "amur", "Amur (SW Primorye, NE China, Sikhote-Alin, Lesser Khingan)", "amur_tiger",
        (
            "Land of the Leopard National Park",
            "Laoyeling (Laoye Mountains; NTLNP north)",
            "Changbaishan National Nature Reserve",
            "Wandashan (eastern Wanda Mountains)",
            "Sikhote-Alin Biosphere Reserve",
            "Bikin National Park",
            "Lesser Khingan / Taipinggou Nature Reserve",
            "Bastak Nature Reserve",
        ),
    ),
    "altai_sayan": Region(
        "altai_sayan", "Altai–Sayan (Altai, Tuva, Eastern Sayan, Khovsgol)", "snow_leopard",
        (
            "Sailyugemsky National Park",
            "Chikhachev Ridge",
            "Tsagan-Shibetu ridge (Tsagaan-Shuvuut)",
            "Ulaan Taiga Strictly Protected Area",
            "Khoridol Saridag Strictly Protected Area",
            "Eastern Sayan (Munku-Sardyk massif)",
            "Tunkinsky National Park",
        ),
    ),
}


def region_dir(region: str) -> Path:
    """Folder of a bundled region's data."""
    from fixtures import fixture_path

    if region not in REGIONS:
        raise InputDataError(f"unknown landscape {region!r}; bundled: {', '.join(REGIONS)}")
    return fixture_path("landscape", region)


def preset_path(name: str) -> Path:
    """Path of a bundled species preset (``amur_tiger``, ``amur_leopard``, ``snow_leopard``)."""
    p = PRESET_DIR / f"{name}.toml"
    if not p.exists():
        raise InputDataError(f"unknown preset {name!r}; bundled: {', '.join(PRESETS)}")
    return p


def core_radius_km(area_km2: pd.Series | np.ndarray, default_km: float = 10.0,
                   lo: float = 8.0, hi: float = 25.0) -> np.ndarray:
    """Disc radius of a point core: the radius of a circle of the core's area, clipped to
    [*lo*, *hi*] km (large parks are not discs; a small radius keeps cores inside the ranges);
    *default_km* where the area is unknown."""
    a = pd.to_numeric(pd.Series(area_km2), errors="coerce").to_numpy(float)
    r = np.sqrt(a / math.pi)
    return np.where(np.isfinite(r), np.clip(r, lo, hi), default_km)


def build_landscape(
    region: str,
    preset: str | None = None,
    *,
    cores: tuple[str, ...] | None = None,
    snap_km: float = 10.0,
) -> tuple[Raster, dict[str, np.ndarray], CoreSet]:
    """Resistance surface and core areas of a bundled landscape.

    Parameters
    ----------
    region : {"amur", "altai_sayan"}
    preset : str, optional
        Species preset (default: the region's, tiger for Amur, snow leopard for Altai–Sayan).
    cores : tuple of str, optional
        Core-area names from the region's ``core_areas.csv`` (default: the demo set).
    snap_km : float
        Points on nodata (e.g. a coastal park's point in a sea cell) move to the nearest land
        cell within this distance.

    Returns
    -------
    resistance : Raster (LAEA metres, 5 km cells, nodata outside land)
    components : dict of layer name -> ndarray
    cores : CoreSet
    """
    reg = REGIONS.get(region)
    if reg is None:
        raise InputDataError(f"unknown landscape {region!r}; bundled: {', '.join(REGIONS)}")
    folder = region_dir(region)
    model = load_model(preset_path(preset or reg.preset), data_dir=folder)
    resistance, comps = build_resistance(model)
    table_path = folder / "core_areas.csv"
    table = pd.read_csv(table_path)
    wanted = list(cores or reg.cores)
    missing = [n for n in wanted if n not in set(table["name"])]
    if missing:
        raise InputDataError(f"no core area named {missing[0]!r}", path=table_path)
    sel = table.set_index("name").loc[wanted].reset_index()
    sel.insert(0, "id", np.arange(1, len(sel) + 1))
    radius = core_radius_km(sel["approx_area_km2"])
    coreset = cores_from_points(sel, resistance, radius, path=table_path, snap_km=snap_km)
    return resistance, comps, coreset
