"""The executor seam and progress reporting shared by every computation that fans out.

Library functions that fan out (pairs, windows, candidates, permutations) take an optional
:class:`concurrent.futures.Executor`. ``None`` runs in-process, in order. A local process pool
(``ProcessPoolExecutor``) or a Dask cluster (``distributed.Client(address).get_executor()``)
can be passed instead; results are collected in submission order, so they are identical
whichever runs them. The core never imports dask.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

__all__ = ["map_ordered", "progress", "make_executor"]


def progress(iterable: Iterable[T], *, total: int | None = None, desc: str = "") -> Iterator[T]:
    """Wrap *iterable* in a progress bar on stderr, shown only when stderr is a terminal.

    Setting ``BIGCATS_QUIET=1`` (the CLI's ``-q``) hides it everywhere.
    """
    quiet = os.environ.get("BIGCATS_QUIET") == "1" or not sys.stderr.isatty()
    if quiet:
        yield from iterable
        return
    from tqdm import tqdm

    yield from tqdm(iterable, total=total, desc=desc, file=sys.stderr, leave=False)


def map_ordered(
    fn: Callable[..., R],
    items: Sequence[Any],
    *,
    executor: Executor | None = None,
    desc: str = "",
    chunksize: int = 1,
) -> list[R]:
    """Apply *fn* to every item, in-process or on *executor*, results in input order.

    Parameters
    ----------
    fn : callable
        A picklable function of one argument (module-level, for process pools and Dask).
    items : sequence
        The work items.
    executor : concurrent.futures.Executor, optional
        Where to run; ``None`` runs serially in this process.
    desc : str
        Label of the progress bar.
    chunksize : int
        Items per task when an executor is used (fewer, larger tasks amortise overhead).
    """
    n = len(items)
    if executor is None:
        return [fn(x) for x in progress(items, total=n, desc=desc)]
    if chunksize > 1:
        chunks = [list(items[i : i + chunksize]) for i in range(0, n, chunksize)]
        futures = [executor.submit(_apply_chunk, fn, c) for c in chunks]
        out: list[R] = []
        for f in progress(futures, total=len(futures), desc=desc):
            out.extend(f.result())
        return out
    futures = [executor.submit(fn, x) for x in items]
    return [f.result() for f in progress(futures, total=n, desc=desc)]


def _apply_chunk(fn: Callable[[Any], R], chunk: list[Any]) -> list[R]:
    return [fn(x) for x in chunk]


def make_executor(workers: int | None = None, scheduler: str | None = None) -> Executor | None:
    """Build the executor the CLI's ``--workers N`` / ``--scheduler ADDRESS`` ask for.

    Returns ``None`` (in-process) when neither is given. ``scheduler`` needs the
    ``[distributed]`` extra.
    """
    if scheduler:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - depends on the extra
            from .errors import BigcatsError

            raise BigcatsError(
                "--scheduler needs dask.distributed: pip install 'bigcats[distributed]'"
            ) from exc
        return Client(scheduler).get_executor()
    if workers and workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(max_workers=workers)
    return None
