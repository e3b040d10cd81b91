"""CLI verbs: where corridors are needed (issue 7).

``bigcats connectivity rank --resistance R --cores C --candidates SITES.geojson [--metric reff|lcd|pc] [--budget B] -o ranked.csv``
``bigcats connectivity barriers --resistance R --cores C --radius-km 10 --radius-km 20 -o OUTDIR``
``bigcats connectivity network --resistance R --cores C [--species S] -o OUTDIR`` (link and core importance)
``bigcats report --resistance R --cores C [--candidates SITES] [--genetics T.csv ...] -o report.html``
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd

from .common import emit_table, executor_from, executor_options, info, load_resistance_and_cores

genetics_commands: list[click.Command] = []
connectivity_commands: list[click.Command] = []
root_commands: list[click.Command] = []
# demo_steps: callables (outdir: pathlib.Path, seed: int) -> None, run in order by `bigcats demo`.
demo_steps: list = []

SPECIES = ("amur_tiger", "amur_leopard", "snow_leopard")


# --------------------------------------------------------------------------------------
# shared pipeline


@dataclass
class Plan:
    """Everything the planning verbs compute for one landscape."""

    resistance: Any
    coreset: Any
    leastcost: Any
    priorities: Any
    reff: np.ndarray
    barrier_sites: pd.DataFrame
    median_km: float
    species: str
    radii: list[float]
    candidates: list = field(default_factory=list)
    ranked: pd.DataFrame | None = None
    portfolio: pd.DataFrame | None = None


def _median(species: str, median_km: float | None) -> float:
    from connectivity.network import DISPERSAL_KERNELS

    return float(median_km) if median_km is not None else DISPERSAL_KERNELS[species].median_km


def plan_landscape(res, coreset, *, species: str = "amur_tiger", median_km: float | None = None,
                   radii_km: tuple[float, ...] = (10.0, 20.0), adjacency: str = "cost", candidates=None,
                   metric: str = "reff", budget: float | None = None, top_barriers: int = 10,
                   executor=None) -> Plan:
    """Least cost → network importance → barriers → (candidates ranking, portfolio)."""
    from connectivity.barriers import top_barrier_sites
    from connectivity.candidates import CandidateEvaluator, greedy_portfolio, rank_candidates
    from connectivity.leastcost import least_cost_analysis
    from connectivity.priorities import prioritise_links

    med = _median(species, median_km)
    lc = least_cost_analysis(res, coreset.ids, neighbors=8, executor=executor, adjacency=adjacency)
    cell_km2 = res.cellsize[0] * res.cellsize[1] / 1e6
    tab = coreset.table.set_index("id").loc[lc.core_ids]
    attribute = tab["n_cells"].to_numpy(dtype=float) * cell_km2
    # one shared factorisation: core-pair effective resistances and every candidate evaluation
    ev = CandidateEvaluator(res, coreset.ids, ("reff", "lcd", "pc") if candidates else ("reff",), median_km=med,
                            attribute=attribute, executor=executor)
    reff = ev.R0
    names = [str(n) for n in tab["name"]]
    radii = [r * 1000.0 for r in radii_km]
    pr = prioritise_links(lc, attribute=attribute, names=names, median_km=med, reff=reff, radii=radii)
    pairs_ids = list(zip(lc.links["from"].astype(int), lc.links["to"].astype(int)))
    sites = top_barrier_sites(pr.barriers, res, n=top_barriers, pairs_ids=pairs_ids) if pr.barriers is not None \
        else pd.DataFrame()
    plan = Plan(res, coreset, lc, pr, reff, sites, med, species, radii)
    if candidates:
        plan.candidates = candidates
        plan.ranked = rank_candidates(res, coreset.ids, candidates, metric=metric, evaluator=ev)
        if budget is not None:
            plan.portfolio = greedy_portfolio(res, coreset.ids, candidates, budget, metric=metric, evaluator=ev)
            step = dict(zip(plan.portfolio["id"], plan.portfolio["step"]))
            plan.ranked["portfolio_step"] = [step.get(i, np.nan) for i in plan.ranked["id"]]
    return plan


def report_sections(plan: Plan, title: str) -> list:
    """Report sections (maps and tables) of one landscape plan."""
    from connectivity.report import Section, image_html, landscape_map, table_html

    lc, pr = plan.leastcost, plan.priorities
    sec = Section(title)
    labels = {int(r.id): str(r.name).split(" (")[0] for r in plan.coreset.table.itertuples(index=False)}
    rank_w = {(int(a), int(b)): 1.0 + 3.0 * float(p) for a, b, p in
              zip(pr.links["from"], pr.links["to"], pr.links["priority"])}
    paths = {k: v for k, v in lc.paths.items() if k in rank_w}
    site_cells = [(c.id, c.cells) for c in plan.candidates]
    sec.add(image_html(landscape_map(plan.resistance, cores=plan.coreset.ids, core_labels=labels, paths=paths,
                                     path_width=rank_w, sites=site_cells,
                                     title=f"{title}: least-cost links (width = priority), candidate sites"),
                       f"map of {title}", "Resistance (log scale), core areas, least-cost paths drawn by priority, "
                                          "candidate sites outlined in red."))
    if pr.barriers is not None:
        sec.add(image_html(landscape_map(plan.resistance, cores=plan.coreset.ids, core_labels=labels,
                                         overlay=pr.barriers.score, overlay_label="barrier improvement per km restored",
                                         title=f"{title}: Barrier Mapper scores"),
                           f"barrier map of {title}",
                           f"Improvement in least-cost distance per unit distance restored (McRae et al. 2012), "
                           f"max over radii {', '.join(f'{r / 1000:g}' for r in plan.radii)} km and over links."))
    cols = [c for c in ["priority_rank", "from_name", "to_name", "cost_distance", "path_km", "cwd_to_path_ratio",
                        "reff", "pinch_ratio", "barrier_score", "dPC_connector", "current_flow", "priority"]
            if c in pr.links]
    sec.add("<h3>Links ranked by priority (importance × need)</h3>")
    sec.add(table_html(pr.links[cols]))
    sec.add("<h3>Core areas: importance (dPC fractions, %) and current-flow centrality</h3>")
    sec.add(table_html(pr.nodes[["name", "attribute", "dPC", "dPC_intra", "dPC_flux", "dPC_connector", "dIIC",
                                 "current_flow"]].rename(columns={"attribute": "area_km2"})))
    if plan.ranked is not None:
        sec.add("<h3>Candidate sites ranked (gain when applied alone)</h3>")
        sec.add(table_html(plan.ranked))
    if plan.portfolio is not None:
        sec.add("<h3>Budget portfolio (greedy, best gain per cost)</h3>")
        sec.add(table_html(plan.portfolio))
    if len(plan.barrier_sites):
        sec.add("<h3>Top barrier sites</h3>")
        sec.add(table_html(plan.barrier_sites.drop(columns=["row", "col"])))
    return [sec]


def write_plan_outputs(plan: Plan, outdir: Path) -> list[Path]:
    """links_priority.csv, cores_importance.csv, barriers (tif/geojson/csv), ranked_sites.csv/.geojson, portfolio.csv."""
    from connectivity.barriers import write_barrier_outputs
    from connectivity.candidates import candidates_geojson
    from genetics.io.atomic import atomic_open
    from genetics.io.tables import write_table

    outdir.mkdir(parents=True, exist_ok=True)
    out = []
    write_table(plan.priorities.links, outdir / "links_priority.csv")
    write_table(plan.priorities.nodes, outdir / "cores_importance.csv")
    out += [outdir / "links_priority.csv", outdir / "cores_importance.csv"]
    if plan.priorities.barriers is not None:
        out += write_barrier_outputs(outdir, plan.priorities.barriers, plan.resistance, plan.barrier_sites)
    if plan.ranked is not None:
        write_table(plan.ranked, outdir / "ranked_sites.csv")
        with atomic_open(outdir / "ranked_sites.geojson", "w", encoding="utf-8") as fh:
            json.dump(candidates_geojson(plan.candidates, plan.ranked, plan.resistance.crs), fh)
        out += [outdir / "ranked_sites.csv", outdir / "ranked_sites.geojson"]
    if plan.portfolio is not None:
        write_table(plan.portfolio, outdir / "portfolio.csv")
        out.append(outdir / "portfolio.csv")
    return out


# --------------------------------------------------------------------------------------
# options

def _inputs(f):
    f = click.option("--snap-km", type=float, default=0.0, show_default=True,
                     help="Move point cores on nodata to the nearest landscape cell within this distance.")(f)
    f = click.option("--radius-km", "core_radius_km", type=float, default=None,
                     help="Disc radius of point cores (default: the file's radius_km column or one cell).")(f)
    f = click.option("--cores", "cores_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
                     help="Core areas: raster of ids, CSV of points (name,lon,lat[,id,radius_km]) or GeoJSON.")(f)
    f = click.option("--resistance", "resistance_path", type=click.Path(dir_okay=False, path_type=Path),
                     required=True, help="Resistance raster on a metric grid (nodata = outside the landscape).")(f)
    return f


def _species(f):
    f = click.option("--median-km", type=float, default=None,
                     help="Median dispersal distance in km of optimal habitat (overrides the species default).")(f)
    f = click.option("--species", type=click.Choice(SPECIES), default="amur_tiger", show_default=True,
                     help="Species whose dispersal kernel is used for PC/dPC.")(f)
    return f


def _radii(f):
    return click.option("--barrier-radius-km", "radii_km", type=float, multiple=True, default=(10.0, 20.0),
                        show_default=True, help="Barrier Mapper search radius (repeatable).")(f)


# --------------------------------------------------------------------------------------
# verbs


@click.command("rank")
@_inputs
@click.option("--candidates", "candidates_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="GeoJSON of candidate sites: polygons or points with 'radius' (metres); properties id, "
                   "resistance, optional cost.")
@click.option("--metric", type=click.Choice(["reff", "lcd", "pc"]), default="reff", show_default=True,
              help="Ranking metric: drop in summed effective resistance, in summed least-cost distance, or gain in PC.")
@click.option("--budget", type=float, default=None, help="Also pick a greedy portfolio within this total cost.")
@_species
@click.option("--geojson", "geojson_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the ranked sites as GeoJSON (lon/lat).")
@click.option("--portfolio", "portfolio_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the portfolio steps to this table (needs --budget).")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Ranked table (CSV/TSV/JSON by extension; default stdout).")
@executor_options
def rank_cmd(resistance_path: Path, cores_path: Path, core_radius_km: float | None, snap_km: float,
             candidates_path: Path, metric: str, budget: float | None, species: str, median_km: float | None,
             geojson_out: Path | None, portfolio_out: Path | None, out: Path | None, workers, scheduler) -> None:
    """Rank candidate crossings / restoration sites by the connectivity each one adds alone."""
    from connectivity.candidates import (CandidateEvaluator, candidates_geojson, greedy_portfolio, rank_candidates,
                                         read_candidates)
    from genetics.errors import InputDataError
    from genetics.io.atomic import atomic_open

    res, coreset = load_resistance_and_cores(resistance_path, cores_path, radius_km=core_radius_km, snap_km=snap_km)
    cands = read_candidates(candidates_path, res)
    ex = executor_from(workers, scheduler)
    med = _median(species, median_km)
    try:
        ev = CandidateEvaluator(res, coreset.ids, ("reff", "lcd", "pc"), median_km=med, executor=ex)
        table = rank_candidates(res, coreset.ids, cands, metric=metric, evaluator=ev)
        if budget is not None:
            pf = greedy_portfolio(res, coreset.ids, cands, budget, metric=metric, evaluator=ev)
            step = dict(zip(pf["id"], pf["step"]))
            table["portfolio_step"] = [step.get(i, np.nan) for i in table["id"]]
            info(f"portfolio within budget {budget:g}: {', '.join(pf['id']) or 'nothing improves'} "
                 f"(cost {pf['cost'].sum() if len(pf) else 0:g})")
            if portfolio_out is not None:
                emit_table(pf, portfolio_out)
        elif portfolio_out is not None:
            raise InputDataError("--portfolio needs --budget")
    except InputDataError as exc:
        raise exc.located(path=cores_path) from None
    emit_table(table, out)
    if geojson_out is not None:
        with atomic_open(geojson_out, "w", encoding="utf-8") as fh:
            json.dump(candidates_geojson(cands, table, res.crs), fh)
        info(f"wrote {geojson_out}")


@click.command("barriers")
@_inputs
@_radii
@click.option("--sum", "use_sum", is_flag=True, help="Sum scores over links instead of the maximum.")
@click.option("--raw", is_flag=True, help="Raw drop in LCD instead of the drop per unit distance restored.")
@click.option("--restored-resistance", type=float, default=1.0, show_default=True,
              help="Resistance of restored cells.")
@click.option("--adjacency", type=click.Choice(["all", "cost", "euclidean", "delaunay"]), default="cost",
              show_default=True, help="Which core pairs are links.")
@click.option("--top", type=int, default=10, show_default=True, help="Number of top barrier sites.")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Output folder.")
@executor_options
def barriers_cmd(resistance_path: Path, cores_path: Path, core_radius_km: float | None, snap_km: float,
                 radii_km: tuple[float, ...], use_sum: bool, raw: bool, restored_resistance: float, adjacency: str,
                 top: int, out: Path, workers, scheduler) -> None:
    """Barrier Mapper: where restoring a circle would shorten least-cost links most (GeoTIFF + GeoJSON)."""
    from connectivity.barriers import barrier_scores, top_barrier_sites, write_barrier_outputs
    from connectivity.leastcost import least_cost_analysis

    res, coreset = load_resistance_and_cores(resistance_path, cores_path, radius_km=core_radius_km, snap_km=snap_km)
    lc = least_cost_analysis(res, coreset.ids, executor=executor_from(workers, scheduler), adjacency=adjacency)
    pos = {int(c): k for k, c in enumerate(lc.core_ids)}
    pairs_ids = list(zip(lc.links["from"].astype(int), lc.links["to"].astype(int)))
    pairs = [(pos[a], pos[b]) for a, b in pairs_ids]
    result = barrier_scores(lc.cwd, lc.lcd, pairs, [r * 1000.0 for r in radii_km], res.cellsize, res.valid,
                            restored_resistance=restored_resistance, per_unit=not raw,
                            combine="sum" if use_sum else "max")
    sites = top_barrier_sites(result, res, n=top, pairs_ids=pairs_ids)
    written = write_barrier_outputs(out, result, res, sites)
    info(f"{len(pairs)} links, radii {', '.join(f'{r:g}' for r in radii_km)} km: wrote "
         f"{', '.join(p.name for p in written)} to {out}/")


@click.command("network")
@_inputs
@_species
@_radii
@click.option("--adjacency", type=click.Choice(["all", "cost", "euclidean", "delaunay"]), default="cost",
              show_default=True, help="Which core pairs are links.")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Output folder.")
@executor_options
def network_cmd(resistance_path: Path, cores_path: Path, core_radius_km: float | None, snap_km: float, species: str,
                median_km: float | None, radii_km: tuple[float, ...], adjacency: str, out: Path,
                workers, scheduler) -> None:
    """Core-area network: links ranked by importance and state, core importance (dPC, centrality)."""
    res, coreset = load_resistance_and_cores(resistance_path, cores_path, radius_km=core_radius_km, snap_km=snap_km)
    plan = plan_landscape(res, coreset, species=species, median_km=median_km, radii_km=radii_km, adjacency=adjacency,
                          executor=executor_from(workers, scheduler))
    written = write_plan_outputs(plan, out)
    top = plan.priorities.links.iloc[0] if len(plan.priorities.links) else None
    if top is not None:
        info(f"top link: {top.get('from_name', top['from'])} - {top.get('to_name', top['to'])}")
    info(f"wrote {', '.join(p.name for p in written)} to {out}/")


@click.command("report")
@_inputs
@click.option("--candidates", "candidates_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Candidate sites GeoJSON to rank.")
@click.option("--metric", type=click.Choice(["reff", "lcd", "pc"]), default="reff", show_default=True)
@click.option("--budget", type=float, default=None, help="Greedy portfolio budget.")
@_species
@_radii
@click.option("--genetics", "genetics_tables", type=click.Path(dir_okay=False, path_type=Path), multiple=True,
              help="Genetics result table (CSV/TSV) to include (repeatable).")
@click.option("--title", default="Connectivity priorities", show_default=True)
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="report.html")
@executor_options
def report_cmd(resistance_path: Path, cores_path: Path, core_radius_km: float | None, snap_km: float,
               candidates_path: Path | None, metric: str, budget: float | None, species: str, median_km: float | None,
               radii_km: tuple[float, ...], genetics_tables: tuple[Path, ...], title: str, out: Path,
               workers, scheduler) -> None:
    """Self-contained HTML report (maps, ranked links and sites, genetics tables, provenance)."""
    from connectivity.candidates import read_candidates
    from connectivity.report import genetics_sections, render_report, write_report

    res, coreset = load_resistance_and_cores(resistance_path, cores_path, radius_km=core_radius_km, snap_km=snap_km)
    cands = read_candidates(candidates_path, res) if candidates_path else None
    plan = plan_landscape(res, coreset, species=species, median_km=median_km, radii_km=radii_km, candidates=cands,
                          metric=metric, budget=budget, executor=executor_from(workers, scheduler))
    sections = report_sections(plan, resistance_path.stem)
    if genetics_tables:
        sections.append(genetics_sections(list(genetics_tables)))
    inputs = {"resistance": resistance_path, "cores": cores_path}
    if candidates_path:
        inputs["candidates"] = candidates_path
    for k, t in enumerate(genetics_tables):
        inputs[f"genetics {k + 1}"] = t
    doc = render_report(title, sections, parameters=_parameters(plan, metric, budget), inputs=inputs)
    write_report(out, doc)
    info(f"wrote {out}")


def _parameters(plan: Plan, metric: str, budget: float | None) -> dict[str, Any]:
    from connectivity.network import DISPERSAL_KERNELS

    k = DISPERSAL_KERNELS[plan.species]
    return {
        "species": plan.species,
        "median dispersal distance (km of optimal habitat)": plan.median_km,
        "kernel source": k.source,
        "neighbours / connection scheme": "8 / average conductance (Circuitscape defaults)",
        "least-cost step cost": "mean of the two cells' resistances × step length (m)",
        "links": "cost-weighted allocation adjacency (Linkage Mapper)",
        "barrier radii (km)": ", ".join(f"{r / 1000:g}" for r in plan.radii),
        "ranking metric": metric,
        "budget": "none" if budget is None else budget,
        "grid": f"{plan.resistance.shape[0]} x {plan.resistance.shape[1]} cells of "
                f"{plan.resistance.cellsize[0]:g} m",
    }


connectivity_commands.extend([rank_cmd, barriers_cmd, network_cmd])
root_commands.append(report_cmd)


# --------------------------------------------------------------------------------------
# demo

_DEMO = {"amur": ("amur_tiger", "amur.geojson", 6.0), "altai_sayan": ("snow_leopard", "altai_sayan.geojson", 6.0)}


def demo_planning(outdir: Path, seed: int) -> None:
    """Demo step: ranked links, barriers and candidate sites for both real landscapes, then report.html."""
    from connectivity.candidates import read_candidates
    from connectivity.landscapes import REGIONS, build_landscape, preset_path, region_dir
    from connectivity.report import genetics_sections, render_report, write_report
    from fixtures import fixture_path

    sections = []
    inputs: dict[str, Path] = {}
    params: dict[str, Any] = {}
    for region, (species, sites_name, budget) in _DEMO.items():
        res, _, coreset = build_landscape(region)
        sites_path = fixture_path("candidates", sites_name)
        cands = read_candidates(sites_path, res)
        plan = plan_landscape(res, coreset, species=species, candidates=cands, metric="reff", budget=budget)
        d = outdir / "connectivity" / region / "planning"
        write_plan_outputs(plan, d)
        top = plan.priorities.links.iloc[0]
        best = plan.ranked.iloc[0]
        info(f"{region}: top link {top['from_name']} - {top['to_name']}; best site {best['id']} "
             f"(delta_reff_sum {best['delta_reff_sum']:.3g}) -> {d}/")
        sections += report_sections(plan, REGIONS[region].title)
        folder = region_dir(region)
        inputs[f"{region} elevation"] = folder / "elevation_5arcmin_mapzen.tif"
        inputs[f"{region} core areas"] = folder / "core_areas.csv"
        inputs[f"{region} infrastructure"] = folder / "infrastructure.geojson"
        inputs[f"{region} resistance model"] = preset_path(REGIONS[region].preset)
        inputs[f"{region} candidate sites"] = sites_path
        for k, v in _parameters(plan, "reff", budget).items():
            params[f"{region}: {k}"] = v
    # population-level genetics only (no sample tables: locations of individuals are sensitive)
    gen = [outdir / "genetics" / n for n in ("summary_populations.csv", "popgen_fst.csv", "popgen_inbreeding.csv",
                                             "summary_loci.csv")]
    gen = [p for p in gen if p.exists()]
    if gen:
        sections.append(genetics_sections(gen))
        for p in gen:
            inputs[f"genetics {p.name}"] = p
    doc = render_report("bigcats demo: where corridors are needed (Amur; Altai–Sayan)", sections,
                        parameters=params, inputs=inputs)
    write_report(outdir / "report.html", doc)
    info(f"wrote {outdir / 'report.html'}")


demo_steps.append(demo_planning)
