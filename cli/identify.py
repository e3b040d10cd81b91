"""CLI verbs from scat DNA to individuals: species, sex, consensus, identify, pid, catalog, recaptures."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
import pandas as pd

from genetics.errors import InputDataError
from genetics.identify import NONDROPOUT_PENALTY

from .common import (emit_table, executor_from, executor_options, genotypes_from_option, info, load_genotypes,
                     out_option, to_option)

genetics_commands: list[click.Command] = []
connectivity_commands: list[click.Command] = []
root_commands: list[click.Command] = []
# demo_steps: callables (outdir: pathlib.Path, seed: int) -> None, run in order by `bigcats demo`.
demo_steps: list = []

_from_option = genotypes_from_option
_read_genotypes = load_genotypes


def _match_options(f):
    f = click.option("--pairing", type=click.Choice(["positional", "best"]), default="positional", show_default=True,
                     help="positional = allelematch's column-wise count; best = shared alleles whatever the column.")(f)
    f = click.option("--nondropout-penalty", type=click.FloatRange(0), default=NONDROPOUT_PENALTY, show_default=True,
                     help="Extra cost of a locus whose genotypes differ in a way allelic dropout cannot explain "
                          "(0 = allelematch's plain count).")(f)
    f = click.option("--missing-weight", type=click.FloatRange(0, 1), default=0.5, show_default=True,
                     help="Cost of an allele missing on one side (allelematch 0.5; 0 = mismatches over co-typed loci only).")(f)
    f = click.option("--min-loci", type=click.IntRange(1), default=None,
                     help="Loci a sample (and a compared pair) must have typed. Default: half the loci.")(f)
    return f


# ------------------------------------------------------------------------- species
@click.command("species")
@click.argument("seqs", type=click.Path(path_type=Path))
@click.option("--references", "-r", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="FASTA of reference sequences of the candidate species.")
@out_option()
@to_option()
@click.option("--min-identity", type=click.FloatRange(0, 1), default=0.97, show_default=True,
              help="Identity needed to assign a species.")
@click.option("--min-coverage", type=click.FloatRange(0, 1), default=0.8, show_default=True,
              help="Share of the sample sequence a reference alignment must cover.")
@click.option("--margin", type=click.FloatRange(0, 1), default=0.005, show_default=True,
              help="Another species within this identity of the best makes the call ambiguous.")
@click.option("--target", default=None, help="Species kept downstream (e.g. 'Panthera uncia'): adds a keep column.")
@executor_options
def species_cmd(seqs, references, out, to, min_identity, min_coverage, margin, target, workers, scheduler):
    """Species of scat samples from a mitochondrial fragment (FASTA, FASTQ or ABI .ab1, or a folder)."""
    from genetics.species import assign_species, read_sequences

    samples = read_sequences(seqs)
    refs = read_sequences(references)
    df = assign_species(samples, refs, min_identity=min_identity, min_coverage=min_coverage,
                        ambiguity_margin=margin, executor=executor_from(workers, scheduler))
    if target:
        df["keep"] = (df["status"] == "assigned") & (df["species"] == target)
    counts = df["status"].value_counts().to_dict()
    info(f"species: {len(df)} samples: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    emit_table(df, out, to)


# ------------------------------------------------------------------------- sex
@click.command("sex")
@click.argument("genotypes", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--locus", required=True, help="Sex-linked locus in the genotype file.")
@click.option("--rule", type=click.Choice(["y-present", "zfx-zfy"]), default="y-present", show_default=True)
@click.option("--x-allele", type=int, multiple=True, help="Size of the X product (zfx-zfy; repeatable).")
@click.option("--y-allele", type=int, multiple=True, help="Size of the Y product (repeatable).")
@click.option("--min-loci", type=click.IntRange(0), default=3, show_default=True,
              help="Other loci a sample must amplify for a missing Y product to mean female.")
@_from_option
@out_option()
@to_option()
def sex_cmd(genotypes, locus, rule, x_allele, y_allele, min_loci, from_fmt, out, to):
    """Sex of every sample from a Y-linked or X/Y (ZFX/ZFY) marker."""
    from genetics.sex import assign_sex

    g = _read_genotypes(genotypes, from_fmt)
    sex = assign_sex(g, locus, rule, x_allele or None, y_allele or None, min_loci)
    df = pd.DataFrame({"sample_id": list(g.samples), "sex": sex})
    info(f"sex: {int((sex == 'M').sum())} M, {int((sex == 'F').sum())} F, {int((sex == 'unknown').sum())} unknown")
    emit_table(df, out, to)


# ------------------------------------------------------------------------- consensus
def _consensus_long(rep, res) -> pd.DataFrame:
    n, L = res.alleles.shape[:2]
    a = np.where(res.alleles < 0, 0, res.alleles)
    return pd.DataFrame({
        "sample_id": np.repeat(np.asarray(rep.samples, dtype=object), L),
        "locus": np.tile(np.asarray(rep.loci, dtype=object), n),
        "allele_1": a[:, :, 0].ravel(),
        "allele_2": a[:, :, 1].ravel(),
    })


def _errors_table(rep, res) -> pd.DataFrame:
    from genetics.consensus import error_tables

    per_locus, per_sample = error_tables(rep, res)
    per_locus = per_locus.rename(columns={"locus": "name"})
    per_locus.insert(0, "level", "locus")
    per_sample = per_sample.rename(columns={"sample_id": "name"})
    per_sample.insert(0, "level", "sample")
    return pd.concat([per_locus, per_sample], ignore_index=True)


@click.command("consensus")
@click.argument("replicates", type=click.Path(dir_okay=False, path_type=Path))
@out_option("Consensus genotypes, long CSV sample_id,locus,allele_1,allele_2 (0 = missing).")
@click.option("--errors", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Per-locus and per-sample dropout / false-allele rates and quality index.")
@click.option("--min-het-reps", type=click.IntRange(1), default=2, show_default=True,
              help="Replicates an allele must appear in to be accepted.")
@click.option("--min-hom-reps", type=click.IntRange(1), default=3, show_default=True,
              help="Identical replicates needed to accept a homozygote.")
@click.option("--min-qi", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Samples with a quality index below this are written as missing.")
@click.option("--loci", default=None, help="Comma-separated expected loci; other loci in the file are errors.")
def consensus_cmd(replicates, out, errors, min_het_reps, min_hom_reps, min_qi, loci):
    """Consensus genotypes from PCR replicates (multiple-tubes approach) and error rates."""
    from genetics.consensus import consensus_genotypes
    from genetics.io.long import read_replicates

    expected = [x.strip() for x in loci.split(",") if x.strip()] if loci else None
    rep = read_replicates(replicates, loci=expected)
    res = consensus_genotypes(rep.alleles, rep.n_runs, min_het_reps, min_hom_reps)
    qi = res.quality_index
    low = qi < min_qi
    if low.any():
        res.alleles[low] = -1
        info(f"consensus: {int(low.sum())} sample(s) with quality index < {min_qi} set missing")
    typed = (res.alleles[..., 0] >= 0).mean() if res.alleles.size else 0.0
    info(f"consensus: {rep.n_samples} samples x {rep.n_loci} loci, {100 * typed:.1f}% typed, "
         f"mean QI {float(np.mean(qi)) if len(qi) else 0:.3f}")
    if errors is not None:
        emit_table(_errors_table(rep, res), errors)
    emit_table(_consensus_long(rep, res), out)


# ------------------------------------------------------------------------- identify
def _individual_genotypes(g, r, ids):
    from genetics.model import Genotypes

    keep = r.reliable
    return Genotypes(r.consensus[keep], tuple(np.asarray(ids)[keep]), g.loci)


@click.command("identify")
@click.argument("genotypes", type=click.Path(dir_okay=False, path_type=Path))
@_from_option
@out_option("Sample table: sample_id,individual_id,loci_typed,mismatches,status,psib,...")
@to_option()
@click.option("--individuals-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="One row per individual with its consensus genotype and Psib.")
@click.option("--genotypes-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Consensus genotype per individual as a genotype file (format from the extension).")
@click.option("--max-mismatch", type=click.FloatRange(0), default=None,
              help="Largest dissimilarity (allelematch alleleMismatch) for the same animal. Default: suggested from the profile.")
@_match_options
@click.option("--profile", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the threshold profile (individuals per threshold, suggested one).")
@click.option("--keep", "keep_table", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Only samples with keep = True in this table (e.g. species --target output).")
@click.option("--sex-locus", default=None, help="Sex-linked locus: left out of matching, sex added to the tables.")
@click.option("--sex-rule", type=click.Choice(["y-present", "zfx-zfy"]), default="y-present", show_default=True)
@click.option("--x-allele", type=int, multiple=True)
@click.option("--y-allele", type=int, multiple=True)
@executor_options
def identify_cmd(genotypes, from_fmt, out, to, individuals_out, genotypes_out, max_mismatch, pairing,
                 nondropout_penalty, missing_weight, min_loci, profile, keep_table, sex_locus, sex_rule, x_allele, y_allele, workers, scheduler):
    """Group samples into individuals, tolerating genotyping error and missing data."""
    from genetics.identify import identification_tables, identify_individuals, threshold_profile

    g = _read_genotypes(genotypes, from_fmt)
    if keep_table is not None:
        from genetics.io.tables import read_table

        kt = read_table(keep_table, dtype={"sample_id": str})
        if "sample_id" not in kt.columns or "keep" not in kt.columns:
            raise InputDataError("the --keep table needs sample_id and keep columns", path=keep_table)
        kept = set(kt.loc[kt["keep"].astype(str).str.lower().isin(["true", "1", "yes"]), "sample_id"])
        mask = np.array([s in kept for s in g.samples])
        info(f"identify: {int(mask.sum())} of {g.n_samples} samples kept by {keep_table}")
        g = g.subset(samples=mask)
    sex = None
    if sex_locus:
        from genetics.sex import assign_sex

        sex = assign_sex(g, sex_locus, sex_rule, x_allele or None, y_allele or None)
        g = g.subset(loci=[i for i, name in enumerate(g.loci) if name != sex_locus])
    if g.n_samples == 0:
        raise InputDataError("no samples in the genotype file", path=genotypes)
    kw = dict(missing_weight=missing_weight, pairing=pairing, nondropout_penalty=nondropout_penalty)
    ex = executor_from(workers, scheduler)
    prof = None
    if profile is not None or max_mismatch is None:
        prof = threshold_profile(g.alleles, None, min_loci, executor=ex, **kw)
        if max_mismatch is None:
            max_mismatch = float(prof.loc[prof["suggested"], "max_mismatch"].iloc[0])
            info(f"identify: suggested --max-mismatch {max_mismatch:g} (inspect the profile)")
    r = identify_individuals(g.alleles, max_mismatch, min_loci, executor=ex, **kw)
    samples, inds = identification_tables(g, r)
    if sex is not None:
        from genetics.sex import sex_by_individual

        samples["sex"] = sex
        by = sex_by_individual(sex, r.individual)
        inds.insert(2, "sex", [by.get(i, "unknown") for i in range(len(inds))])
    st = pd.Series(r.status).value_counts().to_dict()
    info(f"identify: {g.n_samples} samples -> {r.n_individuals} individuals at max-mismatch {max_mismatch:g}, "
         f"min-loci {r.params['min_loci']} (" + ", ".join(f"{v} {k}" for k, v in st.items()) + ")")
    n_multi = int((r.status == "multiple_match").sum())
    n_placed = int((r.status != "too_few_loci").sum())
    if n_placed and n_multi > 0.1 * n_placed:
        info(f"identify: caution: {100 * n_multi / n_placed:.0f}% of the samples fit two or more individuals "
             f"at max-mismatch {max_mismatch:g}; the threshold is loose for these data and individuals "
             "may be merged (inspect --profile)")
    if prof is not None and profile is not None:
        emit_table(prof, profile)
    if individuals_out is not None:
        emit_table(inds, individuals_out)
    if genotypes_out is not None:
        from genetics.io.formats import write_genotypes

        write_genotypes(_individual_genotypes(g, r, inds["individual_id"].to_numpy()), genotypes_out)
        info(f"wrote {genotypes_out}")
    emit_table(samples, out, to)


# ------------------------------------------------------------------------- pid
@click.command("pid")
@click.argument("genotypes", type=click.Path(dir_okay=False, path_type=Path))
@_from_option
@out_option("locus,pid,pid_sib,cumulative_pid,cumulative_pid_sib (+ unbiased PID), loci most informative first.")
@to_option()
def pid_cmd(genotypes, from_fmt, out, to):
    """Probability of identity (PID, unbiased PID, PIDsib) per locus and cumulated.

    Give one genotype per individual (e.g. identify --genotypes-out).
    """
    from genetics.pid import loci_needed, pid_table

    g = _read_genotypes(genotypes, from_fmt)
    t = pid_table(g.alleles, g.loci)
    cols = ["rank", "locus", "pid", "pid_sib", "cumulative_pid", "cumulative_pid_sib", "pid_unbiased",
            "cumulative_pid_unbiased", "n_typed", "n_alleles", "he"]
    t = t[cols]
    for thr in (0.01, 0.001):
        k = loci_needed(t, thr)
        info(f"pid: PIDsib < {thr:g} " + (f"with the {k} most informative loci" if k else "not reached with all loci"))
    if len(t):
        info(f"pid: all {len(t)} loci: PID {t['cumulative_pid'].iloc[-1]:.3g}, PIDsib {t['cumulative_pid_sib'].iloc[-1]:.3g}")
    emit_table(t, out, to)


# ------------------------------------------------------------------------- catalog
@click.group("catalog")
def catalog_group():
    """Match samples against a catalog of known individuals, or merge two catalogs."""


@catalog_group.command("match")
@click.argument("genotypes", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--catalog", "catalog_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Genotype file of known individuals (ids = names, or a 'name' metadata column).")
@_from_option
@out_option()
@to_option()
@click.option("--max-mismatch", type=click.FloatRange(0), default=2, show_default=True)
@_match_options
def catalog_match_cmd(genotypes, catalog_path, from_fmt, out, to, max_mismatch, pairing, nondropout_penalty,
                      missing_weight, min_loci):
    """Recaptures of cataloged animals and new animals among new samples."""
    from genetics.catalog import match_catalog

    g = _read_genotypes(genotypes, from_fmt)
    c = _read_genotypes(catalog_path)
    df = match_catalog(g, c, max_mismatch, min_loci, missing_weight=missing_weight, pairing=pairing,
                       nondropout_penalty=nondropout_penalty)
    per = df.drop_duplicates("individual_id")["status"].value_counts().to_dict()
    info("catalog: " + ", ".join(f"{v} {k}" for k, v in per.items()) + " animal(s)")
    emit_table(df, out, to)


@catalog_group.command("merge")
@click.argument("catalog_a", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("catalog_b", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--labels", default="A,B", show_default=True, help="Names of the two catalogs, e.g. RU,MN.")
@out_option()
@to_option()
@click.option("--genotypes-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Merged catalog as a genotype file.")
@click.option("--max-mismatch", type=click.FloatRange(0), default=2, show_default=True)
@_match_options
def catalog_merge_cmd(catalog_a, catalog_b, labels, out, to, genotypes_out, max_mismatch, pairing, nondropout_penalty,
                      missing_weight, min_loci):
    """Merge two (national) catalogs and list the animals present in both."""
    from genetics.catalog import merge_catalogs

    la, _, lb = labels.partition(",")
    if not la or not lb:
        raise InputDataError("--labels needs two comma-separated names, e.g. RU,MN")
    a = _read_genotypes(catalog_a)
    b = _read_genotypes(catalog_b)
    df, merged = merge_catalogs(a, b, la, lb, max_mismatch, min_loci, missing_weight=missing_weight, pairing=pairing,
                                nondropout_penalty=nondropout_penalty)
    both = df[df["status"] == "both"]
    info(f"catalog: {len(df)} animals after merging, {len(both)} in both catalogs"
         + (": " + ", ".join(f"{x}={y}" for x, y in zip(both[f'name_{la}'], both[f'name_{lb}'])) if len(both) else ""))
    if genotypes_out is not None:
        from genetics.io.formats import write_genotypes

        write_genotypes(merged, genotypes_out)
        info(f"wrote {genotypes_out}")
    emit_table(df, out, to)


# ------------------------------------------------------------------------- recaptures
@click.command("recaptures")
@click.argument("samples", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--metadata", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Sample metadata CSV (sample_id,lon,lat,country,site,date); default: columns of SAMPLES.")
@out_option("One row per individual: detections, countries, dates, max distance, border crossings.")
@to_option()
@click.option("--detections-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="One row per identified sample with (generalised) coordinates.")
@click.option("--secr-capthist", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="secr capture file (Session ID Occasion Detector).")
@click.option("--secr-traps", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="secr traps file (Detector x y, metres in EPSG:6933).")
@click.option("--occasion-days", type=click.IntRange(1), default=None,
              help="Length of a secr sampling occasion in days (default: one occasion).")
@click.option("--generalize-km", type=click.FloatRange(min=0, min_open=True), default=5.0, show_default=True,
              help="Snap written coordinates to the centres of an N-km grid.")
@click.option("--precise-coordinates", is_flag=True, help="Write coordinates as given (sensitive: do not share).")
@click.option("--include-flagged", is_flag=True, help="Also use samples flagged multiple_match / too_few_loci.")
def recaptures_cmd(samples, metadata, out, to, detections_out, secr_capthist, secr_traps, occasion_days,
                   generalize_km, precise_coordinates, include_flagged):
    """Recaptures per individual in space and time, cross-border movements, secr capture histories."""
    from genetics.io.tables import read_table
    from genetics.recapture import detections_table, generalize_coordinates, individual_summary, secr_tables, write_secr

    s = read_table(samples, dtype={"sample_id": str, "individual_id": str})
    for col in ("sample_id", "individual_id"):
        if col not in s.columns:
            raise InputDataError(f"no {col} column (give the table written by 'bigcats genetics identify')", path=samples)
    if metadata is not None:
        from genetics.io.metadata import read_metadata

        md, _ = read_metadata(metadata)
        if len(s) and not set(s["sample_id"]) & set(md.index.astype(str)):
            raise InputDataError("no sample of the table is in the metadata file", path=metadata)
    else:
        md = s
    if not include_flagged and "status" in s.columns:
        dropped = int((s["status"] != "ok").sum())
        if dropped:
            info(f"recaptures: {dropped} flagged sample(s) left out (--include-flagged keeps them)")
        s = s[s["status"] == "ok"]
    det = detections_table(s, md)
    summary = individual_summary(det)
    km = None if precise_coordinates else generalize_km
    if detections_out is not None:
        d = det.copy()
        if km:
            d["lon"], d["lat"] = generalize_coordinates(d["lon"].to_numpy(), d["lat"].to_numpy(), km)
            d.insert(len(d.columns), "generalized_km", km)
        if "date" in d.columns:
            d["date"] = d["date"].dt.strftime("%Y-%m-%d")
        emit_table(d, detections_out)
    if secr_capthist is not None or secr_traps is not None:
        ch, tr = secr_tables(det, occasion_days=occasion_days, generalize_km=km)
        if secr_capthist is not None:
            write_secr(ch, secr_capthist)
            info(f"wrote {secr_capthist}")
        if secr_traps is not None:
            write_secr(tr, secr_traps)
            info(f"wrote {secr_traps}")
    xb = int(summary["cross_border"].sum())
    info(f"recaptures: {len(summary)} individuals, {int((summary['detections'] > 1).sum())} detected more than once, "
         f"{xb} in more than one country")
    emit_table(summary, out, to)


genetics_commands += [species_cmd, sex_cmd, consensus_cmd, identify_cmd, pid_cmd, catalog_group, recaptures_cmd]


# ------------------------------------------------------------------------- demo
def _run(cmd: click.Command, *args) -> None:
    cmd.main([str(a) for a in args], prog_name=f"bigcats genetics {cmd.name}", standalone_mode=False)


def _demo(outdir: Path, seed: int) -> None:
    """Scat DNA -> individuals on the SIMULATED snow leopard fixtures (8-scat border set, large set)."""
    from fixtures import fixture_path
    from genetics.identify import adjusted_rand_index

    d = outdir / "genetics"
    d.mkdir(parents=True, exist_ok=True)
    fx = lambda name: fixture_path("genetics", name)  # noqa: E731
    _run(species_cmd, fx("snow_leopard_scat_sequences.fasta"), "--references", fx("snow_leopard_references.fasta"),
         "--target", "Panthera uncia", "-o", d / "snow_leopard_species.csv")
    for name in ("snow_leopard", "snow_leopard_large"):
        p = lambda suffix: d / f"{name}_{suffix}"  # noqa: E731
        _run(consensus_cmd, fx(f"{name}_replicates.csv"), "-o", p("consensus.csv"), "--errors", p("errors.csv"))
        # consensus genotypes carry little error but some missing loci: count mismatches over
        # co-typed loci only (missing weight 0) and allow one
        _run(identify_cmd, p("consensus.csv"), "-o", p("samples.csv"), "--individuals-out", p("individuals.csv"),
             "--genotypes-out", p("individuals.gen"), "--profile", p("profile.csv"), "--sex-locus", "SRYsim",
             "--missing-weight", "0", "--max-mismatch", "1")
        _run(pid_cmd, p("individuals.gen"), "-o", p("pid.csv"))
        _run(recaptures_cmd, p("samples.csv"), "--metadata", fx(f"{name}_metadata.csv"), "-o", p("recaptures.csv"),
             "--detections-out", p("detections.csv"), "--secr-capthist", p("secr_capthist.txt"),
             "--secr-traps", p("secr_traps.txt"), "--occasion-days", "30", "--generalize-km", "5")
        s = pd.read_csv(p("samples.csv"), dtype=str)
        truth = pd.read_csv(fx(f"{name}_truth.csv"), dtype=str)
        m = s.merge(truth, on="sample_id")
        ok = m[m["status"] == "ok"]
        info(f"demo: {name}: {m['animal'].nunique()} simulated animals, {s['individual_id'].nunique()} identified; "
             f"adjusted Rand index vs truth {adjusted_rand_index(m['animal'], m['individual_id']):.3f} "
             f"(unflagged samples: {adjusted_rand_index(ok['animal'], ok['individual_id']):.3f})")
    _run(catalog_match_cmd, d / "snow_leopard_consensus.csv", "--catalog", fx("snow_leopard_catalog_RU.csv"),
         "--min-loci", "6", "-o", d / "snow_leopard_catalog_RU_matches.csv")
    _run(catalog_merge_cmd, fx("snow_leopard_catalog_RU.csv"), fx("snow_leopard_catalog_MN.csv"), "--labels", "RU,MN",
         "-o", d / "snow_leopard_catalog_merged.csv")


demo_steps.append(_demo)
