"""Circuit-theory verbs: `circuitscape` (Circuitscape .ini files), `circuit` (same options as flags),
`omniscape` (Omniscape .ini files)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from genetics.io.tables import write_table

from .common import executor_from, executor_options, info

genetics_commands: list[click.Command] = []
connectivity_commands: list[click.Command] = []
root_commands: list[click.Command] = []
# demo_steps: callables (outdir: pathlib.Path, seed: int) -> None, run in order by `bigcats demo`.
demo_steps: list = []

_solver_option = click.option(
    "--solver", type=click.Choice(["cg+amg", "direct", "cholmod"], case_sensitive=False), default=None,
    help="Linear solver (default: the config's, else cg+amg). 'cholmod' = a direct sparse factorisation.")


def _report(res) -> None:
    for p in res.written[:3]:
        info(f"wrote {p}")
    if len(res.written) > 3:
        info(f"... and {len(res.written) - 3} more files")


@click.command("circuitscape")
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--output-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Override the config's output_file (outputs are <base>_resistances.out, ...).")
@_solver_option
@executor_options
def circuitscape_cmd(config: Path, output_file: Path | None, solver: str | None, workers, scheduler) -> None:
    """Run a Circuitscape .ini file unchanged (paths inside resolve from the working directory)."""
    from connectivity.circuit.ini import read_ini
    from connectivity.circuit.run import run_config

    cfg = read_ini(config)
    if output_file is not None:
        cfg.values["output_file"] = os.fspath(output_file)
    res = run_config(cfg, executor=executor_from(workers, scheduler), solver=solver)
    _report(res)


@click.command("circuit")
@click.option("--habitat", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Resistance (default) or conductance raster; edge list with --network.")
@click.option("--conductance", "is_conductance", is_flag=True, help="The habitat map holds conductances.")
@click.option("--scenario", type=click.Choice(["pairwise", "one-to-all", "all-to-one", "advanced"]),
              default="pairwise", show_default=True)
@click.option("--network", is_flag=True, help="Network mode: --habitat is an edge list 'node node value'.")
@click.option("--points", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Focal points: raster of IDs or text 'id x y' (network: one node ID a line).")
@click.option("--polygons", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Short-circuit regions raster.")
@click.option("--mask", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Mask raster: cells <= 0 or nodata are removed.")
@click.option("--sources", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Advanced: current sources.")
@click.option("--grounds", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Advanced: grounds.")
@click.option("--grounds-are-conductances", is_flag=True, help="Ground values are conductances (default resistances).")
@click.option("--direct-grounds", is_flag=True, help="Every ground is a 0-ohm direct ground.")
@click.option("--unit-currents", is_flag=True, help="Every source injects 1 A.")
@click.option("--conflict", type=click.Choice(["keepall", "rmvsrc", "rmvgnd", "rmvall"]), default="keepall",
              show_default=True, help="A node that is both source and ground (remove_src_or_gnd).")
@click.option("--include-pairs", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Included/excluded pairs file (either Circuitscape layout).")
@click.option("--reclass", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Reclass table 'old new' applied to the habitat values first (Circuitscape's reclass_file).")
@click.option("--source-strengths", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Variable source strengths 'id strength' (one-to-all / all-to-one).")
@click.option("--four-neighbors", is_flag=True, help="Connect 4 neighbours only (default 8).")
@click.option("--avg", type=click.Choice(["conductance", "resistance"]), default="conductance", show_default=True,
              help="Connection scheme: average conductance or average resistance.")
@click.option("-o", "--out", "output_file", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Output base (Circuitscape's output_file), e.g. results/run.out.")
@click.option("--cur-maps", is_flag=True, help="Write current maps (per pair and cumulative).")
@click.option("--cum-only", is_flag=True, help="Write only the cumulative current map.")
@click.option("--max-map", is_flag=True, help="Also write the max current map.")
@click.option("--volt-maps", is_flag=True, help="Write voltage maps.")
@click.option("--null-to-nodata", is_flag=True, help="Non-habitat cells are nodata in current/voltage maps.")
@click.option("--log-maps", is_flag=True, help="log10-transform the maps.")
@click.option("--tif", is_flag=True, help="Write maps as GeoTIFF instead of ASCII grids.")
@_solver_option
@executor_options
def circuit_cmd(habitat, is_conductance, scenario, network, points, polygons, mask, sources, grounds,
                grounds_are_conductances, direct_grounds, unit_currents, conflict, include_pairs,
                reclass, source_strengths, four_neighbors, avg, output_file, cur_maps, cum_only, max_map, volt_maps,
                null_to_nodata, log_maps, tif, solver, workers, scheduler) -> None:
    """Circuit-theory connectivity with Circuitscape's options as flags (writes Circuitscape's files)."""
    from connectivity.circuit.ini import config_from_dict
    from connectivity.circuit.run import run_config

    if scenario != "advanced" and points is None:
        raise click.UsageError("--points is required for pairwise, one-to-all and all-to-one")
    if scenario == "advanced" and (sources is None or grounds is None):
        raise click.UsageError("--sources and --grounds are required for the advanced scenario")
    cfg = config_from_dict({
        "data_type": "network" if network else "raster",
        "scenario": scenario,
        "habitat_file": habitat,
        "habitat_map_is_resistances": not is_conductance,
        "point_file": points,
        "use_polygons": polygons is not None, "polygon_file": polygons,
        "use_mask": mask is not None, "mask_file": mask,
        "source_file": sources, "ground_file": grounds,
        "ground_file_is_resistances": not grounds_are_conductances,
        "use_direct_grounds": direct_grounds, "use_unit_currents": unit_currents,
        "remove_src_or_gnd": conflict,
        "use_included_pairs": include_pairs is not None, "included_pairs_file": include_pairs,
        "use_reclass_table": reclass is not None, "reclass_file": reclass,
        "use_variable_source_strengths": source_strengths is not None, "variable_source_file": source_strengths,
        "connect_four_neighbors_only": four_neighbors,
        "connect_using_avg_resistances": avg == "resistance",
        "output_file": output_file,
        "write_cur_maps": cur_maps or max_map, "write_cum_cur_map_only": cum_only,
        "write_max_cur_maps": max_map, "write_volt_maps": volt_maps,
        "set_null_currents_to_nodata": null_to_nodata, "set_null_voltages_to_nodata": null_to_nodata,
        "log_transform_maps": log_maps, "write_as_tif": tif,
        "solver": solver or "cg+amg",
    }, source="(command line)")
    res = run_config(cfg, executor=executor_from(workers, scheduler))
    _report(res)


@click.command("omniscape")
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: the config's project_name).")
@executor_options
def omniscape_cmd(config: Path, out: Path | None, workers, scheduler) -> None:
    """Run an Omniscape .ini file (moving-window omnidirectional connectivity)."""
    from connectivity.omniscape import run_omniscape_ini

    project, res = run_omniscape_ini(config, out_dir=out, executor=executor_from(workers, scheduler))
    info(f"omniscape: {int(res['n_targets'])} targets solved; outputs in {project}/")


def _demo(outdir: Path, seed: int) -> None:
    """Circuitscape-style pairwise run between the core areas of both real landscapes.

    Uses the projected resistance surface and core areas that the least-cost step wrote to
    ``OUTDIR/connectivity/<region>/`` (built again when absent), writes a Circuitscape ``.ini``
    beside them and runs it as `bigcats connectivity circuitscape` would: effective resistances
    between the cores and the cumulative current map. Cores are short-circuit regions (the core
    raster is both the polygon and the focal-point file), so each core is one node and all pairs
    come from n-1 solves of one factorisation.
    """
    import numpy as np
    import pandas as pd

    from connectivity.circuit.ini import config_from_dict
    from connectivity.circuit.run import run_config

    from .landscape import run_landscape

    for region in ("amur", "altai_sayan"):
        lc = outdir / "connectivity" / region
        if not (lc / "resistance.tif").exists() or not (lc / "cores.tif").exists():
            run_landscape(region, lc)
        work = outdir / "circuit" / region
        work.mkdir(parents=True, exist_ok=True)
        values = {"data_type": "raster", "scenario": "pairwise",
                  "habitat_file": (lc / "resistance.tif").resolve(), "habitat_map_is_resistances": True,
                  "point_file": (lc / "cores.tif").resolve(),
                  "use_polygons": True, "polygon_file": (lc / "cores.tif").resolve(),
                  "output_file": (work / f"{region}.out").resolve(),
                  "connect_four_neighbors_only": False, "connect_using_avg_resistances": False,
                  "write_cur_maps": True, "write_cum_cur_map_only": True, "write_as_tif": True,
                  "solver": "cholmod"}
        ini = "[Circuitscape]\n" + "".join(f"{k} = {v if not isinstance(v, bool) else str(v)}\n"
                                            for k, v in values.items())
        (work / f"{region}.ini").write_text(ini, encoding="utf-8")
        result = run_config(config_from_dict(values))
        ids, matrix = result.ids, result.resistances
        names = pd.read_csv(lc / "cores.csv").set_index("id")["name"]
        i, j = np.triu_indices(len(ids), 1)
        table = pd.DataFrame({"from": ids[i], "to": ids[j],
                              "from_name": names.reindex(ids[i]).to_numpy(),
                              "to_name": names.reindex(ids[j]).to_numpy(),
                              "effective_resistance": matrix[i, j]})
        write_table(table, work / "effective_resistances.csv")
        info(f"demo: {region} circuit-theory resistances and cumulative current in {work}/")


demo_steps.append(_demo)
connectivity_commands += [circuitscape_cmd, circuit_cmd, omniscape_cmd]
