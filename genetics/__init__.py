"""bigcats genetics: non-invasive DNA to individuals, diversity, kinship and inbreeding.

Pure computational functions take arrays (or a :class:`genetics.model.Genotypes`) and return
arrays or tables; files are read and written only in :mod:`genetics.io`.
"""

from .model import MISSING, Genotypes, ReplicateGenotypes

__all__ = ["MISSING", "Genotypes", "ReplicateGenotypes"]
