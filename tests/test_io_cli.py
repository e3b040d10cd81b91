"""`bigcats genetics convert` / `summary` and the genotype-files demo step."""

from __future__ import annotations

import json

import pandas as pd

from cli.genotype_files import demo_steps
from fixtures import fixture_path
from genetics.io.formats import read_genotypes, sniff_format

GEN = fixture_path("genetics", "leopard_sim.gen")
META = fixture_path("genetics", "leopard_sim_metadata.csv")


def test_fixture_is_labelled_simulated():
    assert GEN.read_text().startswith("SIMULATED")
    g = read_genotypes(GEN)
    assert (g.n_samples, g.n_loci, len(g.population_names)) == (36, 8, 3)


def test_convert_by_extension_and_to(tmp_path, run_cli):
    ref = read_genotypes(GEN)
    for name, to, fmt in [("a.str", None, "structure"), ("a.csv", None, "long"),
                          ("b.csv", "genalex", "genalex"), ("c.csv", "wide", "wide"),
                          ("d.gen", None, "genepop"), ("e.txt", "structure", "structure")]:
        out = tmp_path / name
        args = ["genetics", "convert", str(GEN), str(out)] + (["--to", to] if to else [])
        code, _, err = run_cli(*args)
        assert code == 0, err
        assert sniff_format(out) == fmt
        g = read_genotypes(out)
        pos = {s: i for i, s in enumerate(g.samples)}
        assert (g.alleles[[pos[s] for s in ref.samples]] == ref.alleles).all()


def test_convert_with_metadata_and_from(tmp_path, run_cli):
    out = tmp_path / "gx.csv"
    code, _, err = run_cli("genetics", "convert", str(GEN), str(out), "--to", "genalex",
                           "--metadata", str(META), "--from", "genepop")
    assert code == 0, err
    g = read_genotypes(out)
    md = pd.read_csv(META).set_index("sample_id")
    assert (g.metadata["lat"] == md.loc[list(g.samples), "lat"].to_numpy()).all()


def test_convert_errors_are_one_line(tmp_path, run_cli):
    code, _, err = run_cli("genetics", "convert", str(GEN), str(tmp_path / "x.xyz"))
    assert code == 1 and err.startswith("bigcats: error: ") and len(err.strip().splitlines()) == 1
    bad = tmp_path / "meta.csv"
    bad.write_text("sample_id,lon,lat\nPPO-001,131,43\nNOPE,131,43\n")
    code, _, err = run_cli("genetics", "convert", str(GEN), str(tmp_path / "x.csv"), "--metadata", str(bad))
    assert code == 1 and "meta.csv:3: sample 'NOPE'" in err and "Traceback" not in err
    code, _, err = run_cli("genetics", "summary", str(tmp_path / "absent.gen"))
    assert code == 1 and "absent.gen" in err
    code, _, err = run_cli("genetics", "convert", str(GEN), str(GEN))
    assert code == 2


def test_summary_outputs(tmp_path, run_cli):
    code, out, err = run_cli("genetics", "summary", str(GEN))
    assert code == 0
    assert "36 samples, 8 loci, 3 populations" in err and "3 half-missing" in err
    loci = out.strip().splitlines()
    assert len(loci) == 9 and loci[0].startswith("locus,n_alleles")
    code, out, _ = run_cli("genetics", "summary", str(GEN), "--by-sample", "--to", "json")
    rows = json.loads(out)
    assert len(rows) == 36 and set(rows[0]) == {"sample_id", "population", "n_typed", "n_missing",
                                                 "missing_fraction"}
    target = tmp_path / "pops.tsv"
    code, _, _ = run_cli("genetics", "summary", str(GEN), "--by-population", "-o", str(target))
    assert code == 0
    t = pd.read_csv(target, sep="\t")
    assert t["n_samples"].sum() == 36
    code, out, _ = run_cli("genetics", "summary", str(GEN), "--totals")
    assert out.splitlines()[0] == "n_samples,n_loci,n_populations,n_alleles,missing_fraction"
    assert out.splitlines()[1].startswith("36,8,3,45,")


def test_demo_step(tmp_path):
    for step in demo_steps:
        step(tmp_path, 1)
    loci = pd.read_csv(tmp_path / "genetics" / "summary_loci.csv")
    assert len(loci) == 8
    long = read_genotypes(tmp_path / "genetics" / "leopard_sim_long.csv")
    assert long.same_genotypes(read_genotypes(tmp_path / "genetics" / "leopard_sim_genalex.csv"))


def test_wide_column_options(tmp_path, run_cli):
    p = tmp_path / "y.csv"
    p.write_text("id,pop,year,A_1,A_2\ns1,3,2019,120,124\ns2,4,2020,118,0\n")
    code, _, err = run_cli("genetics", "summary", str(p))
    assert code == 1 and "odd number of allele columns" in err
    code, out, err = run_cli("genetics", "summary", str(p), "--meta-cols", "year", "--by-sample")
    assert code == 0, err
    assert out.splitlines()[1:] == ["s1,3,1,0,0", "s2,4,0,1,1"]
    out_file = tmp_path / "y.str"
    code, _, err = run_cli("genetics", "convert", str(p), str(out_file), "--meta-cols", "2,3",
                           "--pop-col", "none", "--id-col", "1")
    assert code == 0, err
    g = read_genotypes(out_file)
    assert g.populations == ("", "") and g.loci == ("A",)
    code, _, err = run_cli("genetics", "summary", str(GEN), "--pop-col", "2")
    assert code == 2 and "wide" in err


def test_reader_options_checked():
    import pytest

    from genetics.errors import InputDataError

    with pytest.raises(InputDataError, match="does not apply"):
        read_genotypes(GEN, "genepop", meta_cols=["x"])
