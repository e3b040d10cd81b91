"""CLI verbs: resistance surfaces and least-cost corridors (issue 5).

``bigcats connectivity resistance MODEL.toml -o resistance.tif [--align TEMPLATE]``
``bigcats connectivity leastcost --resistance R --cores C [--neighbors 8|4] -o OUTDIR``
``bigcats connectivity landscape REGION -o OUTDIR`` (a bundled real landscape end to end)
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
import numpy as np

from .common import executor_from, executor_options, info, load_resistance_and_cores

genetics_commands: list[click.Command] = []
connectivity_commands: list[click.Command] = []
root_commands: list[click.Command] = []
# demo_steps: callables (outdir: pathlib.Path, seed: int) -> None, run in order by `bigcats demo`.
demo_steps: list = []

#: Corridor truncation width of the demo (cost units = resistance x metres): Linkage Mapper's default.
DEFAULT_WIDTH = 200_000.0


# --------------------------------------------------------------------------------------
# shared writers


def paths_geojson(result, coreset, lonlat: bool = True) -> dict:
    """Least-cost paths of the result's links as a GeoJSON FeatureCollection.

    Coordinates are cell centres in lon/lat (EPSG:4326, RFC 7946) when *lonlat* and the grid
    has a CRS, otherwise in the raster's own CRS (named in ``metadata.crs``).
    """
    grid = result.grid
    transformer = None
    crs_name = "none"
    if grid.crs is not None:
        crs_name = grid.crs.to_string()
        if lonlat:
            from pyproj import Transformer

            transformer = Transformer.from_crs(grid.crs.to_wkt(), "EPSG:4326", always_xy=True)
            crs_name = "EPSG:4326"
    feats = []
    for row in result.links.itertuples(index=False):
        a, b = int(row[0]), int(row[1])
        rr, cc = result.paths[(a, b)]
        x, y = grid.rowcol_to_xy(rr, cc)
        if transformer is not None:
            x, y = transformer.transform(x, y)
        coords = np.round(np.column_stack([x, y]), 6 if transformer is not None else 2).tolist()
        if len(coords) == 1:
            coords = coords * 2
        feats.append({
            "type": "Feature",
            "properties": {
                "from": a, "to": b,
                "from_name": coreset.name_of(a) if coreset is not None else str(a),
                "to_name": coreset.name_of(b) if coreset is not None else str(b),
                "cost_distance": float(row[2]),
                "length_km": float(row[4]),
                "euclidean_km": float(row[3]),
                "cwd_to_path_ratio": None if not np.isfinite(row[5]) else float(row[5]),
            },
            "geometry": {"type": "LineString", "coordinates": coords},
        })
    return {"type": "FeatureCollection", "metadata": {"crs": crs_name,
            "cost": "mean of the two cells' resistances x step length in metres"}, "features": feats}


def write_leastcost_outputs(result, coreset, outdir: Path, *, width: float | None = None, normalize: bool = False,
                            map_title: str | None = None, context_lines=None) -> dict[str, Path]:
    """Write links.csv, paths.geojson, corridors.tif, cores.tif/csv (and map.png) into *outdir*."""
    from connectivity.leastcost import corridors
    from connectivity.raster import Raster, write_raster
    from genetics.io.atomic import atomic_open
    from genetics.io.tables import write_table

    outdir.mkdir(parents=True, exist_ok=True)
    grid = result.grid
    written: dict[str, Path] = {}
    links = result.links.copy()
    if coreset is not None:
        links.insert(2, "from_name", [coreset.name_of(int(a)) for a in links["from"]])
        links.insert(3, "to_name", [coreset.name_of(int(b)) for b in links["to"]])
    write_table(links, outdir / "links.csv")
    written["links"] = outdir / "links.csv"
    with atomic_open(outdir / "paths.geojson", "w", encoding="utf-8") as fh:
        json.dump(paths_geojson(result, coreset), fh)
    written["paths"] = outdir / "paths.geojson"
    cor = corridors(result, width=width, normalize=normalize)
    vals = np.where(np.isfinite(cor), cor, -9999.0)
    write_raster(outdir / "corridors.tif", Raster(vals, grid.transform, grid.crs, -9999.0))
    written["corridors"] = outdir / "corridors.tif"
    if coreset is not None:
        write_raster(outdir / "cores.tif", Raster(coreset.ids.astype(np.float64), grid.transform, grid.crs, 0.0),
                     dtype="int32")
        write_table(coreset.table, outdir / "cores.csv")
        written["cores"] = outdir / "cores.csv"
    if map_title is not None:
        from connectivity.maps import plot_leastcost_map

        labels = None
        if coreset is not None:
            labels = {int(r.id): (float(r.x), float(r.y), str(r.name).split(" (")[0])
                      for r in coreset.table.itertuples(index=False)}
        plot_leastcost_map(outdir / "map.png", grid, corridors=cor,
                           cores=coreset.ids if coreset is not None else None, core_labels=labels,
                           paths=[result.paths[(int(a), int(b))] for a, b in zip(result.links["from"], result.links["to"])],
                           lines=context_lines, title=map_title)
        written["map"] = outdir / "map.png"
    return written


# --------------------------------------------------------------------------------------
# verbs


def _model_path(model: str) -> Path:
    p = Path(model)
    if p.exists() or p.suffix:
        return p
    from connectivity.landscapes import preset_path

    return preset_path(model)


@click.command("resistance")
@click.argument("model", metavar="MODEL.toml")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Output resistance raster (.tif or .asc).")
@click.option("--align", "align", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="TEMPLATE", help="Resample every raster layer onto this (metric) template grid.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder the model's layer paths are relative to (default: the model file's folder).")
@click.option("--components", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write each layer's contribution as DIR/<layer>.tif.")
def resistance_cmd(model: str, out: Path, align: Path | None, data_dir: Path | None, components: Path | None) -> None:
    """Build a resistance surface from a TOML MODEL (or a preset name: amur_tiger, amur_leopard,
    snow_leopard)."""
    from connectivity.raster import Raster, read_raster, write_raster
    from connectivity.resistance import build_resistance, load_model

    m = load_model(_model_path(model), data_dir=data_dir)
    template = read_raster(align) if align else None
    res, comps = build_resistance(m, template=template, template_name=str(align) if align else None)
    write_raster(out, res)
    info(f"wrote {out} ({res.shape[0]}x{res.shape[1]} cells of {res.cellsize[0]:g} map units, "
         f"{int(res.valid.sum())} valid)")
    if components:
        components.mkdir(parents=True, exist_ok=True)
        for name, arr in comps.items():
            write_raster(components / f"{name}.tif",
                         Raster(np.where(np.isfinite(arr), arr, -9999.0), res.transform, res.crs, -9999.0))
        info(f"wrote {len(comps)} component rasters to {components}/")


@click.command("leastcost")
@click.option("--resistance", "resistance_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Resistance raster on a metric grid (nodata = outside the landscape).")
@click.option("--cores", "cores_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Core areas: raster of ids, CSV of points (name,lon,lat[,id,radius_km]) or GeoJSON.")
@click.option("--neighbors", type=click.Choice(["8", "4"]), default="8", show_default=True,
              help="Queen's (8) or rook's (4) moves.")
@click.option("--radius-km", type=float, default=None, help="Disc radius of point cores (default: radius_km column or one cell).")
@click.option("--snap-km", type=float, default=0.0, show_default=True,
              help="Move point cores on nodata to the nearest landscape cell within this distance.")
@click.option("--adjacency", type=click.Choice(["all", "cost", "euclidean", "delaunay"]), default="all",
              show_default=True, help="Which core pairs become links.")
@click.option("--drop-intermediate", is_flag=True, help="Drop links whose path crosses a third core.")
@click.option("--width", type=float, default=None,
              help="Truncate corridors at this width in cost units (default: keep all).")
@click.option("--normalize", is_flag=True,
              help="Divide each link's corridor by its LCD before mosaicking (then --width is a fraction of the LCD).")
@click.option("--map", "draw_map", is_flag=True, help="Also draw OUTDIR/map.png (needs matplotlib).")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Output folder.")
@executor_options
def leastcost_cmd(resistance_path: Path, cores_path: Path, neighbors: str, radius_km: float | None, snap_km: float,
                  adjacency: str, drop_intermediate: bool, width: float | None, normalize: bool, draw_map: bool, out: Path,
                  workers: int | None, scheduler: str | None) -> None:
    """Least-cost distances, paths and corridors between core areas (Linkage Mapper style)."""
    from connectivity.leastcost import least_cost_analysis
    from genetics.errors import InputDataError

    res, coreset = load_resistance_and_cores(resistance_path, cores_path, radius_km=radius_km, snap_km=snap_km)
    try:
        result = least_cost_analysis(res, coreset.ids, neighbors=int(neighbors), executor=executor_from(workers, scheduler),
                                     adjacency=adjacency, drop_intermediate=drop_intermediate)
    except InputDataError as exc:
        raise exc.located(path=cores_path) from None
    written = write_leastcost_outputs(result, coreset, out, width=width, normalize=normalize,
                                      map_title=f"least-cost corridors: {resistance_path.name}" if draw_map else None)
    info(f"{len(result.links)} links between {len(result.core_ids)} cores; wrote {', '.join(p.name for p in written.values())} to {out}/")


def run_landscape(region: str, outdir: Path, *, preset: str | None = None, neighbors: int = 8,
                  width: float | None = None, adjacency: str = "cost", drop_intermediate: bool = True,
                  executor=None) -> dict[str, Path]:
    """Resistance → least cost on a bundled landscape; writes everything into *outdir*."""
    from connectivity.landscapes import REGIONS, build_landscape, region_dir
    from connectivity.leastcost import least_cost_analysis
    from connectivity.raster import write_raster
    from connectivity.resistance import _project_geoms, read_features

    t0 = time.perf_counter()
    res, comps, coreset = build_landscape(region, preset)
    outdir.mkdir(parents=True, exist_ok=True)
    write_raster(outdir / "resistance.tif", res)
    result = least_cost_analysis(res, coreset.ids, neighbors=neighbors, executor=executor,
                                 adjacency=adjacency, drop_intermediate=drop_intermediate)
    if width is None:
        width = DEFAULT_WIDTH
    geoms, _, crs = read_features(region_dir(region) / "borders_gshhg.geojson")
    borders = _project_geoms(geoms, crs, res.crs)
    preset_name = preset or REGIONS[region].preset
    written = write_leastcost_outputs(
        result, coreset, outdir, width=width, context_lines=borders,
        map_title=f"{REGIONS[region].title}\n{preset_name}: resistance, least-cost paths and corridors "
                  f"(truncated at {width:.3g} cost units)")
    written["resistance"] = outdir / "resistance.tif"
    info(f"{region}: {len(result.links)} links between {len(result.core_ids)} cores in "
         f"{time.perf_counter() - t0:.1f} s -> {outdir}/")
    return written


@click.command("landscape")
@click.argument("region", type=click.Choice(["amur", "altai_sayan"]))
@click.option("--preset", type=click.Choice(["amur_tiger", "amur_leopard", "snow_leopard"]), default=None,
              help="Species preset (default: amur_tiger for amur, snow_leopard for altai_sayan).")
@click.option("--neighbors", type=click.Choice(["8", "4"]), default="8", show_default=True)
@click.option("--width", type=float, default=None, help="Corridor truncation width in cost units (default: 200,000, Linkage Mapper's default).")
@click.option("--adjacency", type=click.Choice(["all", "cost", "euclidean", "delaunay"]), default="cost",
              show_default=True, help="Which core pairs become links.")
@click.option("--keep-intermediate", is_flag=True, help="Keep links whose path crosses a third core.")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Output folder.")
@executor_options
def landscape_cmd(region: str, preset: str | None, neighbors: str, width: float | None, adjacency: str,
                  keep_intermediate: bool, out: Path, workers: int | None, scheduler: str | None) -> None:
    """Run resistance and least-cost corridors on a bundled real landscape (amur, altai_sayan)."""
    run_landscape(region, out, preset=preset, neighbors=int(neighbors), width=width, adjacency=adjacency,
                  drop_intermediate=not keep_intermediate, executor=executor_from(workers, scheduler))


def demo_leastcost(outdir: Path, seed: int) -> None:
    """Demo step: both real landscapes → OUTDIR/connectivity/<region>/ (deterministic; seed unused)."""
    for region in ("amur", "altai_sayan"):
        run_landscape(region, outdir / "connectivity" / region)


connectivity_commands.extend([resistance_cmd, leastcost_cmd, landscape_cmd])
demo_steps.append(demo_leastcost)
