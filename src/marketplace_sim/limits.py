"""Sizes and limits of the generator, in a module light enough for the CLI to import (no NumPy)."""

ORDERS_PER_SCALE = 10_000  # orders generated per unit of --scale
MAX_DAYS = 3650  # the most simulated days one `source advance` may add
