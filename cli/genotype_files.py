"""CLI verbs for genotype files: ``bigcats genetics convert`` and ``bigcats genetics summary``."""

from __future__ import annotations

from pathlib import Path

import click

from genetics.io.formats import (
    WRITE_FORMATS,
    output_format,
    read_genotypes,
    write_genotypes,
)
from genetics.io.tables import TABLE_FORMATS

from .common import emit_table, genotypes_from_option, info, load_genotypes

genetics_commands: list[click.Command] = []
connectivity_commands: list[click.Command] = []
root_commands: list[click.Command] = []
# demo_steps: callables (outdir: pathlib.Path, seed: int) -> None, run in order by `bigcats demo`.
demo_steps: list = []

_from_option = genotypes_from_option


def _columns_options(f):
    f = click.option("--meta-cols", default=None, metavar="NAMES",
                     help="Wide tables: comma-separated metadata columns (names or 1-based numbers).")(f)
    f = click.option("--pop-col", default=None, metavar="NAME",
                     help="Wide tables: population column (name or 1-based number; 'none' for none).")(f)
    f = click.option("--id-col", default=None, metavar="NAME",
                     help="Wide tables: sample-id column (name or 1-based number; default the first).")(f)
    return f


def _col(spec: str):
    spec = spec.strip()
    return int(spec) - 1 if spec.isdigit() and int(spec) >= 1 else spec


def _wide_options(id_col, pop_col, meta_cols) -> dict:
    opts: dict = {}
    if id_col is not None:
        opts["id_col"] = _col(id_col)
    if pop_col is not None:
        opts["pop_col"] = False if pop_col.lower() == "none" else _col(pop_col)
    if meta_cols is not None:
        opts["meta_cols"] = [_col(c) for c in meta_cols.split(",") if c.strip()]
    return opts


_metadata_option = click.option(
    "--metadata", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Sample metadata CSV (sample_id,lon,lat,country,site,date,...) joined by id.")


def _load(path: Path, from_fmt: str | None, metadata: Path | None, wide: dict | None = None):
    if wide:
        from genetics.io.formats import sniff_format

        if (from_fmt or sniff_format(path)) != "wide":
            raise click.UsageError("--id-col/--pop-col/--meta-cols apply to wide tables (add --from wide)")
        return load_genotypes(path, "wide", metadata, **wide)
    return load_genotypes(path, from_fmt, metadata)


@click.command("convert")
@click.argument("infile", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("outfile", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--to", "to_fmt", type=click.Choice(WRITE_FORMATS, case_sensitive=False), default=None,
              help="Output format (default from the extension: .gen GenePop, .str STRUCTURE, "
                   ".csv long, .txt/.tsv wide).")
@_from_option
@_metadata_option
@_columns_options
def convert(infile: Path, outfile: Path, to_fmt: str | None, from_fmt: str | None,
            metadata: Path | None, id_col: str | None, pop_col: str | None,
            meta_cols: str | None) -> None:
    """Convert a genotype file (GenePop, GenAlEx, long/wide CSV, STRUCTURE, VCF) to another format."""
    if outfile.exists() and infile.exists() and outfile.resolve() == infile.resolve():
        raise click.UsageError("OUT is the same file as IN; inputs are never overwritten")
    fmt = output_format(outfile, to_fmt)  # fail before reading when OUT's format is unknown
    g = _load(infile, from_fmt, metadata, _wide_options(id_col, pop_col, meta_cols))
    write_genotypes(g, outfile, fmt)
    info(f"wrote {outfile} ({fmt}: {g.n_samples} samples, {g.n_loci} loci)")


@click.command("summary")
@click.argument("infile", type=click.Path(dir_okay=False, path_type=Path))
@_from_option
@_metadata_option
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output table; format from the extension or --to. Default: stdout.")
@click.option("--to", type=click.Choice(TABLE_FORMATS, case_sensitive=False), default=None,
              help="Table format (overrides the extension).")
@click.option("--by-sample", is_flag=True, help="One row per sample instead of per locus.")
@click.option("--by-population", is_flag=True, help="One row per population instead of per locus.")
@click.option("--totals", is_flag=True,
              help="One row of totals: n_samples, n_loci, n_populations, n_alleles, missing_fraction.")
@_columns_options
def summary(infile: Path, from_fmt: str | None, metadata: Path | None, out: Path | None,
            to: str | None, by_sample: bool, by_population: bool, totals: bool, id_col: str | None,
            pop_col: str | None, meta_cols: str | None) -> None:
    """Samples, loci, populations, alleles per locus and missingness of a genotype file.

    The table (per locus by default) goes to stdout or -o; the totals go to stderr.
    """
    from genetics.summary import locus_table, overview, population_table, sample_table

    if by_sample + by_population + totals > 1:
        raise click.UsageError("choose one of --by-sample, --by-population and --totals")
    g = _load(infile, from_fmt, metadata, _wide_options(id_col, pop_col, meta_cols))
    ov = overview(g)
    info(f"{infile}: {ov['n_samples']} samples, {ov['n_loci']} loci, {ov['n_populations']} populations, "
         f"{ov['n_alleles']} alleles; {100 * ov['missing_fraction']:.1f}% of genotypes missing")
    if totals:
        import pandas as pd

        table = pd.DataFrame([{k: v for k, v in ov.items() if k != "notes"}])
    else:
        table = sample_table(g) if by_sample else population_table(g) if by_population else locus_table(g)
    emit_table(table, out, to)


genetics_commands += [convert, summary]


def _demo(outdir: Path, seed: int) -> None:
    """Convert the bundled simulated leopard genotypes and summarise them (seed not used)."""
    from fixtures import fixture_path
    from genetics.io.metadata import attach_metadata
    from genetics.io.tables import write_table
    from genetics.summary import locus_table, overview, population_table, sample_table

    src = fixture_path("genetics", "leopard_sim.gen")
    d = outdir / "genetics"
    g = attach_metadata(read_genotypes(src), fixture_path("genetics", "leopard_sim_metadata.csv"))
    write_genotypes(g, d / "leopard_sim_long.csv", "long")
    write_genotypes(g, d / "leopard_sim_genalex.csv", "genalex")
    write_genotypes(g, d / "leopard_sim.str", "structure")
    write_table(locus_table(g), d / "summary_loci.csv")
    write_table(sample_table(g), d / "summary_samples.csv")
    write_table(population_table(g), d / "summary_populations.csv")
    ov = overview(g)
    info(f"genetics: {ov['n_samples']} simulated samples, {ov['n_loci']} loci, "
         f"{ov['n_populations']} populations -> {d}/summary_loci.csv")


demo_steps.append(_demo)
