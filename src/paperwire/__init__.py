"""paperwire: a self-hostable Daily Papers site."""

import os

__version__ = "0.1.0"

# numpy's OpenBLAS spreads even one query's matrix-vector product over every core, and
# its threads spin while they wait for each other: with the other core busy (another
# request, the worker) a product over 3,000 rows took 12 ms instead of 0.12 ms. A search
# is one thread's work, so BLAS gets one thread unless the operator says otherwise. Set
# here because the package is imported before numpy in every paperwire process.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
