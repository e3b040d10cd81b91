"""Circuitscape ``.ini`` configuration files, with Circuitscape's defaults.

Sections are ignored (Circuitscape reads every ``key = value`` whatever its section); keys are
case-insensitive; ``True``/``False`` in any case; file entries that are empty, ``None`` or a
GUI placeholder ``(Browse for ...)`` mean "no file". Relative paths are resolved against the
working directory, as Circuitscape does.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass, field
from pathlib import Path

from genetics.errors import ConfigError

__all__ = ["CircuitConfig", "DEFAULTS", "read_ini", "config_from_dict"]

#: Circuitscape's defaults for every key bigcats reads (Circuitscape.jl ``src/config.jl``).
DEFAULTS: dict[str, str] = {
    "data_type": "raster",
    "scenario": "",
    "habitat_file": "",
    "habitat_map_is_resistances": "true",
    "connect_four_neighbors_only": "false",
    "connect_using_avg_resistances": "false",
    "point_file": "",
    "use_polygons": "false",
    "polygon_file": "",
    "use_mask": "false",
    "mask_file": "",
    "source_file": "",
    "ground_file": "",
    "ground_file_is_resistances": "true",
    "use_direct_grounds": "false",
    "use_unit_currents": "false",
    "remove_src_or_gnd": "keepall",
    "use_included_pairs": "false",
    "included_pairs_file": "",
    "use_variable_source_strengths": "false",
    "variable_source_file": "",
    "output_file": "",
    "write_cur_maps": "false",
    "write_cum_cur_map_only": "false",
    "write_max_cur_maps": "false",
    "write_volt_maps": "false",
    "set_null_currents_to_nodata": "false",
    "set_null_voltages_to_nodata": "false",
    "log_transform_maps": "false",
    "compress_grids": "false",
    "write_as_tif": "false",
    "solver": "cg+amg",
    "use_reclass_table": "false",
    "reclass_file": "",
}

_BOOL = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


def _is_none(v: str) -> bool:
    s = v.strip()
    return not s or s.lower() == "none" or s.startswith("(") or s.lower() == "false"


@dataclass
class CircuitConfig:
    """A Circuitscape run: every key as a string, typed accessors on top."""

    values: dict[str, str] = field(default_factory=lambda: dict(DEFAULTS))
    source: str | None = None
    base_dir: Path = field(default_factory=Path.cwd)

    def __getitem__(self, key: str) -> str:
        return self.values.get(key, DEFAULTS.get(key, ""))

    def flag(self, key: str) -> bool:
        v = self[key].strip().lower()
        if v not in _BOOL:
            raise ConfigError(f"{key} must be True or False, not {self[key]!r}", path=self.source)
        return _BOOL[v]

    def path(self, key: str, required: bool = False) -> Path | None:
        v = self[key]
        if _is_none(v):
            if required:
                raise ConfigError(f"{key} is required", path=self.source)
            return None
        p = Path(v.strip())
        return p if p.is_absolute() else self.base_dir / p

    @property
    def scenario(self) -> str:
        s = self["scenario"].strip().lower().replace("_", "-")
        aliases = {"pairwise": "pairwise", "advanced": "advanced", "one-to-all": "one-to-all",
                   "all-to-one": "all-to-one", "onetoall": "one-to-all", "alltoone": "all-to-one"}
        if s not in aliases:
            raise ConfigError(f"scenario must be pairwise, advanced, one-to-all or all-to-one, not {self['scenario']!r}",
                              path=self.source)
        return aliases[s]

    @property
    def data_type(self) -> str:
        s = self["data_type"].strip().lower()
        if s not in ("raster", "network"):
            raise ConfigError(f"data_type must be raster or network, not {s!r}", path=self.source)
        return s

    def output_base(self) -> Path:
        """``output_file`` without its extension: outputs are ``<base>_resistances.out`` etc."""
        p = self.path("output_file", required=True)
        assert p is not None
        return p.with_suffix("") if p.suffix else p


def config_from_dict(values: dict[str, object], source: str | None = None, base_dir: Path | None = None) -> CircuitConfig:
    """Build a config from keyword values (Python bools/paths allowed)."""
    d = dict(DEFAULTS)
    for k, v in values.items():
        if v is None:
            continue
        d[k.lower()] = ("true" if v else "false") if isinstance(v, bool) else str(v)
    return CircuitConfig(d, source, base_dir or Path.cwd())


def read_ini(path: str | os.PathLike[str], base_dir: Path | None = None) -> CircuitConfig:
    """Read a Circuitscape ``.ini``; paths inside resolve from *base_dir* (default: cwd)."""
    p = Path(path)
    if not p.exists():
        raise ConfigError("no such file", path=p)
    cp = configparser.ConfigParser(interpolation=None, strict=False, inline_comment_prefixes=None)
    try:
        cp.read(p, encoding="utf-8-sig")
    except configparser.Error as exc:
        raise ConfigError(f"not a valid .ini file: {str(exc).splitlines()[0]}", path=p) from None
    vals = dict(DEFAULTS)
    for sec in cp.sections():
        for k, v in cp.items(sec):
            vals[k.lower()] = v
    return CircuitConfig(vals, os.fspath(p), base_dir or Path.cwd())
