"""Recaptures in space and time: per-individual detections, distances, border crossings, secr export.

Locations of endangered animals are sensitive. :func:`generalize_coordinates` snaps points to the
centres of an N-km grid in an equal-area projection (EPSG:6933, WGS 84 / EASE-Grid 2.0 global);
the CLI applies it to every table it writes unless the user passes ``--precise-coordinates``.
Distances are always computed from the coordinates given (geodesic on WGS 84, pyproj ``Geod``)
and reported rounded to 0.1 km.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InputDataError

__all__ = ["generalize_coordinates", "detections_table", "individual_summary", "secr_tables", "write_secr"]

_EQUAL_AREA = "EPSG:6933"


def _to_ea(lon, lat, inverse=False):
    from pyproj import Transformer

    if inverse:
        t = Transformer.from_crs(_EQUAL_AREA, "EPSG:4326", always_xy=True)
    else:
        t = Transformer.from_crs("EPSG:4326", _EQUAL_AREA, always_xy=True)
    return t.transform(np.asarray(lon, float), np.asarray(lat, float))


def generalize_coordinates(lon: np.ndarray, lat: np.ndarray, km: float) -> tuple[np.ndarray, np.ndarray]:
    """Snap points to the centre of their cell in an N-km equal-area grid.

    Parameters
    ----------
    lon, lat : numpy.ndarray of float, shape (n,)
        WGS 84 degrees (NaN passes through).
    km : float
        Cell size in km (> 0).

    Returns
    -------
    lon, lat : numpy.ndarray of float, shape (n,)
        Cell centres; every point of a cell maps to the same centre, so points within one
        cell cannot be told apart.
    """
    if not km > 0:
        raise InputDataError("--generalize-km must be positive")
    lon = np.asarray(lon, float)
    lat = np.asarray(lat, float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    out_lon = np.full(lon.shape, np.nan)
    out_lat = np.full(lat.shape, np.nan)
    if ok.any():
        x, y = _to_ea(lon[ok], lat[ok])
        s = km * 1000.0
        cx = (np.floor(x / s) + 0.5) * s
        cy = (np.floor(y / s) + 0.5) * s
        glon, glat = _to_ea(cx, cy, inverse=True)
        out_lon[ok] = np.round(glon, 6)
        out_lat[ok] = np.round(glat, 6)
    return out_lon, out_lat


def detections_table(samples: pd.DataFrame, metadata: pd.DataFrame) -> pd.DataFrame:
    """Join identification results (``sample_id, individual_id``) with sample metadata.

    *metadata* needs ``sample_id`` (column or index) and ``lon, lat``; ``country, site, date``
    are used when present. Rows repeated per sample (e.g. a replicates file) are collapsed to
    the first; samples without coordinates are dropped from the spatial statistics only.
    """
    md = metadata.copy()
    if "sample_id" not in md.columns:
        md = md.reset_index()
    if "sample_id" not in md.columns:
        raise InputDataError("metadata has no sample_id column")
    md["sample_id"] = md["sample_id"].astype(str)
    md = md.drop_duplicates("sample_id")
    missing = [c for c in ("lon", "lat") if c not in md.columns]
    if missing:
        raise InputDataError(f"metadata lacks column(s) {', '.join(missing)}")
    keep = [c for c in ("sample_id", "lon", "lat", "country", "site", "date") if c in md.columns]
    s = samples[["sample_id", "individual_id"] + (["status"] if "status" in samples.columns else [])].copy()
    s["sample_id"] = s["sample_id"].astype(str)
    det = s.merge(md[keep], on="sample_id", how="left")
    for c in ("lon", "lat"):
        det[c] = pd.to_numeric(det[c], errors="coerce")
    if "date" in det.columns:
        det["date"] = pd.to_datetime(det["date"], errors="coerce")
    return det


def _max_geodesic_km(lon: np.ndarray, lat: np.ndarray) -> float:
    from pyproj import Geod

    ok = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = lon[ok], lat[ok]
    n = len(lon)
    if n < 2:
        return 0.0 if n == 1 else np.nan
    i, j = np.triu_indices(n, 1)
    _, _, d = Geod(ellps="WGS84").inv(lon[i], lat[i], lon[j], lat[j])
    return float(np.max(d) / 1000.0)


def individual_summary(det: pd.DataFrame) -> pd.DataFrame:
    """One row per individual: detections, countries, dates, maximum distance, border crossings.

    Returns
    -------
    pandas.DataFrame
        ``individual_id, detections, sites, countries, first_date, last_date,
        max_distance_km, cross_border, border_crossings`` (crossings = changes of country
        between date-ordered detections).
    """
    rows = []
    for ind, d in det.groupby("individual_id", sort=True):
        if "date" in d.columns:
            d = d.sort_values("date", kind="stable")
        countries = [c for c in d["country"].tolist() if isinstance(c, str) and c] if "country" in d.columns else []
        crossings = int(sum(a != b for a, b in zip(countries[:-1], countries[1:])))
        rows.append(
            (
                ind,
                len(d),
                int(d["site"].nunique()) if "site" in d.columns else np.nan,
                ";".join(sorted(set(countries))),
                d["date"].min().strftime("%Y-%m-%d") if "date" in d.columns and d["date"].notna().any() else "",
                d["date"].max().strftime("%Y-%m-%d") if "date" in d.columns and d["date"].notna().any() else "",
                round(_max_geodesic_km(d["lon"].to_numpy(float), d["lat"].to_numpy(float)), 1),
                len(set(countries)) > 1,
                crossings,
            )
        )
    return pd.DataFrame(
        rows,
        columns=["individual_id", "detections", "sites", "countries", "first_date", "last_date",
                 "max_distance_km", "cross_border", "border_crossings"],
    )


def secr_tables(
    det: pd.DataFrame,
    *,
    session: str = "1",
    occasion_days: int | None = None,
    generalize_km: float | None = 1.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Capture histories in the text formats of the R package secr (``read.capthist``).

    Detectors are the distinct locations of the detections (after generalisation when
    *generalize_km* is given, so several scats in one cell share a detector); trap coordinates
    are metres in EPSG:6933. Occasions: ``occasion_days``-day bins from the first date, or
    one occasion when no dates or no bin width are given.

    Returns
    -------
    capthist : pandas.DataFrame
        ``Session, ID, Occasion, Detector`` (one row per detection).
    traps : pandas.DataFrame
        ``Detector, x, y``.
    """
    d = det[np.isfinite(det["lon"]) & np.isfinite(det["lat"])].copy()
    lon, lat = d["lon"].to_numpy(float), d["lat"].to_numpy(float)
    if generalize_km:
        lon, lat = generalize_coordinates(lon, lat, generalize_km)
    x, y = _to_ea(lon, lat)
    x = np.round(x, 0 if generalize_km else 1)
    y = np.round(y, 0 if generalize_km else 1)
    key = pd.Series([f"{a:.1f},{b:.1f}" for a, b in zip(x, y)])
    codes, uniq = pd.factorize(key)
    width = max(2, len(str(len(uniq))))
    det_names = np.array([f"T{i + 1:0{width}d}" for i in range(len(uniq))], dtype=object)
    if occasion_days and "date" in d.columns and d["date"].notna().any():
        t0 = d["date"].min()
        occ = ((d["date"] - t0).dt.days // int(occasion_days) + 1).fillna(1).astype(int).to_numpy()
    else:
        occ = np.ones(len(d), dtype=int)
    capthist = pd.DataFrame({"Session": session, "ID": d["individual_id"].to_numpy(), "Occasion": occ,
                             "Detector": det_names[codes]})
    first = pd.Series(np.arange(len(codes))).groupby(codes).first().to_numpy()
    traps = pd.DataFrame({"Detector": det_names, "x": x[first], "y": y[first]})
    return capthist, traps


def write_secr(df: pd.DataFrame, path) -> None:
    """Write a secr text input file: ``#``-commented header, space-separated rows (atomic).

    Readable with ``secr::read.capthist(captfile, trapfile, detector = "count")`` or the
    detector type of the survey.
    """
    from .io.atomic import atomic_open

    with atomic_open(path, "w") as fh:
        fh.write("# " + " ".join(map(str, df.columns)) + "\n")
        for row in df.itertuples(index=False):
            fh.write(" ".join(str(v).replace(" ", "_") for v in row) + "\n")
