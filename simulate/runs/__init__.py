"""Composition roots: each run builds its pipeline, its world and its reports from a
RunConfig, runs, and returns an exit status.  single (one order, or --compare's two)
and load (many orders, a progress display and a summary)."""
