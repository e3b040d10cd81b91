"""GenAlEx CSV (Peakall & Smouse 2006, 2012; Bioinformatics 28:2537), the sheet saved as CSV.

Layout::

    9,237,17,10,22,...            <- #loci, #samples, #pops, size of each population
    title,,,P01,P02,...           <- title, then population names from the 4th column
    Sample,Pop,fca8,,fca23,,...   <- two columns per locus, the second header blank
    N215,P01,0,0,136,146,...      <- one row per sample, samples grouped by population
    ...

Optional coordinates block: after the last locus column, one empty column, then two (or more)
named columns, typically ``X,Y`` or ``Lat,Long``. ``Lat``/``Latitude`` -> metadata ``lat``,
``Long``/``Lon``/``Longitude`` -> ``lon``; ``X``/``Y`` become ``lon``/``lat`` when every value lies
in degree range (|X| <= 180, |Y| <= 90) and stay ``x``/``y`` (projected) otherwise. Trailing empty
cells (Excel pads every row) are ignored. The counts of line 1 are checked against the data.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputDataError
from ..model import MISSING, Genotypes
from .atomic import atomic_open
from .formats import build_genotypes, check_unique_ids, parse_alleles, read_lines, split_rows

__all__ = ["read_genalex", "write_genalex"]

_COORD_NAMES = {"lat": "lat", "latitude": "lat", "long": "lon", "lon": "lon", "longitude": "lon",
                "lng": "lon", "x": "x", "y": "y", "easting": "x", "northing": "y"}


def _trim(row: list[str]) -> list[str]:
    k = len(row)
    while k and row[k - 1] == "":
        k -= 1
    return row[:k]


def read_genalex(path: str | os.PathLike[str]) -> Genotypes:
    """Read a GenAlEx CSV (three header lines, two columns per locus, optional coordinates).

    Returns
    -------
    Genotypes
        Populations from the ``Pop`` column; coordinates (if any) in the metadata.

    Raises
    ------
    InputDataError
        Header counts that do not match the data (loci, samples, populations, population
        sizes), wrong column counts, non-numeric alleles, duplicate ids - naming the line.
    """
    path = Path(path)
    lines = read_lines(path)
    if len(lines) < 4:
        raise InputDataError("GenAlEx needs three header lines and at least one sample line",
                             path=path, line=lines[-1][0])
    first = lines[0][1]
    sep = "," if "," in first else ";" if ";" in first else "\t"
    rows = split_rows(lines, sep)
    (l1, l2, l3) = (lines[0][0], lines[1][0], lines[2][0])
    r1 = _trim(rows[0])
    if len(r1) < 3 or not all(re.fullmatch(r"\d+", c) for c in r1[:3]):
        raise InputDataError("line 1 must start with #loci,#samples,#pops (integers)", path=path, line=l1)
    n_loci, n_samples, n_pops = (int(c) for c in r1[:3])
    sizes_txt = [c for c in r1[3:] if c != ""]
    if not all(re.fullmatch(r"\d+", c) for c in sizes_txt):
        raise InputDataError("population sizes on line 1 must be integers", path=path, line=l1)
    sizes = [int(c) for c in sizes_txt]
    if len(sizes) != n_pops:
        raise InputDataError(f"line 1 gives {len(sizes)} population sizes but says {n_pops} populations",
                             path=path, line=l1)
    if sum(sizes) != n_samples:
        raise InputDataError(f"population sizes on line 1 add up to {sum(sizes)}, not #samples {n_samples}",
                             path=path, line=l1)
    if n_loci < 1:
        raise InputDataError("#loci on line 1 must be at least 1", path=path, line=l1)
    r3 = _trim(rows[2])
    found = 0
    while 2 + 2 * found < len(r3) and r3[2 + 2 * found] != "":
        found += 1
    if found != n_loci:
        raise InputDataError(f"line 3 names {found} loci but line 1 says #loci = {n_loci}",
                             path=path, line=l3)
    loci = [r3[2 + 2 * j] for j in range(n_loci)]
    check_unique_ids(loci, [l3] * n_loci, path, what="locus")
    width = 2 + 2 * n_loci
    coord_cols: list[tuple[int, str]] = []
    if len(r3) > width:
        if r3[width] != "":
            raise InputDataError(
                f"column {width + 1} of line 3 should be empty (it separates the loci from the "
                "coordinates block): too many locus columns?", path=path, line=l3)
        coord_cols = [(c, r3[c]) for c in range(width + 1, len(r3)) if r3[c] != ""]
    data = rows[3:]
    dlines = [ln for ln, _ in lines[3:]]
    # Excel writes blank rows as ",,,,"; drop them
    keep = [k for k, r in enumerate(data) if any(c != "" for c in r)]
    data, dlines = [data[k] for k in keep], [dlines[k] for k in keep]
    if len(data) != n_samples:
        ln = dlines[n_samples] if len(data) > n_samples else (dlines[-1] if dlines else l3)
        raise InputDataError(f"{len(data)} sample lines but line 1 says #samples = {n_samples}",
                             path=path, line=ln)
    last = max([width] + [c + 1 for c, _ in coord_cols])
    for r, ln in zip(data, dlines):
        if len(r) < width:
            raise InputDataError(f"wrong column count: {len(r)} columns, expected {width} "
                                 f"(sample, pop, 2 x {n_loci} loci)", path=path, line=ln, sample=r[0])
        extra = [c for c in range(width, len(r)) if r[c] != "" and c not in dict(coord_cols)]
        if extra:
            raise InputDataError(f"unexpected value {r[extra[0]]!r} in column {extra[0] + 1} "
                                 f"(expected {width} columns)", path=path, line=ln, sample=r[0])
        r.extend([""] * (last - len(r)))
    D = np.array([r[:last] for r in data], dtype=str)
    samples = [s.strip() for s in D[:, 0]]
    for s, ln in zip(samples, dlines):
        if not s:
            raise InputDataError("empty sample name", path=path, line=ln)
    check_unique_ids(samples, dlines, path)
    pops = [p.strip() for p in D[:, 1]]
    # populations: contiguous blocks matching line 1
    order = list(dict.fromkeys(pops))
    if len(order) != n_pops:
        raise InputDataError(f"{len(order)} populations in the Pop column but line 1 says {n_pops}",
                             path=path, line=l1)
    expected = [p for p, size in zip(order, sizes) for _ in range(size)]
    wrong = [i for i, (x, e) in enumerate(zip(pops, expected)) if x != e]
    if wrong:
        i = wrong[0]
        plan = ", ".join(f"{p}: {n}" for p, n in zip(order, sizes))
        raise InputDataError(
            f"the Pop column does not match the population sizes on line 1 ({plan}; samples "
            f"grouped by population): expected {expected[i]!r} here, found {pops[i]!r}",
            path=path, line=dlines[i], sample=samples[i])
    values = parse_alleles(D[:, 2:width], path=path, linenos=dlines, samples=samples, loci=loci)
    alleles = values.reshape(len(samples), n_loci, 2)

    md = None
    if coord_cols:
        md = pd.DataFrame(index=pd.Index(samples, name="sample_id"))
        for c, name in coord_cols:
            col = pd.Series(D[:, c]).replace("", None)
            num = pd.to_numeric(col, errors="coerce")
            bad = np.flatnonzero(num.isna().to_numpy() & col.notna().to_numpy())
            if len(bad):
                raise InputDataError(f"coordinate {str(D[bad[0], c])!r} in column {name!r} is not a number",
                                     path=path, line=dlines[bad[0]], sample=samples[bad[0]])
            key = _COORD_NAMES.get(name.strip().lower(), name.strip())
            md[key] = num.to_numpy(dtype=float)
        if "x" in md and "y" in md and "lon" not in md and "lat" not in md:
            x, y = md["x"].abs(), md["y"].abs()
            if (x.dropna() <= 180).all() and (y.dropna() <= 90).all():
                md = md.rename(columns={"x": "lon", "y": "lat"})
    return build_genotypes(alleles, samples, loci, pops, md, path=path)


def write_genalex(g: Genotypes, path: str | os.PathLike[str], *, title: str | None = None) -> None:
    """Write a GenAlEx CSV (missing = 0), atomically.

    Samples are grouped by population (stable); ``lon``/``lat`` metadata, when present, are
    written as a ``Lat,Long`` coordinates block after an empty column.
    """
    names = g.population_names
    pops = np.array(g.populations, dtype=object)
    order = np.concatenate([np.flatnonzero(pops == p) for p in names]) if g.n_samples else np.array([], int)
    sizes = [int((pops == p).sum()) for p in names]
    a = np.where(g.alleles == MISSING, 0, g.alleles).reshape(g.n_samples, -1)
    md = g.metadata
    coords = ("lat" in md.columns and "lon" in md.columns
              and pd.to_numeric(md["lat"], errors="coerce").notna().any())
    loc_head: list[str] = []
    for loc in g.loci:
        loc_head += [loc, ""]
    with atomic_open(path, "w") as fh:
        wr = csv.writer(fh, lineterminator="\n")
        wr.writerow([g.n_loci, g.n_samples, len(names), *sizes])
        wr.writerow([title or "bigcats genotypes", "", "", *names])
        wr.writerow(["Sample", "Pop", *loc_head, *(["", "Lat", "Long"] if coords else [])])
        lat = pd.to_numeric(md["lat"], errors="coerce").to_numpy() if coords else None
        lon = pd.to_numeric(md["lon"], errors="coerce").to_numpy() if coords else None
        for i in order.tolist():
            row = [g.samples[i], g.populations[i], *a[i].tolist()]
            if coords:
                row += ["", "" if np.isnan(lat[i]) else repr(float(lat[i])),
                        "" if np.isnan(lon[i]) else repr(float(lon[i]))]
            wr.writerow(row)
