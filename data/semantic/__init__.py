"""The semantic layer: a declared catalogue of measures, metrics, dimensions and rollups, and a
planner that answers each query from the smallest rollup that gives the star schema's answer."""
