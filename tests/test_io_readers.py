"""Unit tests of each genotype reader/writer on small hand-written files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genetics.errors import InputDataError
from genetics.io.formats import read_genotypes, sniff_format, write_genotypes
from genetics.io.genalex import read_genalex
from genetics.io.genepop import read_genepop
from genetics.io.long import read_long, read_replicates
from genetics.io.metadata import attach_metadata
from genetics.io.structure import read_structure
from genetics.io.vcf import read_vcf
from genetics.io.wide import locus_from_pair, read_wide
from genetics.model import MISSING, Genotypes
from genetics.summary import locus_table, overview, population_table, sample_table


def w(tmp_path, name: str, text: str | bytes):
    p = tmp_path / name
    (p.write_bytes if isinstance(text, bytes) else p.write_text)(text)
    return p


# ------------------------------------------------------------------ GenePop
def test_genepop_two_digit_comma_loci_and_trailing_spaces(tmp_path):
    p = w(tmp_path, "a.gen", "two-digit example\r\nA,B\r\nPOP\r\nind1   , 0102 0303\r\n"
                             "ind2 ,0000 0104\r\npop\r\nind3 , 0201 0003\r\n")
    g = read_genepop(p)
    assert g.samples == ("ind1", "ind2", "ind3")
    assert g.loci == ("A", "B")
    assert g.populations == ("pop1", "pop1", "pop2")
    assert g.alleles[:, 0].tolist() == [[1, 2], [MISSING, MISSING], [1, 2]]  # sorted
    assert g.alleles[:, 1].tolist() == [[3, 3], [1, 4], [MISSING, MISSING]]  # 0003 half-missing
    assert g.notes and g.notes[0].startswith("1 half-missing")


def test_genepop_three_digit_named_pops_and_missing_tokens(tmp_path):
    p = w(tmp_path, "b.gen", "t\nfca8\nfca23\nPop north\nS1 , 120124 000000\nS2 , 0 130132\n"
                             "Pop\nS3 , 118118 130130\n")
    g = read_genepop(p)
    assert g.population_names == ("north", "pop2")
    assert g.missing.tolist() == [[False, True], [True, False], [False, False]]
    assert g.alleles[2].tolist() == [[118, 118], [130, 130]]


def test_genepop_writer_limits(tmp_path):
    g = Genotypes.from_arrays(np.array([[[1000, 1002]]]), ["s"], ["L"])
    with pytest.raises(InputDataError, match="3-digit"):
        write_genotypes(g, tmp_path / "x.gen")
    g = Genotypes.from_arrays(np.array([[[100, 102]]]), ["s,1"], ["L"])
    with pytest.raises(InputDataError, match="comma"):
        write_genotypes(g, tmp_path / "x.gen")
    assert not (tmp_path / "x.gen").exists()  # atomic: nothing left behind


def test_genepop_writer_layout(tmp_path):
    g = Genotypes.from_arrays(np.array([[[5, 120]], [[0, 0]], [[7, 7]]]), ["a", "b", "c"], ["L1"],
                              ["y", "x", "y"])
    write_genotypes(g, tmp_path / "o.gen")
    text = (tmp_path / "o.gen").read_text().splitlines()
    assert text[1:] == ["L1", "Pop", "a , 005120", "c , 007007", "Pop", "b , 000000"]


# ------------------------------------------------------------------ GenAlEx
GENALEX = ("2,3,2,2,1,,,\nexample,,,P1,P2,,,\nSample,Pop,A,,B,,,X,Y\n"
           "s1,P1,120,124,130,132,,131.5,43.2\ns2,P1,0,0,130,130,,131.6,43.3\n,,,,,,,,\n"
           "s3,P2,124,124,-9,132,,131.7,43.4\n")


def test_genalex_coordinates_and_padding(tmp_path):
    p = w(tmp_path, "g.csv", GENALEX)
    assert sniff_format(p) == "genalex"
    g = read_genalex(p)
    assert g.samples == ("s1", "s2", "s3") and g.populations == ("P1", "P1", "P2")
    assert g.loci == ("A", "B")
    assert g.missing.tolist() == [[False, False], [True, False], [False, True]]
    assert g.metadata["lon"].tolist() == [131.5, 131.6, 131.7]
    assert g.metadata["lat"].tolist() == [43.2, 43.3, 43.4]
    out = tmp_path / "o.csv"
    write_genotypes(g, out, "genalex")
    h = read_genotypes(out)
    assert h.same_genotypes(g)
    assert h.metadata["lat"].tolist() == [43.2, 43.3, 43.4]


def test_genalex_projected_xy_stay_xy(tmp_path):
    p = w(tmp_path, "g.csv", GENALEX.replace("131.5,43.2", "512000,4780000"))
    g = read_genalex(p)
    assert list(g.metadata.columns) == ["x", "y"]


# ------------------------------------------------------------------ long + replicates
def test_long_reader_fills_missing_and_keeps_metadata(tmp_path):
    p = w(tmp_path, "l.csv", "sample_id,population,site,locus,allele_1,allele_2\n"
                             "S1,P1,k1,A,124,120\nS1,P1,k1,B,0,0\nS2,P2,,A,118,118\nS2,P2,k2,A,118,118\n")
    g = read_long(p)
    assert g.loci == ("A", "B")
    assert g.alleles.tolist() == [[[120, 124], [-1, -1]], [[118, 118], [-1, -1]]]
    assert g.populations == ("P1", "P2")
    assert g.metadata["site"].tolist() == ["k1", "k2"]
    with pytest.raises(InputDataError) as e:
        read_long(p, loci=["A"])
    assert e.value.line == 3 and "unknown locus" in str(e.value)
    g2 = read_long(p, loci=["B", "A", "C"])
    assert g2.loci == ("B", "A", "C") and g2.missing[:, 2].all()


def test_read_replicates(tmp_path):
    p = w(tmp_path, "r.csv", "sample_id,replicate,locus,allele_1,allele_2,population\n"
                             "S1,a,L1,120,124,P\nS1,a,L2,0,0,P\nS1,b,L1,124,120,P\nS1,c,L1,120,120,P\n"
                             "S2,1,L2,88,0,Q\nS2,1,L2,88,0,Q\n")
    r = read_replicates(p)
    assert r.alleles.shape == (2, 3, 2, 2)
    assert r.alleles[0, :, 0].tolist() == [[120, 124], [120, 124], [120, 120]]
    assert r.alleles[1, 0, 1].tolist() == [MISSING, MISSING]  # half-missing call
    assert r.n_runs.tolist() == [[3, 1], [0, 1]]
    assert r.metadata["population"].tolist() == ["P", "Q"]
    with pytest.raises(InputDataError, match="replicates"):
        read_long(p)
    with pytest.raises(InputDataError) as e:
        read_replicates(p, loci=["L1"])
    assert e.value.line == 3


# ------------------------------------------------------------------ wide
def test_wide_whole_token_missing_codes(tmp_path):
    p = w(tmp_path, "w.csv", "id,L1a,L1b,L2a,L2b,L3a,L3b,L4a,L4b\n"
                             "s1,120,100,0,0,-99,-99,NA,\ns2,000,-9,101,110,1200,1200,90,90\n")
    g = read_wide(p)
    assert g.loci == ("L1", "L2", "L3", "L4")
    assert g.alleles[0, 0].tolist() == [100, 120]
    assert g.missing.tolist() == [[False, True, True, True], [True, False, False, False]]
    assert g.alleles[1, 2].tolist() == [1200, 1200]


def test_wide_headerless_integer_pop_and_cr_endings(tmp_path):
    p = w(tmp_path, "w.txt", b"a 1 120 124 130 130\rb 2 118 120 0 0\rc 1 120 120 132 130\r")
    g = read_genotypes(p)
    assert g.samples == ("a", "b", "c") and g.populations == ("1", "2", "1")
    assert g.loci == ("L1", "L2")
    assert g.alleles[2, 1].tolist() == [130, 132]


def test_wide_metadata_sniffing_and_explicit_columns(tmp_path):
    p = w(tmp_path, "w.csv", "sampleId,samplingData,sex,LOC1a,LOC1b\n"
                             "x1,Jan-2004,F,382,384\nx2,Feb-2004,-99,-99,-99\n")
    g = read_wide(p)
    assert list(g.metadata.columns) == ["samplingData", "sex"]
    assert g.metadata["sex"].isna().tolist() == [False, True]
    assert g.populations == ("", "")
    p2 = w(tmp_path, "w2.csv", "id,pop,year,A_1,A_2\ns1,3,2019,120,124\ns2,4,2020,118,118\n")
    with pytest.raises(InputDataError, match="odd number"):
        read_wide(p2)
    g2 = read_wide(p2, meta_cols=["year"], pop_col="pop")
    assert g2.populations == ("3", "4") and g2.metadata["year"].tolist() == ["2019", "2020"]
    assert g2.loci == ("A",)
    g3 = read_wide(p2, id_col="year", pop_col=False, meta_cols=["id", "pop"])
    assert g3.samples == ("2019", "2020")


def test_wide_slash_semicolon(tmp_path):
    p = w(tmp_path, "s.csv", "id;population;fca8;fca23\nN1;P01;;136/146\nN2;P02;120|122;0/0\nN3;P02;0/120;140/136\n")
    g = read_genotypes(p)
    assert g.loci == ("fca8", "fca23") and g.populations == ("P01", "P02", "P02")
    assert g.missing.tolist() == [[True, False], [False, True], [True, False]]
    assert g.alleles[2, 1].tolist() == [136, 140]


@pytest.mark.parametrize("a,b,loc", [
    ("LOC1a", "LOC1b", "LOC1"), ("fca8_1", "fca8_2", "fca8"), ("X5.alleles", "X5.alleles.1", "X5.alleles"),
    ("Loc1", "", "Loc1"), ("F53.1", "F53.2", "F53"), ("A1", "A2", "A"), ("L1_", "L1_", "L1_")])
def test_locus_from_pair(a, b, loc):
    assert locus_from_pair(a, b) == loc


# ------------------------------------------------------------------ STRUCTURE
def test_structure_layouts(tmp_path):
    two = w(tmp_path, "a.str", "A B\nx 1 120 -9\nx 1 124 -9\ny 2 118 130\ny 2 118 132\n")
    g = read_structure(two)
    assert g.populations == ("1", "2") and g.loci == ("A", "B")
    assert g.alleles.tolist() == [[[120, 124], [-1, -1]], [[118, 118], [130, 132]]]
    one = w(tmp_path, "b.str", "x 1 120 124 -9 -9\ny 2 118 118 130 132\n")
    h = read_genotypes(one)
    assert np.array_equal(h.alleles, g.alleles) and h.populations == ("1", "2")
    assert h.loci == ("L1", "L2")  # no header: loci unnamed
    nopop = w(tmp_path, "c.txt", "x 120 -9\nx 124 -9\ny 118 130\ny 118 132\n")
    assert sniff_format(nopop) == "structure"
    k = read_genotypes(nopop)
    assert np.array_equal(k.alleles, g.alleles) and k.populations == ("", "")
    withpop = w(tmp_path, "d.txt", "x 1 120 -9\nx 1 124 -9\ny 2 118 130\ny 2 118 132\n")
    assert read_genotypes(withpop).populations == ("1", "2")


def test_structure_writer_two_row(tmp_path):
    g = Genotypes.from_arrays(np.array([[[120, 124], [0, 0]]]), ["x"], ["A", "B"], ["north"])
    write_genotypes(g, tmp_path / "o.str")
    assert (tmp_path / "o.str").read_text() == "A B\nx 1 120 -9\nx 1 124 -9\n"


# ------------------------------------------------------------------ VCF
VCF = ("##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
       "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\n"
       "1\t100\trs1\tA\tG\t.\tPASS\t.\tGT\t0/1\t1|1\t./.\n"
       "2\t200\t.\tC\tT,G\t.\tPASS\t.\tGT:DP\t0/2:5\t0/0:3\t1/0:7\n")


def test_vcf_indices_become_sizes(tmp_path):
    p = w(tmp_path, "v.vcf", VCF)
    assert sniff_format(p) == "vcf"
    g = read_vcf(p)
    assert g.samples == ("A", "B", "C") and g.loci == ("rs1", "2:200")
    assert g.alleles.tolist() == [[[1, 2], [1, 3]], [[2, 2], [1, 1]], [[-1, -1], [1, 2]]]


# ------------------------------------------------------------------ metadata
def test_metadata_join_and_errors(tmp_path):
    g = Genotypes.from_arrays(np.ones((2, 1, 2), int) * 120, ["s1", "s2"], ["A"], ["p", "p"])
    m = w(tmp_path, "m.csv", "sample_id,Longitude,lat,site,population\ns2,131.2,43.1,k,south\n")
    h = attach_metadata(g, m)
    assert np.isnan(h.metadata.loc["s1", "lon"]) and h.metadata.loc["s2", "lon"] == 131.2
    assert h.populations == ("p", "south")
    bad = w(tmp_path, "b.csv", "sample_id,lon,lat\ns1,131,43\ns9,131,43\n")
    with pytest.raises(InputDataError) as e:
        attach_metadata(g, bad)
    assert e.value.line == 3 and "s9" in str(e.value)
    dup = w(tmp_path, "d.csv", "sample_id,lon,lat\ns1,131,43\ns1,131,43\n")
    with pytest.raises(InputDataError) as e:
        attach_metadata(g, dup)
    assert e.value.line == 3
    lat = w(tmp_path, "l.csv", "id,lon,lat\ns1,131,143\n")
    with pytest.raises(InputDataError) as e:
        attach_metadata(g, lat)
    assert e.value.line == 2


# ------------------------------------------------------------------ summary
def test_summary_tables_by_hand():
    raw = np.array([[[120, 124], [0, 0]], [[120, 120], [88, 90]], [[126, 0], [90, 90]]])
    g = Genotypes.from_arrays(raw, ["a", "b", "c"], ["L1", "L2"], ["P", "P", "Q"])
    lt = locus_table(g)
    assert lt["n_alleles"].tolist() == [2, 2]  # 126 is half-missing -> dropped
    assert lt["n_missing"].tolist() == [1, 1]
    assert lt["missing_fraction"].tolist() == pytest.approx([1 / 3, 1 / 3])
    st = sample_table(g)
    assert st["n_typed"].tolist() == [1, 2, 1]
    pt = population_table(g)
    assert pt.to_dict("list") == {"population": ["P", "Q"], "n_samples": [2, 1],
                                  "missing_fraction": [0.25, 0.5]}
    ov = overview(g)
    assert (ov["n_samples"], ov["n_loci"], ov["n_populations"], ov["n_alleles"]) == (3, 2, 2, 4)
    assert isinstance(pd.DataFrame([ov]), pd.DataFrame)


def test_wide_excel_padding(tmp_path):
    p = w(tmp_path, "pad.csv", "id,pop,L1,,L2,,,,\ns1,p,120,124,,,,,\ns2,p,120,120,,,,,\n")
    g = read_wide(p)  # L2 all missing; the padding after it is dropped
    assert g.loci == ("L1", "L2") and g.missing[:, 1].all()
    p2 = w(tmp_path, "pad2.csv", "id,pop,L1a,L1b,,,\ns1,p,120,124,,,\ns2,p,120,120,,,\n")
    assert read_wide(p2).loci == ("L1",)


def test_genepop_manual_features(tmp_path):
    """Mixed 2/3-digit loci, individuals over several lines, blank identifiers (Genepop manual)."""
    p = w(tmp_path, "m.gen", "Title line\nADH Locus 1\nADH #2\nADH three\nPop\n"
                             "Grange des Peres  ,  0201 003003\n   0102\n"
                             " , 0202 003001 0000\nPOP\nTertre Roteboeuf ,  0102\n002002 0201\n")
    g = read_genepop(p)
    assert g.loci == ("ADH Locus 1", "ADH #2", "ADH three")
    assert g.samples == ("Grange des Peres", "ind2", "Tertre Roteboeuf")
    assert g.alleles.tolist() == [[[1, 2], [3, 3], [1, 2]], [[2, 2], [1, 3], [-1, -1]],
                                  [[1, 2], [2, 2], [1, 2]]]
    bad = w(tmp_path, "b.gen", "t\nA\nB\nPop\ns1 , 0101\n0202 0303\n")
    with pytest.raises(InputDataError) as e:
        read_genepop(bad)
    assert e.value.line == 6 and "more genotypes than loci" in str(e.value)
