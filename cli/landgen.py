"""`bigcats connectivity landgen`: which resistance surface explains the measured gene flow."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from genetics.errors import InputDataError

from .common import emit_table, executor_from, executor_options, info, out_option, seed_option, to_option


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
    from pyproj import Transformer

    from connectivity.landscape_genetics import compare_surfaces, least_cost_distances_between
    from connectivity.raster import check_aligned, read_raster, require_metric
    from genetics.distance import shared_allele_distance
    from genetics.io.formats import read_genotypes
    from genetics.io.metadata import attach_metadata

    g = read_genotypes(genotypes, fmt)
    if metadata_path is not None:
        g = attach_metadata(g, metadata_path)
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

    specs = [_parse_surface(s) for s in surfaces]
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
    executor = executor_from(workers, scheduler)
    cell = template.cellsize[0]
    dists = {}
    for (name, path), r in zip(specs, rasters):
        d = least_cost_distances_between(r.masked(np.inf), r.valid, rows, cols, cell,
                                         neighbors=int(neighbors), executor=executor)
        if not np.all(np.isfinite(d)):
            raise InputDataError(f"some sample locations cannot reach each other on surface {name!r}", path=path)
        dists[name] = d
    euclid = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    table = compare_surfaces(genetic, dists, euclid, permutations=permutations, seed=seed, executor=executor)
    info(f"{g.n_samples} samples, {len(dists)} surface(s), {permutations} permutations")
    emit_table(table, out, to)


genetics_commands: list[click.Command] = []
connectivity_commands: list[click.Command] = [landgen_command]
root_commands: list[click.Command] = []
demo_steps: list = []
