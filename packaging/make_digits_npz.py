"""Build resources/digits.npz from the UCI handwritten digits that scikit-learn bundles.

The data is the test set of "Optical Recognition of Handwritten Digits" (Alpaydin & Kaynak,
UCI Machine Learning Repository, 1998, CC BY 4.0): 1,797 images of 8x8 pixels with values 0..16
and their digit 0..9.  scikit-learn ships the same rows as ``sklearn/datasets/data/digits.csv.gz``
(64 pixel columns, then the label).  This script only reads that csv; the app never imports
scikit-learn.

Usage (scikit-learn in a throw-away venv, never in the project's)::

    python3 -m venv /tmp/skvenv && /tmp/skvenv/bin/pip install scikit-learn
    /tmp/skvenv/bin/python packaging/make_digits_npz.py            # finds the csv in sklearn
    python packaging/make_digits_npz.py --csv path/to/digits.csv.gz

The output holds ``X`` uint8 (1797, 64), ``y`` uint8 (1797,) and ``source`` (a unicode string),
all readable with ``np.load(path, allow_pickle=False)``.  The zip entries carry a fixed date, so
the same csv always gives the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import zipfile
from pathlib import Path

import numpy as np

N_SAMPLES = 1797
N_PIXELS = 64
CLASS_COUNTS = (178, 182, 177, 183, 181, 182, 181, 179, 174, 180)
SOURCE = (
    "Optical Recognition of Handwritten Digits, test set (1,797 8x8 images, pixels 0..16). "
    "E. Alpaydin, C. Kaynak, UCI Machine Learning Repository, 1998, "
    "https://archive.ics.uci.edu/ml/datasets/Optical+Recognition+of+Handwritten+Digits, "
    "licensed CC BY 4.0. "
    "Rows as bundled by scikit-learn (sklearn/datasets/data/digits.csv.gz)."
)
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "resources" / "digits.npz"


def sklearn_csv() -> Path:
    """Path of digits.csv.gz inside an installed scikit-learn, found without importing it."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("scikit-learn is not installed here; pass --csv PATH")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / "digits.csv.gz"


def read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Pixels (1797, 64) and labels (1797,), both uint8, checked against the known data."""
    table = np.loadtxt(path, delimiter=",", dtype=np.float64)
    if table.shape != (N_SAMPLES, N_PIXELS + 1):
        raise SystemExit(f"{path}: expected shape {(N_SAMPLES, N_PIXELS + 1)}, got {table.shape}")
    if not np.array_equal(table, np.round(table)):
        raise SystemExit(f"{path}: values are not whole numbers")
    X, y = table[:, :N_PIXELS], table[:, N_PIXELS]
    if X.min() < 0 or X.max() > 16 or y.min() < 0 or y.max() > 9:
        raise SystemExit(f"{path}: pixels must be 0..16 and labels 0..9")
    X, y = X.astype(np.uint8), y.astype(np.uint8)
    if tuple(np.bincount(y, minlength=10)) != CLASS_COUNTS:
        raise SystemExit(f"{path}: class counts {np.bincount(y)} differ from {CLASS_COUNTS}")
    return X, y


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """``np.savez_compressed`` with a fixed date in every zip entry, so the bytes reproduce."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=False)
            entry = zipfile.ZipInfo(name + ".npy", date_time=_FIXED_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, buffer.getvalue(), compresslevel=9)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, help="digits.csv.gz (default: scikit-learn's copy)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the .npz")
    args = parser.parse_args(argv)
    X, y = read_csv(args.csv or sklearn_csv())
    write_npz(args.out, {"X": X, "y": y, "source": np.array(SOURCE)})
    with np.load(args.out, allow_pickle=False) as check:
        assert np.array_equal(check["X"], X) and np.array_equal(check["y"], y)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes, sha256 {digest})")


if __name__ == "__main__":
    main()
