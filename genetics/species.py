"""Species screening of scat DNA from a short mitochondrial fragment (cytb, COI, 12S, 16S...).

Each sample sequence is aligned (Biopython :class:`~Bio.Align.PairwiseAligner`, local mode,
blastn-like scores, both strands) to every reference sequence of a user-supplied FASTA; the
**identity** is identical columns over alignment columns (gaps included) and the **coverage**
the share of the sample sequence inside the alignment. References covering less than
``min_coverage`` of the sample are ignored. The sample gets the species of the best reference
when its identity reaches ``min_identity``; it is ``ambiguous`` when a reference of another
species is within ``ambiguity_margin`` of the best identity, and ``no match`` below the
threshold. This is the usual "best hit with an identity cut" rule of barcoding studies
(e.g. Janecka et al. 2008 screened snow leopard scats with cytb: many were red fox).

Species names come from the reference headers: ``>ACC.1 Genus species ...`` (GenBank style)
or ``>ACC_Genus_species[_subspecies]``; a ``species=Genus species`` or ``[organism=...]`` tag
wins. Names are reduced to the binomial and known synonyms are merged
(``Uncia uncia`` = ``Panthera uncia``).
"""

from __future__ import annotations

import os
import re
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputDataError
from .parallel import map_ordered

__all__ = ["SeqRecordLite", "read_sequences", "species_label", "assign_species", "alignment_identity", "SYNONYMS"]

#: Synonyms merged to the current name.
SYNONYMS = {"Uncia uncia": "Panthera uncia", "Felis manul": "Otocolobus manul", "Felis lynx": "Lynx lynx"}

_ABI_EXT = {".ab1", ".abi", ".abif"}
_FASTQ_EXT = {".fastq", ".fq"}
_VALID = re.compile(r"^[ACGTURYSWKMBDHVN\-.]*$")


@dataclass(frozen=True)
class SeqRecordLite:
    """A sequence with its id and header description (upper case, gaps removed)."""

    id: str
    description: str
    seq: str


def read_sequences(path: str | os.PathLike[str]) -> list[SeqRecordLite]:
    """Read FASTA, FASTQ or ABI trace files (by extension) with one-line errors.

    ABI traces (``.ab1``) are read with ``Bio.SeqIO``: the basecaller's calls (``PBAS2``) with
    the low-quality ends trimmed by Mott's algorithm (``abi-trim``) when the trace carries
    quality values, untrimmed otherwise; the sample name (``SMPL1``) is the id, or the file name
    without extension when the trace has none. A folder reads every sequence file in it
    (sorted by name).
    """

    p = Path(path)
    if not p.exists():
        raise InputDataError("no such file", path=p)
    if p.is_dir():
        out: list[SeqRecordLite] = []
        for f in sorted(p.iterdir()):
            if f.is_file() and not f.name.startswith("."):
                out.extend(read_sequences(f))
        return out
    ext = p.suffix.lower()
    fmt = "abi" if ext in _ABI_EXT else "fastq" if ext in _FASTQ_EXT else "fasta"
    records = []
    try:
        if fmt == "fasta":
            head = p.read_bytes()[:1].decode("ascii", errors="replace")
            if head != ">":
                raise InputDataError("not a FASTA file (first character is not '>')", path=p, line=1)
        for r in _parse(p, fmt):
            seq = str(r.seq).upper().replace("-", "").replace(".", "")
            if not _VALID.match(seq):
                bad = sorted(set(seq) - set("ACGTURYSWKMBDHVN"))[:3]
                raise InputDataError(f"sequence has non-nucleotide characters {''.join(bad)!r}", path=p, sample=r.id)
            records.append(SeqRecordLite(r.id, r.description, seq))
    except InputDataError:
        raise
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputDataError(f"cannot read {fmt.upper()}: {str(exc).splitlines()[0]}", path=p) from None
    if not records:
        raise InputDataError("no sequences in file", path=p)
    ids = [r.id for r in records]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise InputDataError("duplicate sequence id", path=p, sample=dup)
    return records


def _parse(p: Path, fmt: str):
    """Bio.SeqIO records of one file; ABI traces trimmed when they have quality values."""
    from Bio import SeqIO

    if fmt != "abi":
        return SeqIO.parse(str(p), fmt)
    try:
        recs = list(SeqIO.parse(str(p), "abi-trim"))
    except ValueError as exc:
        if "quality" not in str(exc):
            raise
        recs = list(SeqIO.parse(str(p), "abi"))
    for r in recs:
        if r.id == "<unknown id>":
            r.id = p.stem
    return recs


def species_label(rec: SeqRecordLite) -> str:
    """Binomial species name of a reference record (see module docstring)."""
    d = rec.description
    m = re.search(r"(?:species|organism)=([A-Za-z]+[ _][a-z]+)", d)
    if m:
        name = m.group(1).replace("_", " ")
    else:
        words = d.split()[1:]
        if len(words) >= 2 and words[0][:1].isupper() and words[0][1:].islower() and words[1].isalpha() and words[1].islower():
            name = f"{words[0]} {words[1]}"
        else:
            parts = rec.id.split("_")
            # ACC_Genus_species or NC_028307_Felis_chaus
            idx = next((i for i, x in enumerate(parts) if x[:1].isupper() and x[1:].islower() and x.isalpha()), None)
            if idx is not None and idx + 1 < len(parts) and parts[idx + 1].islower():
                name = f"{parts[idx]} {parts[idx + 1]}"
            else:
                name = rec.id
    return SYNONYMS.get(name, name)


def _aligner():
    from Bio.Align import PairwiseAligner

    al = PairwiseAligner()
    al.mode = "local"
    al.match_score = 2
    al.mismatch_score = -3
    al.open_gap_score = -5
    al.extend_gap_score = -2
    return al


def _revcomp(s: str) -> str:
    from Bio.Seq import Seq

    return str(Seq(s).reverse_complement())


def alignment_identity(query: str, ref: str, aligner=None, strands: str = "both") -> tuple[float, float, float]:
    """Identity, query coverage and score of the best local alignment on either strand.

    Returns
    -------
    (identity, coverage, score) : tuple of float
        identity = identical columns / alignment columns; coverage = aligned query bases /
        query length.
    """
    al = aligner or _aligner()
    best = (0.0, 0.0, -np.inf)
    qs = {"both": (query, _revcomp(query)), "+": (query,), "-": (_revcomp(query),)}[strands]
    for q in qs:
        try:
            aln = al.align(q, ref)[0]
        except (IndexError, ValueError):
            continue
        score = aln.score
        if score <= best[2]:
            continue
        c = aln.counts()
        cols = c.identities + c.mismatches + c.gaps
        # aligned query span
        qcov = sum(e - s for s, e in aln.aligned[0]) / max(len(q), 1)
        ident = c.identities / cols if cols else 0.0
        best = (ident, qcov, float(score))
    return best


_K = 10


def _kmers(s: str, k: int = _K) -> set[str]:
    return {s[i : i + k] for i in range(len(s) - k + 1)}


def _kmer_index(s: str, k: int = _K) -> dict[str, int]:
    """First position of every k-mer of *s*."""
    out: dict[str, int] = {}
    for i in range(len(s) - k + 1):
        out.setdefault(s[i : i + k], i)
    return out


def _window(q: str, ref: str, ref_index: dict[str, int], pad: int = 60) -> str:
    """The part of *ref* around the diagonal where *q*'s k-mers hit (whole *ref* if none)."""
    offs = [ref_index[q[i : i + _K]] - i for i in range(len(q) - _K + 1) if q[i : i + _K] in ref_index]
    if not offs:
        return ref
    o = int(np.median(offs))
    return ref[max(0, o - pad) : max(0, o + len(q) + pad)]


def _assign_one(args):
    rec, refs, labels, ref_kmers, ref_index, min_identity, min_coverage, margin, top = args
    al = _aligner()
    best_by_species: dict[str, tuple[float, float, str]] = {}
    # k-mer prefilter (both strands): only the references sharing most k-mers are aligned
    qk = _kmers(rec.seq)
    qr = _kmers(_revcomp(rec.seq))
    fwd = np.array([len(qk & rk) for rk in ref_kmers])
    rev = np.array([len(qr & rk) for rk in ref_kmers])
    shared = np.maximum(fwd, rev)
    cand = np.argsort(-shared, kind="stable")[:top] if top else np.arange(len(refs))
    cand = [int(i) for i in cand if shared[i] > 0 or not top]
    for i in cand:
        r, lab = refs[i], labels[i]
        if top and fwd[i] != rev[i]:
            # align only the strand the k-mers point to, on the reference window they hit
            q = rec.seq if fwd[i] > rev[i] else _revcomp(rec.seq)
            ident, cov, _ = alignment_identity(q, _window(q, r.seq, ref_index[i]), al, "+")
        else:
            ident, cov, _ = alignment_identity(rec.seq, r.seq, al, "both")
        if cov < min_coverage:
            continue
        if lab not in best_by_species or ident > best_by_species[lab][0]:
            best_by_species[lab] = (ident, cov, r.id)
    if not best_by_species:
        return (rec.id, len(rec.seq), "no match", "", np.nan, np.nan, "", np.nan, "")
    ranked = sorted(best_by_species.items(), key=lambda kv: (-kv[1][0], kv[0]))
    sp, (ident, cov, rid) = ranked[0]
    second = ranked[1] if len(ranked) > 1 else None
    s_sp = second[0] if second else ""
    s_id = second[1][0] if second else np.nan
    if ident < min_identity:
        status = "no match"
        call = ""
    elif second is not None and ident - s_id <= margin:
        status = "ambiguous"
        call = ";".join(k for k, v in ranked if ident - v[0] <= margin)
    else:
        status = "assigned"
        call = sp
    return (rec.id, len(rec.seq), status, call, ident, cov, rid, s_id, s_sp)


def assign_species(
    samples: list[SeqRecordLite],
    references: list[SeqRecordLite],
    *,
    min_identity: float = 0.97,
    min_coverage: float = 0.8,
    ambiguity_margin: float = 0.005,
    top: int = 12,
    executor: Executor | None = None,
) -> pd.DataFrame:
    """Assign every sample sequence to a reference species (rules in the module docstring).

    To keep it fast, only the *top* references sharing the most 10-mers with the sample (either
    strand) are aligned, on the strand and the reference window (±60 bp) the shared 10-mers
    point to (``top=0`` aligns all references in full, both strands).

    Returns
    -------
    pandas.DataFrame
        ``sample_id, length, status (assigned/ambiguous/no match), species, identity,
        coverage, best_reference, second_identity, second_species``.
    """
    if not references:
        raise InputDataError("no reference sequences")
    labels = [species_label(r) for r in references]
    ref_index = [_kmer_index(r.seq) for r in references]
    ref_kmers = [set(ix) for ix in ref_index]
    tasks = [(s, references, labels, ref_kmers, ref_index, min_identity, min_coverage, ambiguity_margin, top) for s in samples]
    rows = map_ordered(_assign_one, tasks, executor=executor, desc="species")
    return pd.DataFrame(
        rows,
        columns=["sample_id", "length", "status", "species", "identity", "coverage", "best_reference",
                 "second_identity", "second_species"],
    )
