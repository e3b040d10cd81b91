"""CLI verbs for population statistics, relatedness and inbreeding.

``bigcats genetics stats | hwe | fst | relatedness | compare-estimators | inbreeding``.
Thin layer: read with :func:`genetics.io.formats.read_genotypes`, compute with
:mod:`genetics.stats`, :mod:`genetics.relatedness`, :mod:`genetics.inbreeding`, write with
:func:`cli.common.emit_table` (atomic).
"""

from __future__ import annotations

from pathlib import Path

import click

from genetics.errors import InputDataError

from .common import (emit_table, executor_from, executor_options, genotypes_from_option, info, load_genotypes,
                     out_option, seed_option, to_option)

genetics_commands: list[click.Command] = []
connectivity_commands: list[click.Command] = []
root_commands: list[click.Command] = []
# demo_steps: callables (outdir: pathlib.Path, seed: int) -> None, run in order by `bigcats demo`.
demo_steps: list = []

_from_option = genotypes_from_option
_genotypes_arg = click.argument("genotypes", type=click.Path(dir_okay=False, path_type=Path))


_load = load_genotypes


def _by_option(default: str = "none"):
    return click.option("--by", type=click.Choice(["none", "population"], case_sensitive=False),
                        default=default, show_default=True,
                        help="Whole sample (none) or one block of rows per population.")


@click.command("stats")
@_genotypes_arg
@_from_option
@_by_option()
@click.option("--rarefaction", type=click.IntRange(1), default=None,
              help="Genes to rarefy allelic richness to (default: smallest number typed in any "
                   "population at any locus).")
@click.option("--freqs", "freqs_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write allele frequencies (locus,[population,]allele,count,frequency) here.")
@out_option()
@to_option()
def stats_cmd(genotypes: Path, from_fmt: str | None, by: str, rarefaction: int | None,
              freqs_out: Path | None, out: Path | None, to: str | None) -> None:
    """Per-locus diversity: n alleles, allelic richness, Ho, He, unbiased He, F_IS (W&C), nulls.

    Without --by and with several populations, F_ST and F_IT per locus are added
    (Weir & Cockerham 1984).
    """
    from genetics.stats import allele_frequency_table, locus_table

    g = _load(genotypes, from_fmt)
    by_pop = by.lower() == "population"
    emit_table(locus_table(g, by_population=by_pop, rarefaction=rarefaction), out, to)
    if freqs_out is not None:
        emit_table(allele_frequency_table(g, by_population=by_pop), freqs_out)


@click.command("hwe")
@_genotypes_arg
@_from_option
@_by_option("population")
@click.option("--permutations", type=click.IntRange(1), default=10000, show_default=True,
              help="Monte Carlo permutations per test.")
@seed_option
@executor_options
@out_option()
@to_option()
def hwe_cmd(genotypes: Path, from_fmt: str | None, by: str, permutations: int, seed: int,
            workers: int | None, scheduler: str | None, out: Path | None, to: str | None) -> None:
    """Hardy-Weinberg exact tests per locus (Guo & Thompson 1992, Monte Carlo)."""
    from genetics.stats import hwe_table

    g = _load(genotypes, from_fmt)
    ex = executor_from(workers, scheduler)
    emit_table(hwe_table(g, by.lower() == "population", permutations, seed, ex), out, to)


@click.command("fst")
@_genotypes_arg
@_from_option
@out_option()
@to_option()
def fst_cmd(genotypes: Path, from_fmt: str | None, out: Path | None, to: str | None) -> None:
    """Pairwise F_ST between populations (Weir & Cockerham 1984), multilocus."""
    from genetics.stats import pairwise_fst

    g = _load(genotypes, from_fmt)
    emit_table(pairwise_fst(g), out, to)


def _estimators(value: str) -> list[str]:
    from genetics.relatedness import ESTIMATORS

    if value.strip().lower() == "all":
        return list(ESTIMATORS)
    est = [v.strip() for v in value.split(",") if v.strip()]
    bad = [e for e in est if e not in ESTIMATORS]
    if bad or not est:
        raise click.BadParameter(f"unknown estimator {bad[0] if bad else value!r}; use "
                                 f"{', '.join(ESTIMATORS)} or all", param_hint="--estimators")
    return est


@click.command("relatedness")
@_genotypes_arg
@_from_option
@click.option("--estimators", default="queller_goodnight,lynch_ritland,wang", show_default=True,
              help="Comma-separated: queller_goodnight, lynch_ritland, wang, li, ritland, dyadml (or 'all').")
@click.option("--reference-freqs", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Allele frequencies to use (CSV locus,allele,frequency, e.g. from `stats --freqs`); "
                   "default: the sample's own.")
@click.option("--bootstrap", type=click.IntRange(0), default=0, show_default=True,
              help="Bootstrap resamples over loci for 95%% CIs (<estimator>_lo/_hi columns).")
@click.option("--dyadml-states", type=click.Choice(["9", "3"]), default="9", show_default=True,
              help="dyadml over the 9 Jacquard states (inbreeding allowed; matches related/COANCESTRY) "
                   "or the 3 outbred Cotterman states (reads lower for outbred animals).")
@seed_option
@executor_options
@out_option()
@to_option()
def relatedness_cmd(genotypes: Path, from_fmt: str | None, estimators: str, reference_freqs: Path | None,
                    bootstrap: int, dyadml_states: str, seed: int, workers: int | None, scheduler: str | None,
                    out: Path | None, to: str | None) -> None:
    """Pairwise relatedness of every pair: id_1,id_2,<estimator>...,n_loci.

    Asymmetric estimators are averaged over both reference individuals (as related/COANCESTRY);
    dyadml adds dyadml_class (PO, FS, HS or U by likelihood).
    """
    from genetics.relatedness import read_reference_freqs, relatedness_table

    est = _estimators(estimators)
    g = _load(genotypes, from_fmt)
    ref = read_reference_freqs(reference_freqs) if reference_freqs is not None else None
    ex = executor_from(workers, scheduler)
    try:
        df = relatedness_table(g, est, reference=ref, n_boot=bootstrap, seed=seed,
                               executor=ex, dyadml_states=int(dyadml_states))
    except InputDataError as exc:
        where = reference_freqs if (ref is not None and "reference" in exc.message) else genotypes
        raise exc.located(path=where) from None
    info(f"{len(df)} pairs of {g.n_samples} samples")
    emit_table(df, out, to)


@click.command("compare-estimators")
@_genotypes_arg
@_from_option
@click.option("--estimators", default="all", show_default=True, help="Comma-separated estimators or 'all'.")
@click.option("--pairs-per-class", type=click.IntRange(10), default=200, show_default=True,
              help="Simulated pairs per relationship (PO, FS, HS, U).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write box plots per estimator and class (PNG/PDF/SVG; needs matplotlib).")
@click.option("--pairs-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write every simulated pair's estimates here.")
@click.option("--dyadml-states", type=click.Choice(["9", "3"]), default="9", show_default=True,
              help="dyadml over the 9 Jacquard states (inbreeding allowed; matches related/COANCESTRY) "
                   "or the 3 outbred Cotterman states (reads lower for outbred animals).")
@seed_option
@out_option()
@to_option()
def compare_cmd(genotypes: Path, from_fmt: str | None, estimators: str, pairs_per_class: int,
                plot_path: Path | None, pairs_out: Path | None, dyadml_states: str, seed: int, out: Path | None,
                to: str | None) -> None:
    """Choose a relatedness estimator by simulating PO/FS/HS/U pairs from the data's frequencies."""
    from genetics.relatedness import compare_estimators, plot_comparison

    est = _estimators(estimators)
    g = _load(genotypes, from_fmt)
    comp = compare_estimators(g, est, pairs_per_class, seed, dyadml_states=int(dyadml_states))
    info(f"recommended estimator (highest correlation with the true r): {comp.recommended}")
    if comp.classification is not None:
        acc = ", ".join(f"{r.relationship} {r.accuracy:.2f}" for r in comp.classification.itertuples())
        info(f"dyadml relationship-class accuracy: {acc}")
    emit_table(comp.summary, out, to)
    if pairs_out is not None:
        emit_table(comp.pairs, pairs_out)
    if plot_path is not None:
        plot_comparison(comp, plot_path)
        info(f"wrote {plot_path}")


@click.command("inbreeding")
@_genotypes_arg
@_from_option
@click.option("--g2-bootstrap", type=click.IntRange(0), default=1000, show_default=True,
              help="Bootstrap resamples (individuals) for the g2 confidence interval.")
@click.option("--g2-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the g2 estimate and CI as a one-row table here.")
@click.option("--snp/--no-snp", default=None,
              help="Add PLINK-style F and F_ROH columns (default: when all loci are biallelic and >= 50).")
@seed_option
@out_option()
@to_option()
def inbreeding_cmd(genotypes: Path, from_fmt: str | None, g2_bootstrap: int, g2_out: Path | None,
                   snp: bool | None, seed: int, out: Path | None, to: str | None) -> None:
    """Per individual: ho, sMLH, IR, HL (and F, F_ROH for SNPs); g2 for the sample on stderr."""
    import numpy as np
    import pandas as pd

    from genetics.inbreeding import g2, inbreeding_table

    from genetics.inbreeding import locus_positions

    g = _load(genotypes, from_fmt)
    table = inbreeding_table(g, snp=snp)
    if "f_plink" in table.columns and "froh" not in table.columns:
        why = ("locus names carry no CHROM:POS positions" if locus_positions(g.loci) is None
               else "scikit-allel's ROH HMM needs hmmlearn (pip install hmmlearn)")
        info(f"note: no froh column: {why}")
    emit_table(table, out, to)
    res = g2(g.alleles, g2_bootstrap, np.random.default_rng(seed))
    info(f"g2 = {res.g2:.5f} (95% CI {res.ci_low:.5f} to {res.ci_high:.5f}, {res.n_boot} bootstraps over "
         f"{res.n_individuals} individuals, {res.n_loci} loci)")
    if g2_out is not None:
        emit_table(pd.DataFrame([res.__dict__]), g2_out)


genetics_commands += [stats_cmd, hwe_cmd, fst_cmd, relatedness_cmd, compare_cmd, inbreeding_cmd]


def _demo(outdir: Path, seed: int) -> None:
    """Population statistics, relatedness and inbreeding on the SIMULATED snow-leopard fixture."""
    import numpy as np
    import pandas as pd

    from fixtures import fixture_path
    from genetics.inbreeding import g2, inbreeding_table
    from genetics.io.tables import write_table
    from genetics.relatedness import relatedness_table
    from genetics.stats import locus_table, pairwise_fst

    src = fixture_path("genetics", "popgen_snow_leopard_sim.gen")
    g = load_genotypes(src)
    d = outdir / "genetics"
    d.mkdir(parents=True, exist_ok=True)
    write_table(locus_table(g), d / "popgen_loci.csv")
    write_table(locus_table(g, by_population=True), d / "popgen_loci_by_population.csv")
    write_table(pairwise_fst(g), d / "popgen_fst.csv")
    pairs = relatedness_table(g, ["queller_goodnight", "lynch_ritland", "wang", "dyadml"], n_boot=20, seed=seed)
    write_table(pairs, d / "popgen_relatedness.csv")
    write_table(inbreeding_table(g), d / "popgen_inbreeding.csv")
    res = g2(g.alleles, 200, np.random.default_rng(seed))
    write_table(pd.DataFrame([res.__dict__]), d / "popgen_g2.csv")
    info(f"demo: population statistics, {len(pairs)} relatedness pairs and inbreeding in {d}/")


demo_steps.append(_demo)
