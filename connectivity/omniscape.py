"""Omniscape: omnidirectional ("coreless") moving-window circuit-theory connectivity.

Algorithm of Omniscape.jl (McRae et al. 2016, "Conserving nature's stage: mapping omnidirectional
connectivity for resilient terrestrial landscapes in the Pacific Northwest", The Nature
Conservancy; Landau et al. 2021, JOSS 6(57):2829), documented in its ``docs/src/algorithm.md``:

1. Sources: a source-strength raster (values below ``source_threshold`` set to 0) or, with
   ``source_from_resistance``, 1/R where R <= ``r_cutoff`` (0 elsewhere).
2. Targets: the grid is tiled in ``block_size`` x ``block_size`` blocks (an even size is made odd
   by adding 1); each block centre is a target whose strength is the sum of the block's sources;
   targets of strength 0 are dropped.
3. For each target: the resistance is clipped to a circle of radius ``radius + buffer`` cells
   around it; sources within ``radius`` (outside the target's block) are scaled to sum to the
   target's strength; the target cell is a direct ground; Circuitscape's advanced mode gives node
   currents (8 neighbours unless ``connect_four_neighbors_only``, average-conductance edges),
   which are added into the cumulative current map.
4. Flow potential: the same solve (same sources, after the conditions of step 6, same ground)
   on the full rectangular window with conductance 1. Normalised current =
   cumulative current / flow potential (NaN → 0).
5. ``correct_artifacts`` (block_size > 1): each window's current is multiplied by a correction
   grid = (sum of the b² shifted single-cell null currents) / (the blocked null current), from
   uniform-conductance runs.
6. Conditional connectivity (optional): a source only connects to a target when condition
   layers match (``within`` lower/upper offsets from the median of the target block's (future)
   values, or ``equals`` its mode).

Each window is an independent small solve: windows are fanned out through
:func:`genetics.parallel.map_ordered` and accumulated in target order, so results do not depend
on the executor. Flow-potential windows (uniform conductance) of the same shape share one
factorisation.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from connectivity.raster import Raster, read_raster, write_raster
from genetics.errors import ConfigError, InputDataError
from genetics.parallel import map_ordered

__all__ = ["OmniscapeOptions", "omniscape", "targets", "correction_grid", "read_omniscape_ini", "run_omniscape_ini"]

NODATA = -9999.0


@dataclass
class OmniscapeOptions:
    """Options of an Omniscape run (Omniscape.jl names and defaults)."""

    radius: int
    block_size: int = 1
    buffer: int = 0
    source_threshold: float = 0.0
    source_from_resistance: bool = False
    r_cutoff: float = float("inf")
    calc_flow_potential: bool = False
    calc_normalized_current: bool = False
    correct_artifacts: bool = True
    mask_nodata: bool = True
    connect_four_neighbors_only: bool = False
    solver: str = "direct"
    conditional: bool = False
    n_conditions: int = 1
    comparison: tuple[str, str] = ("within", "within")
    condition_lower: tuple[float, float] = (0.0, 0.0)
    condition_upper: tuple[float, float] = (0.0, 0.0)

    @property
    def block(self) -> int:
        return self.block_size + 1 if self.block_size % 2 == 0 else self.block_size


def targets(sources: np.ndarray, block: int) -> np.ndarray:
    """Target cells and strengths, shape (n, 3) float64: (row, col, strength), in Omniscape order.

    Block centres at ``br, br + b, ...`` (br = (b-1)/2) along each axis, columns outer; strength =
    sum of the sources in the block; zero-strength targets dropped.
    """
    nrows, ncols = sources.shape
    br = (block - 1) // 2
    xs = np.arange(br, ncols - br, block)
    ys = np.arange(br, nrows - br, block)
    if xs.size == 0 or ys.size == 0:
        return np.zeros((0, 3))
    # block sums by a 2-D cumulative sum
    cs = np.zeros((nrows + 1, ncols + 1))
    cs[1:, 1:] = np.cumsum(np.cumsum(sources, 0), 1)
    X, Y = np.meshgrid(xs, ys, indexing="ij")
    X, Y = X.ravel(), Y.ravel()
    y0, y1 = Y - br, np.minimum(Y + br, nrows - 1) + 1
    x0, x1 = X - br, np.minimum(X + br, ncols - 1) + 1
    s = cs[y1, x1] - cs[y0, x1] - cs[y1, x0] + cs[y0, x0]
    t = np.column_stack([Y, X, s]).astype(np.float64)
    return t[s > 0]


def _disk(shape: tuple[int, int], cy: int, cx: int, r: float) -> np.ndarray:
    yy, xx = np.ogrid[: shape[0], : shape[1]]
    return np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2) <= r


_FACTOR_CACHE: dict = {}


def _window_current(cond: np.ndarray, src: np.ndarray, gy: int, gx: int, four: bool, solver: str,
                    cache_key=None) -> np.ndarray:
    """Node currents (painted, 0 where no node) of one window: sources src, direct ground at (gy, gx)."""

    from connectivity.circuit.currents import node_currents
    from connectivity.circuit.graph import raster_graph
    from connectivity.circuit.solvers import Factor

    cached = _FACTOR_CACHE.get(cache_key) if cache_key is not None else None
    if cached is None:
        rg = raster_graph(cond, neighbors=4 if four else 8, avg="conductance")
        g = rg.graph
        gnode = rg.node_map[gy, gx]
        if gnode < 0:
            return np.zeros(cond.shape)
        comps = g.components()
        idx = np.flatnonzero((comps == comps[gnode]) & (np.arange(g.n_nodes) != gnode))
        L = g.laplacian()
        f = Factor(L[idx][:, idx], solver, 1e-10) if idx.size else None
        cached = (rg, idx, f)
        if cache_key is not None:
            if len(_FACTOR_CACHE) > 64:
                _FACTOR_CACHE.clear()
            _FACTOR_CACHE[cache_key] = cached
    rg, idx, f = cached
    g = rg.graph
    s = np.zeros(g.n_nodes)
    m = rg.node_map >= 0
    np.add.at(s, rg.node_map[m], src[m])
    volts = np.zeros(g.n_nodes)
    if f is not None and np.any(s[idx] != 0):
        volts[idx] = f.solve(s[idx])
    else:
        return np.zeros(cond.shape)
    return rg.paint(node_currents(g, volts))


def _window_sources(sources, y, x, strength, opts: OmniscapeOptions, nrows, ncols, cond_layers=None):
    R = opts.radius + opts.buffer
    br = (opts.block - 1) // 2
    y0, y1 = max(y - R, 0), min(y + R, nrows - 1)
    x0, x1 = max(x - R, 0), min(x + R, ncols - 1)
    src = sources[y0:y1 + 1, x0:x1 + 1].copy()
    cy, cx = y - y0, x - x0
    src[~_disk(src.shape, cy, cx, opts.radius)] = 0.0
    # Omniscape zeroes the target block at the window-centre position (R, R) of a full window
    src[max(R - br, 0):min(R + br, nrows - 1) + 1, max(R - br, 0):min(R + br, ncols - 1) + 1] = 0.0
    pos = src > 0
    tot = src[pos].sum()
    if tot > 0:
        src[pos] = src[pos] * strength / tot
    if opts.conditional and cond_layers is not None:
        _condition_filter(src, cond_layers, opts, y, x, br, (y0, y1, x0, x1), nrows, ncols)
    return src, (y0, y1, x0, x1), (cy, cx)


def _mode(block: np.ndarray) -> float:
    """Most frequent finite value of a target block, ties as StatsBase.mode breaks them.

    Cells are visited column by column (Julia order); the mode is the value that first reaches
    the highest count. The block has at most block_size² cells.
    """
    counts: dict[float, int] = {}
    best, best_n = np.nan, 0
    for x in block.T.ravel():
        if not np.isfinite(x):
            continue
        c = counts.get(x, 0) + 1
        counts[x] = c
        if c > best_n:
            best, best_n = x, c
    return float(best)


def _condition_filter(src, layers, opts, y, x, br, win, nrows, ncols):
    y0, y1, x0, x1 = win
    yb0, yb1 = y - br, min(y + br, nrows - 1)
    xb0, xb1 = x - br, min(x + br, ncols - 1)
    for k in range(opts.n_conditions):
        present, future = layers[k]
        block = future[yb0:yb1 + 1, xb0:xb1 + 1]
        block = block[np.isfinite(block)]
        if block.size == 0:
            continue
        sub = present[y0:y1 + 1, x0:x1 + 1]
        comp = opts.comparison[k]
        with np.errstate(invalid="ignore"):
            if comp == "within":
                d = sub - np.median(block)
                bad = (d > opts.condition_upper[k]) | (d < opts.condition_lower[k])
            else:
                bad = sub != _mode(future[yb0:yb1 + 1, xb0:xb1 + 1])
        bad &= np.isfinite(sub)
        src[bad] = 0.0


def correction_grid(opts: OmniscapeOptions, nrows: int, ncols: int) -> np.ndarray:
    """Omniscape's block-artifact correction grid, shape (2R+1, 2R+1), R = radius + buffer."""
    R = opts.radius + opts.buffer
    S = 2 * R + 1
    b = opts.block
    br = (b - 1) // 2
    four = opts.connect_four_neighbors_only
    null_src = np.where(_disk((S, S), R, R, opts.radius), 1.0, 0.0)
    n_sources = null_src.sum()
    null_src[R, R] = 0.0
    null_src[null_src != 0] = 1.0 / (n_sources - 1)
    ones = np.ones((S, S))
    blocked, _, _ = _window_sources(ones, R, R, float(b * b), opts, max(nrows, S), max(ncols, S))
    cond = np.where(_disk((S, S), R, R, R), 1.0, 0.0)
    block_null = _window_current(cond, blocked, R, R, four, opts.solver)
    null_cur = _window_current(cond, null_src, R, R, four, opts.solver)
    total = np.zeros((S + b - 1, S + b - 1))
    for i in range(b):
        for j in range(b):
            total[i:i + S, j:j + S] += null_cur
    total = total[br:br + S, br:br + S]
    total[block_null == 0] = 0.0
    total[total == 0] = 1.0
    block_null = block_null.copy()
    block_null[block_null == 0] = 1.0
    return total / block_null


def _solve_chunk(task):
    cond_full, sources, tchunk, opts, nrows, ncols, correction, cond_layers = task
    R = opts.radius + opts.buffer
    four = opts.connect_four_neighbors_only
    out = []
    for y, x, strength in tchunk:
        y, x = int(y), int(x)
        src, (y0, y1, x0, x1), (cy, cx) = _window_sources(sources, y, x, strength, opts, nrows, ncols, cond_layers)
        src_fp = src
        cond = cond_full[y0:y1 + 1, x0:x1 + 1].copy()
        cond[~_disk(cond.shape, cy, cx, R)] = 0.0
        cur = _window_current(cond, src, cy, cx, four, opts.solver)
        fp = None
        if opts.calc_flow_potential or opts.calc_normalized_current:
            fp = _window_current(np.ones(cond.shape), src_fp, cy, cx, four, opts.solver,
                                 cache_key=(cond.shape, cy, cx, four))
        if correction is not None:
            gh, gw = cur.shape
            ry0 = 0 if y >= R else correction.shape[0] - gh
            rx0 = 0 if x >= R else correction.shape[1] - gw
            corr = correction[ry0:ry0 + gh, rx0:rx0 + gw]
            cur = cur * corr
            if fp is not None:
                fp = fp * corr
        out.append((y0, x0, cur, fp))
    return out


def omniscape(
    resistance: Raster,
    opts: OmniscapeOptions,
    *,
    sources: np.ndarray | None = None,
    resistance_is_conductance: bool = False,
    conditions: list[tuple[np.ndarray, np.ndarray]] | None = None,
    executor: Executor | None = None,
    chunk: int = 16,
) -> dict[str, np.ndarray]:
    """Run Omniscape on a resistance (or conductance) raster.

    Parameters
    ----------
    resistance : Raster
        Resistances (> 0), or conductances with *resistance_is_conductance*; nodata = no node.
    opts : OmniscapeOptions
    sources : numpy.ndarray, shape (rows, cols), optional
        Source strengths (nodata/NaN = 0); required unless ``opts.source_from_resistance``.
    conditions : list of (present, future) arrays, optional
        Condition layers for conditional connectivity (NaN = missing).
    executor : concurrent.futures.Executor, optional
        Where windows are solved (chunks of *chunk* targets).

    Returns
    -------
    dict with ``'cum_currmap'`` and, when asked, ``'flow_potential'`` and
    ``'normalized_cum_currmap'``, each (rows, cols) float64, -9999 on nodata when ``mask_nodata``.
    """
    vals = resistance.values.astype(np.float64)
    valid = resistance.valid
    if not valid.any():
        raise InputDataError("the resistance map has no data cell")
    if np.any(valid & (vals <= 0)):
        raise InputDataError("resistance values must be positive (found zero or negative cells)")
    if resistance_is_conductance:
        res_vals = np.where(valid, 1.0 / np.where(valid, vals, 1.0), NODATA)
    else:
        res_vals = np.where(valid, vals, NODATA)
    cond = np.where(valid, 1.0 / np.where(valid, res_vals, 1.0), 0.0)
    nrows, ncols = vals.shape
    if opts.source_from_resistance:
        src = np.where(valid & (res_vals <= opts.r_cutoff), 1.0 / np.where(valid, res_vals, 1.0), 0.0)
    else:
        if sources is None:
            raise InputDataError("a source file is required unless source_from_resistance = true")
        src = np.where(np.isfinite(sources) & (sources != NODATA), sources, 0.0).astype(np.float64)
        if src.shape != vals.shape:
            raise InputDataError("source grid and resistance grid have different shapes")
        src[src < opts.source_threshold] = 0.0
    t = targets(src, opts.block)
    correction = None
    if opts.correct_artifacts and opts.block > 1:
        correction = correction_grid(opts, nrows, ncols)
    chunks = [t[i:i + chunk] for i in range(0, len(t), chunk)]
    tasks = [(cond, src, c, opts, nrows, ncols, correction, conditions) for c in chunks]
    parts = map_ordered(_solve_chunk, tasks, executor=executor, desc="omniscape windows")
    cum = np.zeros((nrows, ncols))
    want_fp = opts.calc_flow_potential or opts.calc_normalized_current
    fp_cum = np.zeros((nrows, ncols)) if want_fp else None
    for part in parts:
        for y0, x0, cur, fp in part:
            h, w = cur.shape
            cum[y0:y0 + h, x0:x0 + w] += cur
            if fp_cum is not None and fp is not None:
                fp_cum[y0:y0 + h, x0:x0 + w] += fp
    out = {"cum_currmap": cum}
    if want_fp:
        with np.errstate(divide="ignore", invalid="ignore"):
            norm = cum / fp_cum
        norm[np.isnan(norm)] = 0.0
        if opts.calc_flow_potential:
            out["flow_potential"] = fp_cum
        if opts.calc_normalized_current:
            out["normalized_cum_currmap"] = norm
    if opts.mask_nodata:
        for k in out:
            out[k] = np.where(valid, out[k], NODATA)
    out["n_targets"] = np.array(len(t))
    return out


_TRUE = {"true", "1", "yes"}


def read_omniscape_ini(path: str | os.PathLike[str]) -> dict[str, str]:
    """Omniscape .ini → {key: value} (sections ignored, as Omniscape.jl does)."""
    p = Path(path)
    if not p.exists():
        raise ConfigError("no such file", path=p)
    out: dict[str, str] = {}
    for lineno, line in enumerate(open(p, encoding="utf-8-sig"), 1):
        s = line.strip()
        if not s or s.startswith("[") or s.startswith("#") or s.startswith(";"):
            continue
        if "=" not in s:
            raise ConfigError(f"expected 'key = value', got {s!r}", path=p, line=lineno)
        k, v = s.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _read_reclass(path: str) -> list[tuple[float, float]]:
    """Reclass table rows ``old new`` (``missing`` / ``"missing"`` = nodata)."""
    p = Path(path)
    if not p.exists():
        raise ConfigError("no such reclass table", path=p)
    rows = []
    for lineno, line in enumerate(open(p, encoding="utf-8-sig"), 1):
        s = line.replace(",", " ").split()
        if not s:
            continue
        try:
            new = np.nan if s[1].strip('"').lower() == "missing" else float(s[1])
            rows.append((float(s[0]), new))
        except (ValueError, IndexError):
            raise InputDataError(f"expected 'old new', got {line.strip()!r}", path=p, line=lineno) from None
    return rows


def _num(cfg, key, default, path, kind=float):
    try:
        return kind(round(float(cfg.get(key, default)))) if kind is int else float(cfg.get(key, default))
    except ValueError:
        raise ConfigError(f"{key} must be a number, not {cfg.get(key)!r}", path=path) from None


def run_omniscape_ini(path: str | os.PathLike[str], *, out_dir: Path | None = None,
                      executor: Executor | None = None) -> tuple[Path, dict[str, np.ndarray]]:
    """Run an Omniscape .ini (paths relative to the working directory) and write its outputs.

    Outputs go to ``project_name/`` (or *out_dir*): ``cum_currmap``, ``flow_potential``,
    ``normalized_cum_currmap`` (``.tif`` unless ``write_as_tif = false``), and
    ``classified_resistance`` when a reclass table is written.
    """
    cfg = read_omniscape_ini(path)
    flag = lambda k, d: cfg.get(k, d).strip().lower() in _TRUE  # noqa: E731
    if "radius" not in cfg:
        raise ConfigError("radius is required", path=path)
    opts = OmniscapeOptions(
        radius=_num(cfg, "radius", 0, path, int),
        block_size=_num(cfg, "block_size", 1, path, int),
        buffer=_num(cfg, "buffer", 0, path, int),
        source_threshold=_num(cfg, "source_threshold", 0, path),
        source_from_resistance=flag("source_from_resistance", "false"),
        r_cutoff=_num(cfg, "r_cutoff", "inf", path),
        calc_flow_potential=flag("calc_flow_potential", "false"),
        calc_normalized_current=flag("calc_normalized_current", "false"),
        correct_artifacts=flag("correct_artifacts", "true"),
        mask_nodata=flag("mask_nodata", "true"),
        connect_four_neighbors_only=flag("connect_four_neighbors_only", "false"),
        conditional=flag("conditional", "false"),
        n_conditions=_num(cfg, "n_conditions", 1, path, int),
        comparison=(cfg.get("comparison1", "within").lower(), cfg.get("comparison2", "within").lower()),
        condition_lower=(_num(cfg, "condition1_lower", 0, path), _num(cfg, "condition2_lower", 0, path)),
        condition_upper=(_num(cfg, "condition1_upper", 0, path), _num(cfg, "condition2_upper", 0, path)),
    )
    if opts.radius < 1:
        raise ConfigError("radius must be at least 1", path=path)
    for c in opts.comparison[: opts.n_conditions]:
        if c not in ("within", "equal", "equals"):
            raise ConfigError(f"comparison must be 'within' or 'equal', not {c!r}", path=path)
    rfile = cfg.get("resistance_file")
    if not rfile:
        raise ConfigError("resistance_file is required", path=path)
    res = read_raster(rfile)
    is_cond = flag("resistance_is_conductance", "false") or flag("resistance_file_is_conductance", "false")
    if flag("reclassify_resistance", "false"):
        table = _read_reclass(cfg["reclass_table"])
        v = res.values.copy()
        old = res.values
        for a, b in table:
            v[(old == a) & res.valid] = res.nodata if np.isnan(b) else b
        res = res.with_values(v)
    sources = None
    if not opts.source_from_resistance:
        sfile = cfg.get("source_file")
        if not sfile or sfile.startswith("("):
            raise ConfigError("source_file is required unless source_from_resistance = true", path=path)
        sr = read_raster(sfile)
        from connectivity.circuit.run import check_aligned

        check_aligned(res, sr, sfile, "source")
        sources = sr.masked(np.nan)
    conditions = None
    if opts.conditional:
        conditions = []
        ctf = cfg.get("compare_to_future", "none").lower()
        for k in range(1, opts.n_conditions + 1):
            f = cfg.get(f"condition{k}_file")
            if not f:
                raise ConfigError(f"condition{k}_file is required", path=path)
            pres = read_raster(f)
            fut = pres
            if ctf in (str(k), "both"):
                fut = read_raster(cfg[f"condition{k}_future_file"])
            conditions.append((pres.masked(np.nan), fut.masked(np.nan)))
    out = omniscape(res, opts, sources=sources, resistance_is_conductance=is_cond, conditions=conditions,
                    executor=executor)
    project = out_dir or Path(cfg.get("project_name", "omniscape_output"))
    project.mkdir(parents=True, exist_ok=True)
    ext = ".tif" if flag("write_as_tif", "true") else ".asc"
    names = []
    if flag("write_raw_currmap", "true"):
        names.append("cum_currmap")
    names += [k for k in ("flow_potential", "normalized_cum_currmap") if k in out]
    for k in names:
        write_raster(project / f"{k}{ext}", Raster(out[k], res.transform, res.crs, NODATA))
    if flag("reclassify_resistance", "false") and flag("write_reclassified_resistance", "false"):
        write_raster(project / f"classified_resistance{ext}", Raster(np.where(res.valid, res.values, NODATA),
                                                                      res.transform, res.crs, NODATA))
    return project, out
