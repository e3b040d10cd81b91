"""bigcats connectivity: resistance surfaces, least-cost and circuit-theory corridors, ranking.

Pure computational functions take numpy arrays (or a :class:`connectivity.raster.Raster`);
files are read and written only in :mod:`connectivity.raster` and the ``*_io`` modules.
"""
