"""Species screening: synthetic fixture (always) and real felid/fox sequences in ../shared (skipped when absent)."""

from __future__ import annotations

import pandas as pd
import pytest

from fixtures import fixture_path
from genetics.species import SeqRecordLite, assign_species, read_sequences, species_label

SEQ = ("reference", "sequences")


def test_labels_from_headers():
    assert species_label(SeqRecordLite("KF990331.1", "KF990331.1 Uncia uncia haplotype Pu01 cytochrome b", "")) == "Panthera uncia"
    assert species_label(SeqRecordLite("MH124079_Panthera_tigris_altaica", "MH124079_Panthera_tigris_altaica", "")) == "Panthera tigris"
    assert species_label(SeqRecordLite("NC_028307_Felis_chaus", "NC_028307_Felis_chaus", "")) == "Felis chaus"
    assert species_label(SeqRecordLite("x", "x species=Vulpes vulpes", "")) == "Vulpes vulpes"


def test_synthetic_fixture_calls():
    refs = read_sequences(fixture_path("genetics", "snow_leopard_references.fasta"))
    qs = read_sequences(fixture_path("genetics", "snow_leopard_scat_sequences.fasta"))
    df = assign_species(qs, refs).set_index("sample_id")
    sl = [q.id for q in qs if q.id.startswith("SC")]
    assert (df.loc[sl, "species"] == "Panthera uncia").all() and (df.loc[sl, "status"] == "assigned").all()
    assert (df.loc[["FOX01", "FOX02"], "species"] == "Vulpes vulpes").all()
    assert df.loc["UNK01", "status"] == "no match"
    # reverse-complemented query is found too
    from Bio.Seq import Seq

    q = qs[0]
    rc = SeqRecordLite("rc", "", str(Seq(q.seq).reverse_complement()))
    assert assign_species([rc], refs).species[0] == "Panthera uncia"


def test_ambiguous_when_two_species_equally_close():
    refs = read_sequences(fixture_path("genetics", "snow_leopard_references.fasta"))
    a = refs[0]
    clone = SeqRecordLite("CLONE", "CLONE Felis catus copy", a.seq)
    q = SeqRecordLite("q", "", a.seq[100:500])
    df = assign_species([q], refs + [clone])
    assert df.status[0] == "ambiguous" and set(df.species[0].split(";")) == {"Panthera uncia", "Felis catus"}


def test_cli_species_and_bad_input(tmp_path, run_cli):
    out = tmp_path / "sp.csv"
    code, _, err = run_cli("genetics", "species", str(fixture_path("genetics", "snow_leopard_scat_sequences.fasta")),
                           "--references", str(fixture_path("genetics", "snow_leopard_references.fasta")),
                           "--target", "Panthera uncia", "-o", str(out))
    assert code == 0, err
    df = pd.read_csv(out)
    assert df["keep"].sum() == 8
    bad = tmp_path / "bad.fasta"
    bad.write_text(">a\nACGTQQ\n")
    code, _, err = run_cli("genetics", "species", str(bad), "--references",
                           str(fixture_path("genetics", "snow_leopard_references.fasta")))
    assert code == 1 and len(err.strip().splitlines()) == 1 and "non-nucleotide" in err
    notfasta = tmp_path / "x.fasta"
    notfasta.write_text("hello\n")
    code, _, err = run_cli("genetics", "species", str(notfasta), "--references", str(notfasta))
    assert code == 1 and "FASTA" in err


@pytest.mark.shared
def test_leave_one_out_big_cats_cytb(shared):
    """400-bp cytb fragments of each Panthera record, its own record left out, assign to its species."""
    refs = read_sequences(shared(*SEQ, "felidae_CYTB_Mol_Phyl_2021.fasta"))
    targets = [r for r in refs if species_label(r) in ("Panthera uncia", "Panthera tigris", "Panthera pardus")]
    assert len(targets) >= 8
    for r in targets:
        others = [o for o in refs if o.id != r.id]
        q = SeqRecordLite(r.id, "", r.seq[300:700])
        df = assign_species([q], others)
        assert df.status[0] == "assigned" and df.species[0] == species_label(r), (r.id, df.iloc[0].to_dict())


@pytest.mark.shared
def test_snow_leopard_vs_red_fox_real_cytb(shared):
    """The scat question of Janecka et al. 2008: snow leopard or red fox?"""
    felids = read_sequences(shared(*SEQ, "felidae_CYTB_Mol_Phyl_2021.fasta"))
    hyb = read_sequences(shared(*SEQ, "mtDNA_felidae_hybsearch.fasta"))
    foxes = read_sequences(shared(*SEQ, "mtDNA_vulpes_hybsearch.fasta"))
    uncia = next(r for r in hyb if r.id.startswith("KF990331"))  # Uncia uncia haplotype Pu01
    vv = [r for r in foxes if species_label(r) == "Vulpes vulpes" and "cytochrome b" in r.description and len(r.seq) > 600]
    assert vv
    fox_ref, fox_q = vv[0], vv[-1]
    refs = felids + [fox_ref]
    qs = [SeqRecordLite("uncia", "", uncia.seq[100:500]), SeqRecordLite("fox", "", fox_q.seq[50:450])]
    df = assign_species(qs, refs).set_index("sample_id")
    assert df.loc["uncia", "species"] == "Panthera uncia"
    assert df.loc["fox", "species"] == "Vulpes vulpes"
    # without a fox reference the fox scat is not forced onto a cat
    df2 = assign_species(qs[1:], felids)
    assert df2.status[0] == "no match"


def test_identify_keeps_only_target_species(tmp_path, run_cli):
    assert run_cli("genetics", "consensus", str(fixture_path("genetics", "snow_leopard_replicates.csv")),
                   "-o", str(tmp_path / "c.csv"))[0] == 0
    keep = tmp_path / "sp.csv"
    keep.write_text("sample_id,keep\nSC001,False\nSC002,True\nSC003,True\nFOX01,False\n")
    code, out, err = run_cli("genetics", "identify", str(tmp_path / "c.csv"), "--keep", str(keep),
                             "--missing-weight", "0", "--max-mismatch", "1")
    assert code == 0, err
    from io import StringIO

    s = pd.read_csv(StringIO(out))
    assert list(s.sample_id) == ["SC002", "SC003"]
    bad = tmp_path / "bad.csv"
    bad.write_text("sample_id,status\nSC001,x\n")
    code, _, err = run_cli("genetics", "identify", str(tmp_path / "c.csv"), "--keep", str(bad))
    assert code == 1 and "keep" in err


def test_abi_traces_are_read_and_assigned(tmp_path, run_cli):
    """ABI traces (.ab1) via Bio.SeqIO: base calls with low-quality ends trimmed (Mott's
    algorithm, Bio.SeqIO 'abi-trim'); a trace without a sample name is named after its file."""
    from abif import write_abif

    refs = read_sequences(fixture_path("genetics", "snow_leopard_references.fasta"))
    qs = {q.id: q for q in read_sequences(fixture_path("genetics", "snow_leopard_scat_sequences.fasta"))}
    sl, fox = qs["SC01"] if "SC01" in qs else next(q for k, q in qs.items() if k.startswith("SC")), qs["FOX01"]
    folder = tmp_path / "traces"
    folder.mkdir()
    junk = "NNGTNNANNTG"  # noisy, low-quality ends a basecaller leaves on a trace
    for name, rec, sample in [("a.ab1", sl, "SCAT-A"), ("b.ab1", fox, None)]:
        bases = junk + rec.seq + junk
        quals = [3] * len(junk) + [40] * len(rec.seq) + [3] * len(junk)
        write_abif(folder / name, bases, quals, sample)
    got = read_sequences(folder)
    assert [g.id for g in got] == ["SCAT-A", "b"]
    assert got[0].seq.find(sl.seq[20:80]) >= 0 and len(got[0].seq) <= len(sl.seq) + 4
    df = assign_species(got, refs).set_index("sample_id")
    assert df.loc["SCAT-A", "species"] == "Panthera uncia" and df.loc["b", "species"] == "Vulpes vulpes"
    code, _, err = run_cli("genetics", "species", str(folder), "--references",
                           str(fixture_path("genetics", "snow_leopard_references.fasta")), "-o", str(tmp_path / "s.csv"))
    assert code == 0, err
    # a trace without quality values is read untrimmed; a broken one is a one-line error
    write_abif(folder / "c.ab1", sl.seq, None, "NOQ")
    assert read_sequences(folder / "c.ab1")[0].seq == sl.seq
    (folder / "d.ab1").write_bytes(b"ABIF\x00")
    code, _, err = run_cli("genetics", "species", str(folder / "d.ab1"), "--references",
                           str(fixture_path("genetics", "snow_leopard_references.fasta")))
    assert code == 1 and len(err.strip().splitlines()) == 1 and "d.ab1" in err
