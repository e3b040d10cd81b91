"""`bigcats connectivity landgen`: which resistance surface explains the measured gene flow."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from genetics.errors import InputDataError

from .common import (emit_table, executor_from, executor_options, info, load_genotypes, out_option, seed_option,
                     to_option)


def _parse_surface(spec: str) -> tuple[str, Path]:
    if "=" in spec:
        name, path = spec.split("=", 1)
    else:
        path = spec
        name = Path(spec).stem
    return name.strip(), Path(path)


@click.command("landgen")
@click.argument("genotypes", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--metadata", "metadata_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Sample metadata CSV with sample_id,lon,lat (WGS84) if the genotype file has none.")
@click.option("--surface", "surfaces", multiple=True, required=True, metavar="NAME=RASTER",
              help="A candidate resistance surface (repeat for each); all on one projected grid.")
@click.option("--from", "fmt", default=None, help="Genotype file format (sniffed by default).")
@click.option("--neighbors", type=click.Choice(["8", "4"]), default="8", show_default=True)
@click.option("--permutations", type=click.IntRange(9), default=999, show_default=True)
@out_option()
@to_option()
@seed_option
@executor_options
def landgen_command(genotypes, metadata_path, surfaces, fmt, neighbors, permutations, out, to, seed,
                    workers, scheduler):
    """Rank resistance surfaces by how well their least-cost distances explain genetic distance.

    Genetic distance is the proportion of shared alleles (Bowcock et al. 1994) between the
    samples of GENOTYPES (use one row per individual, e.g. the consensus genotypes of
    `bigcats genetics identify`). For each surface: Mantel, partial Mantel given Euclidean
    distance, and MMRR (Wang 2013). Rank 1 is the best-supported surface.
    """
    table = run_landgen(genotypes, metadata_path, [_parse_surface(s) for s in surfaces], fmt=fmt,
                        neighbors=int(neighbors), permutations=permutations, seed=seed,
                        executor=executor_from(workers, scheduler))
    emit_table(table, out, to)


def run_landgen(genotypes: Path, metadata_path: Path | None, specs: list[tuple[str, Path]], *,
                fmt: str | None = None, neighbors: int = 8, permutations: int = 999, seed: int = 1,
                executor=None):
    """Read the inputs, check them, and rank the surfaces (the body of `landgen`)."""
    from pyproj import Transformer

    from connectivity.landscape_genetics import compare_surfaces, least_cost_distances_between
    from connectivity.raster import check_aligned, read_raster, require_metric
    from genetics.distance import shared_allele_distance

    g = load_genotypes(genotypes, fmt, metadata_path)
    md = g.metadata
    for col in ("lon", "lat"):
        if col not in md.columns:
            raise InputDataError(f"no '{col}' column for the samples: give --metadata with lon,lat",
                                 path=genotypes)
    lon = md["lon"].to_numpy(dtype=float)
    lat = md["lat"].to_numpy(dtype=float)
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    if bad.any():
        raise InputDataError("sample has no coordinates", path=metadata_path or genotypes,
                             sample=g.samples[int(np.flatnonzero(bad)[0])])

    rasters = [read_raster(p) for _, p in specs]
    check_aligned(rasters, [str(p) for _, p in specs])
    template = rasters[0]
    require_metric(template, name=str(specs[0][1]))
    x, y = Transformer.from_crs("EPSG:4326", template.crs, always_xy=True).transform(lon, lat)
    rows, cols = template.xy_to_rowcol(x, y)
    nr, nc = template.shape
    inside = (rows >= 0) & (rows < nr) & (cols >= 0) & (cols < nc)
    if not inside.all():
        raise InputDataError("sample location lies outside the resistance grid", path=metadata_path or genotypes,
                             sample=g.samples[int(np.flatnonzero(~inside)[0])])
    for (name, path), r in zip(specs, rasters):
        on_nodata = ~r.valid[rows, cols]
        if on_nodata.any():
            raise InputDataError(f"sample location is on a nodata cell of surface {name!r}", path=path,
                                 sample=g.samples[int(np.flatnonzero(on_nodata)[0])])

    genetic, compared = shared_allele_distance(g)
    if np.any(compared[np.triu_indices(g.n_samples, 1)] == 0):
        i, j = np.argwhere(np.triu(compared == 0, 1))[0]
        raise InputDataError(f"samples {g.samples[i]!r} and {g.samples[j]!r} share no typed locus",
                             path=genotypes)
    cell = template.cellsize[0]
    dists = {}
    for (name, path), r in zip(specs, rasters):
        d = least_cost_distances_between(r.masked(np.inf), r.valid, rows, cols, cell,
                                         neighbors=neighbors, executor=executor)
        if not np.all(np.isfinite(d)):
            raise InputDataError(f"some sample locations cannot reach each other on surface {name!r}", path=path)
        dists[name] = d
    euclid = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    table = compare_surfaces(genetic, dists, euclid, permutations=permutations, seed=seed, executor=executor)
    info(f"{g.n_samples} samples, {len(dists)} surface(s), {permutations} permutations")
    return table


def demo_landscape_genetics(outdir: Path, seed: int) -> None:
    """Demo: which surface explains gene flow among simulated Altai–Sayan snow leopards?

    Known truth, labelled as simulated: three animals each are placed in 40 random cells of good
    habitat of the Altai–Sayan landscape (the least-cost step's resistance surface), and their
    demes' allele frequencies diverge with
    the least-cost distance on the snow-leopard preset surface
    (:func:`genetics.simulate.simulate_isolation_by_distance`), and `landgen` must rank that
    surface above a flat one. Writes the genotypes, the metadata, both surfaces and the ranking
    under ``OUTDIR/landscape_genetics/``.
    """
    import pandas as pd
    from pyproj import Transformer

    from connectivity.landscape_genetics import least_cost_distances_between
    from connectivity.raster import read_raster, write_raster
    from genetics.io.formats import write_genotypes
    from genetics.io.tables import write_table
    from genetics.model import Genotypes
    from genetics.simulate import panel_with_diversity, simulate_isolation_by_distance

    from .landscape import run_landscape

    lc = outdir / "connectivity" / "altai_sayan"
    if not (lc / "resistance.tif").exists():
        run_landscape("altai_sayan", lc)
    work = outdir / "landscape_genetics"
    work.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    res = read_raster(lc / "resistance.tif")
    # demes: 40 random cells of good snow-leopard habitat (lowest third of resistance), 3 animals each
    good = res.valid & (res.values <= np.quantile(res.values[res.valid], 0.33))
    cells = np.argwhere(good)
    n_demes, per_deme = 40, 3
    pick = cells[rng.choice(len(cells), size=n_demes, replace=False)]
    cell = res.cellsize[0]
    deme_d = least_cost_distances_between(res.masked(np.inf), res.valid, pick[:, 0], pick[:, 1], cell)
    off = deme_d[np.triu_indices(n_demes, 1)]
    panel = panel_with_diversity(16, rng=rng)  # snow-leopard-like: He ~ 0.5, ~3.6 alleles per locus
    alleles, deme = simulate_isolation_by_distance(panel, deme_d, per_deme, scale=float(np.median(off)) / 2,
                                                   rng=rng, divergence=2.0)
    samples = tuple(f"SIM{i:03d}" for i in range(len(deme)))
    g = Genotypes(alleles, samples, panel.loci, tuple(f"deme{d:02d}" for d in deme))
    write_genotypes(g, work / "simulated_snow_leopards.csv")
    x, y = res.rowcol_to_xy(pick[deme, 0], pick[deme, 1])
    lon, lat = Transformer.from_crs(res.crs, "EPSG:4326", always_xy=True).transform(x, y)
    meta = pd.DataFrame({"sample_id": samples, "lon": np.round(lon, 5), "lat": np.round(lat, 5),
                         "site": [f"deme{d:02d}" for d in deme], "note": "simulated animal at a cell centre"})
    write_table(meta, work / "simulated_snow_leopards_metadata.csv")
    write_raster(work / "snow_leopard.tif", res)
    write_raster(work / "flat.tif", res.with_values(np.where(res.valid, 1.0, res.nodata)))
    table = run_landgen(work / "simulated_snow_leopards.csv", work / "simulated_snow_leopards_metadata.csv",
                        [("snow_leopard", work / "snow_leopard.tif"), ("flat", work / "flat.tif")],
                        permutations=199, seed=seed)
    write_table(table, work / "surfaces.csv")
    best = table.loc[table["rank"] == 1, "surface"].iloc[0]
    info(f"demo: landscape genetics (simulated snow leopards, Altai-Sayan): best surface {best!r} "
         f"-> {work}/surfaces.csv")


genetics_commands: list[click.Command] = []
connectivity_commands: list[click.Command] = [landgen_command]
root_commands: list[click.Command] = []
demo_steps: list = [demo_landscape_genetics]
