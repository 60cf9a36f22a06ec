"""The OpenBLAS kernels this CPU can run, and the one NumPy is using: `python tests/blas.py` prints the kernels
`make test` runs the claim tests under (another machine's float32 rounding, seen on this one).

A kernel the CPU lacks the instructions for would crash (SkylakeX needs AVX-512, Haswell AVX2 and FMA), so only
those whose instruction sets /proc/cpuinfo lists are printed.
"""

from __future__ import annotations

import ctypes
import glob
import os
from pathlib import Path

KERNELS = {"Haswell": {"avx2", "fma"}, "Sandybridge": {"avx"}, "Prescott": {"sse3"}}
ALIASES = {"Prescott": {"Prescott", "Katmai"}}  # DYNAMIC_ARCH builds run Prescott's code as Katmai


def cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    line = next((ln for ln in text.splitlines() if ln.startswith("flags")), "")
    return set(line.partition(":")[2].split()) | ({"sse3"} if "pni" in line.split() else set())


def runnable() -> list[str]:
    flags = cpu_flags()
    return [name for name, needs in KERNELS.items() if needs <= flags]


def corename() -> str | None:
    """The kernel NumPy's OpenBLAS chose (or was told to use), or None where that cannot be asked."""
    import numpy

    for path in glob.glob(os.path.join(os.path.dirname(numpy.__file__), "..", "numpy.libs", "*openblas*")):
        lib = ctypes.CDLL(path)
        for symbol in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename"):
            fn = getattr(lib, symbol, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                return fn().decode()
    return None


if __name__ == "__main__":
    print(" ".join(runnable()))
