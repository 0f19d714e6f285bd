#!/usr/bin/env python3
"""Independent NumPy reference for mandel's escape counts.

Usage: numpy_mandel.py COUNTS.npy XMIN XMAX YMIN YMAX WIDTH HEIGHT MAX_ITER

Loads the .npy that mandel wrote (so NumPy itself checks the header, dtype and shape), recomputes
every count with the notebook's formula written in NumPy, and exits 0 only if all are equal.
"""
import sys

import numpy as np


def reference(xmin, xmax, ymin, ymax, width, height, max_iter):
    dx = (xmax - xmin) / width
    dy = (ymax - ymin) / height
    x = xmin + np.arange(width, dtype=np.float64) * dx
    y = ymin + (height - 1 - np.arange(height, dtype=np.float64)) * dy  # row 0 is the top
    cr = np.broadcast_to(x[None, :], (height, width)).copy()
    ci = np.broadcast_to(y[:, None], (height, width)).copy()
    zr = np.zeros_like(cr)
    zi = np.zeros_like(ci)
    counts = np.full((height, width), max_iter, dtype=np.uint32)
    active = np.ones((height, width), dtype=bool)
    for i in range(max_iter):
        # z = z*z + c, written out as the product of complex numbers is defined.
        ar, ai = zr[active], zi[active]
        nr = ar * ar - ai * ai + cr[active]
        ni = ar * ai + ai * ar + ci[active]
        zr[active], zi[active] = nr, ni
        escaped = np.zeros_like(active)
        escaped[active] = nr * nr + ni * ni >= 4.0
        counts[escaped] = i
        active &= ~escaped
        if not active.any():
            break
    return counts


def main():
    path = sys.argv[1]
    xmin, xmax, ymin, ymax = map(float, sys.argv[2:6])
    width, height, max_iter = map(int, sys.argv[6:9])
    got = np.load(path)
    assert got.dtype == np.dtype("<u4"), f"dtype {got.dtype}"
    assert got.shape == (height, width), f"shape {got.shape}"
    assert got.flags["C_CONTIGUOUS"]
    want = reference(xmin, xmax, ymin, ymax, width, height, max_iter)
    diff = np.count_nonzero(got != want)
    print(f"numpy reference: {width}x{height}, max_iter {max_iter}: {diff} of {got.size} counts differ")
    sys.exit(1 if diff else 0)


if __name__ == "__main__":
    main()
