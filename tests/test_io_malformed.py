"""Every malformed genotype file gives one error line naming the file (and line), exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from genetics.errors import InputDataError
from genetics.io.formats import read_genotypes

MALFORMED = Path(__file__).parent / "data" / "malformed"

# file -> line the error must name (None: the problem is the whole file)
EXPECTED_LINE = {
    "binary_nul.gen": 4, "blank_lines_only.csv": None, "empty.gen": None,
    "gp_duplicate_locus.gen": 2, "gp_duplicate_sample.gen": 7, "gp_empty_pop.gen": 6,
    "gp_five_digits.gen": 5, "gp_haploid.gen": 5, "gp_missing_comma.gen": 6,
    "gp_dash_genotype.gen": 6, "gp_no_loci.gen": 2, "gp_no_pop.gen": 4, "gp_nonnumeric.gen": 6,
    "gp_too_few_genotypes.gen": 6, "gp_too_many_genotypes.gen": 4, "gp_triploid.gen": 5,
    "gp_two_commas.gen": 5, "gx_bad_lat.csv": 5, "gx_loci_count.csv": 3,
    "gx_nonnumeric_allele.csv": 5, "gx_pop_block.csv": 5, "gx_pop_sizes_sum.csv": 1,
    "gx_sample_count.csv": 5, "gx_short_row.csv": 5, "latin1_bytes.csv": 3,
    "long_conflict_duplicate.csv": 4, "long_conflict_replicate.csv": 4,
    "long_missing_allele2.csv": 1, "long_nonnumeric.csv": 3, "long_pop_conflict.csv": 3,
    "long_third_allele.csv": 3, "long_wrong_columns.csv": 3, "str_header_mismatch.str": 1,
    "str_nonnumeric.str": 3, "str_three_rows.str": 5, "vcf_haploid.vcf": 4,
    "vcf_no_chrom_line.vcf": 2, "vcf_triploid.vcf": 3, "wide_cr_only_bad.txt": 2,
    "wide_duplicate_ids.txt": 3, "wide_header_only.csv": 1, "wide_negative_allele.csv": 3,
    "wide_nonnumeric_allele.csv": 3, "wide_odd_columns.csv": 1,
    "wide_slash_single_allele.csv": 3, "wide_slash_triploid.csv": 3,
    "wide_wrong_column_count.csv": 3,
}


def test_every_malformed_file_has_an_expectation():
    files = sorted(p.name for p in MALFORMED.iterdir())
    assert len(files) >= 30
    assert files == sorted(EXPECTED_LINE)


@pytest.mark.parametrize("name", sorted(EXPECTED_LINE))
def test_cli_summary_one_line_error(name, run_cli):
    path = MALFORMED / name
    code, out, err = run_cli("genetics", "summary", str(path))
    assert code == 1, (out, err)
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("bigcats: error: ")
    assert name in lines[0]
    line = EXPECTED_LINE[name]
    if line is not None:
        assert f"{name}:{line}: " in lines[0]


@pytest.mark.parametrize("name", sorted(EXPECTED_LINE))
def test_reader_raises_input_data_error(name):
    with pytest.raises(InputDataError) as info:
        read_genotypes(MALFORMED / name)
    assert info.value.path is not None and info.value.path.endswith(name)
    assert info.value.line == EXPECTED_LINE[name]


# ---------------------------------------------------------------------------- fuzzing
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TOKENS = [b",", b" ", b"\n", b"\r", b"0", b"-9", b"/", b"Pop", b"\t", b"x", b"", b"999999",
           b";", b'"', b"\xff", b"-", b"."]


@pytest.fixture(scope="module")
def valid_files(tmp_path_factory):
    import numpy as np

    from genetics.io.formats import write_genotypes
    from genetics.model import Genotypes

    d = tmp_path_factory.mktemp("valid")
    g = Genotypes.from_arrays(np.random.default_rng(1).integers(0, 300, (6, 3, 2)),
                              [f"s{i}" for i in range(6)], ["A", "B", "C"], ["a"] * 3 + ["b"] * 3)
    out = []
    for fmt, name in [("genepop", "v.gen"), ("genalex", "v_gx.csv"), ("long", "v_long.csv"),
                      ("structure", "v.str"), ("wide", "v_wide.csv")]:
        write_genotypes(g, d / name, fmt)
        out.append(d / name)
    out.append(MALFORMED / "vcf_haploid.vcf")
    return [(p.name, p.read_bytes()) for p in out]


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_mutated_files_raise_only_input_data_error(valid_files, data, tmp_path_factory):
    """Random edits of valid files either read or raise InputDataError, never anything else."""
    name, raw = data.draw(st.sampled_from(valid_files))
    buf = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(buf)))
        j = min(len(buf), i + data.draw(st.integers(0, 3)))
        buf[i:j] = data.draw(st.sampled_from(_TOKENS))
    p = tmp_path_factory.getbasetemp() / f"fuzz_{name}"
    p.write_bytes(bytes(buf))
    fmt = data.draw(st.sampled_from([None, "genepop", "genalex", "long", "wide", "structure", "vcf"]))
    try:
        read_genotypes(p, fmt)
    except InputDataError as exc:
        assert exc.path is not None
