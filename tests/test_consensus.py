"""Multiple-tubes consensus, error rates (Broquet & Petit 2004), quality index, CLI errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genetics.consensus import CALLS, consensus_genotypes, error_rates
from genetics.model import MISSING
from genetics.scat_sim import simulate_scats, true_genotypes_of
from genetics.simulate import panel_with_diversity

M = MISSING


def _one(reps, k=2, m=3, n_runs=None):
    x = np.array(reps, dtype=np.int32).reshape(1, len(reps), 1, 2)
    nr = None if n_runs is None else np.array([[n_runs]])
    r = consensus_genotypes(x, nr, k, m)
    return tuple(r.alleles[0, 0]), CALLS[r.call[0, 0]], r


def test_rules_by_hand():
    assert _one([(100, 104), (100, 104), (100, 100)])[:2] == ((100, 104), "het")
    assert _one([(100, 104), (104, 104), (100, 100)])[:2] == ((100, 104), "het")  # each allele in 2 reps
    assert _one([(100, 104), (104, 104), (104, 104)])[:2] == ((M, M), "unresolved")  # 100 seen once
    assert _one([(100, 100), (100, 100), (100, 100)])[:2] == ((100, 100), "hom")
    assert _one([(100, 100), (100, 100), (M, M)])[:2] == ((M, M), "unresolved")
    assert _one([(100, 100), (100, 100), (M, M)], m=2)[:2] == ((100, 100), "hom")
    assert _one([(100, 104), (100, 108), (104, 108)])[:2] == ((M, M), "conflict")
    assert _one([(M, M), (M, M), (M, M)])[:2] == ((M, M), "failed")
    # padding beyond n_runs is ignored
    assert _one([(100, 100), (100, 100), (100, 100), (104, 104)], n_runs=3)[:2] == ((100, 100), "hom")


def test_error_counts_and_qi_by_hand():
    # consensus 100/104 from 4 replicates: one dropout, one false allele, one failure
    x = np.array([(100, 104), (100, 100), (100, 112), (M, M)], dtype=np.int32).reshape(1, 4, 1, 2)
    cons = np.array([[[100, 104]]], dtype=np.int32)
    e = error_rates(x, cons)
    assert e["positive"][0, 0] == 3 and e["het_positive"][0, 0] == 3
    assert e["dropouts"][0, 0] == 1 and e["false_alleles"][0, 0] == 1
    r = consensus_genotypes(x, None, 1, 1)
    # with k=1 the false allele 112 is accepted too: three alleles -> conflict
    assert CALLS[r.call[0, 0]] == "conflict"
    r = consensus_genotypes(x, None, 2, 3)
    assert CALLS[r.call[0, 0]] == "unresolved"  # 104 and 112 seen once
    x2 = np.array([(100, 104), (100, 104), (100, 100), (M, M)], dtype=np.int32).reshape(1, 4, 1, 2)
    r2 = consensus_genotypes(x2, None, 2, 3)
    assert tuple(r2.alleles[0, 0]) == (100, 104)
    assert r2.quality_index[0] == pytest.approx(2 / 4)  # Miquel et al.: agreeing / replicates run


def test_simulated_rates_recovered():
    panel = panel_with_diversity(14, 6, 0.65, rng=3)
    sv = simulate_scats(panel, n_founders=40, n_litters=20, dropout=0.15, false_allele=0.02, failure=0.08, rng=3)
    rep = sv.replicates
    res = consensus_genotypes(rep.alleles, rep.n_runs, 2, 3)
    truth = true_genotypes_of(sv).alleles
    typed = res.alleles[..., 0] != MISSING
    wrong = (res.alleles != truth).any(-1) & typed
    assert wrong.sum() / typed.sum() < 0.01
    # error rates measured against the true genotypes = the simulated ones
    e = error_rates(rep.alleles, truth, rep.n_runs)
    assert e["dropouts"].sum() / e["het_positive"].sum() == pytest.approx(0.15, abs=0.02)
    assert 1 - e["positive"].sum() / e["runs"].sum() == pytest.approx(0.08, abs=0.01)
    # a false allele can hit the other true allele, so the observed rate is a bit lower
    fa = e["false_alleles"].sum() / e["typed_positive"].sum()
    assert 0.01 < fa <= 0.025


def _write(tmp_path, text, name="reps.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


GOOD = """sample_id,locus,allele_1,allele_2,replicate
S1,L1,100,104,1
S1,L1,100,104,2
S1,L1,100,100,3
S1,L2,200,200,1
S1,L2,200,200,2
S1,L2,200,200,3
S2,L1,104,104,1
S2,L1,0,0,2
S2,L2,200,204,1
S2,L2,200,204,2
"""


def test_cli_consensus(tmp_path, run_cli):
    src = _write(tmp_path, GOOD)
    code, out, err = run_cli("genetics", "consensus", str(src), "-o", str(tmp_path / "c.csv"),
                             "--errors", str(tmp_path / "e.csv"))
    assert code == 0, err
    c = pd.read_csv(tmp_path / "c.csv")
    assert list(c.columns) == ["sample_id", "locus", "allele_1", "allele_2"]
    got = {(r.sample_id, r.locus): (r.allele_1, r.allele_2) for r in c.itertuples()}
    assert got == {("S1", "L1"): (100, 104), ("S1", "L2"): (200, 200), ("S2", "L1"): (0, 0), ("S2", "L2"): (200, 204)}
    e = pd.read_csv(tmp_path / "e.csv")
    s1 = e[(e.level == "sample") & (e.name == "S1")].iloc[0]
    assert s1.dropouts == 1 and s1.quality_index == pytest.approx((2 / 3 + 1) / 2)
    # the consensus is a genotype file the other verbs read
    code, out, err = run_cli("genetics", "pid", str(tmp_path / "c.csv"))
    assert code == 0, err


@pytest.mark.parametrize("text,needle", [
    (GOOD + "S1,L1,100,108,1\n", "reps.csv:12:"),  # conflicting row for S1/L1/replicate 1
    ("sample_id,locus,allele_1,allele_2,allele_3,replicate\nS1,L1,100,104,108,1\n", "reps.csv:2:"),  # triploid
    ("sample_id,locus,allele_1,replicate\nS1,L1,100,1\n", "allele_2"),  # not diploid
    (GOOD.replace("S2,L2,200,204,2", "S2,L2,2x0,204,2"), "reps.csv:11:"),
])
def test_cli_bad_replicate_files(tmp_path, run_cli, text, needle):
    src = _write(tmp_path, text)
    code, out, err = run_cli("genetics", "consensus", str(src), "-o", str(tmp_path / "c.csv"))
    assert code == 1
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert len(lines) == 1 and lines[0].startswith("bigcats: error:"), err
    assert needle in lines[0]
    assert not (tmp_path / "c.csv").exists()


def test_cli_unknown_locus(tmp_path, run_cli):
    src = _write(tmp_path, GOOD + "S2,L9,100,100,1\n")
    code, out, err = run_cli("genetics", "consensus", str(src), "--loci", "L1,L2", "-o", str(tmp_path / "c.csv"))
    assert code == 1 and "L9" in err and len(err.strip().splitlines()) == 1
