"""Datasets: determinism, shapes, geometry by independent formulas, features, splits, batches."""

import importlib.util
import math
import zipfile
from pathlib import Path

import numpy as np
import pytest

from simulator.engine import datasets
from simulator.engine.datasets import (
    DATASETS,
    FEATURES,
    BatchIterator,
    Dataset,
    feature_matrix,
    generate,
    input_labels,
    split,
)
from simulator.resources_path import resource

NAMES = (
    "circle", "xor", "gauss", "spiral", "moons", "plane", "multi_gauss", "sine", "spiral3",
    "blobs", "digits",
)  # fmt: skip
TOY = [name for name in NAMES if name != "digits"]
# UCI's class distribution of the 1,797-image test set (optdigits.tes).
DIGIT_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
Y_DTYPES = {"binary": np.float64, "multiclass": np.int64, "regression": np.float64}


# --------------------------------------------------------------------------- the registry


def test_registry_holds_exactly_the_named_datasets():
    assert tuple(DATASETS) == NAMES
    for name, info in DATASETS.items():
        assert info.name == name and info.title
        assert info.kind in ("binary", "multiclass", "regression")
        assert info.default_samples > 0


@pytest.mark.parametrize(
    "name,kind,input_dim,n_classes",
    [
        ("circle", "binary", 2, 1),
        ("xor", "binary", 2, 1),
        ("gauss", "binary", 2, 1),
        ("spiral", "binary", 2, 1),
        ("moons", "binary", 2, 1),
        ("plane", "regression", 2, 1),
        ("multi_gauss", "regression", 2, 1),
        ("sine", "regression", 1, 1),
        ("spiral3", "multiclass", 2, 3),
        ("blobs", "multiclass", 2, 3),
        ("digits", "multiclass", 64, 10),
    ],
)
def test_info_and_generated_data_agree_on_shapes_and_dtypes(name, kind, input_dim, n_classes):
    info = DATASETS[name]
    assert (info.kind, info.input_dim, info.n_classes, info.output_size) == (
        kind, input_dim, n_classes, n_classes,
    )  # fmt: skip
    expected_names = {"binary": 2, "multiclass": n_classes, "regression": 0}[kind]
    assert len(info.class_names) == expected_names
    ds = generate(name, noise=0.1, seed=4)
    assert (ds.name, ds.kind, ds.class_names) == (name, kind, info.class_names)
    assert ds.X.shape == (info.default_samples, input_dim) and ds.X.dtype == np.float64
    assert ds.y.shape == (info.default_samples,) and ds.y.dtype == Y_DTYPES[kind]
    assert (ds.n_samples, ds.input_dim, ds.n_classes, ds.output_size) == (
        info.default_samples, input_dim, n_classes, n_classes,
    )  # fmt: skip
    assert np.isfinite(ds.X).all() and np.isfinite(ds.y).all()
    assert name in repr(ds) and str(ds.X.shape) in repr(ds)


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("name", NAMES)
def test_same_arguments_give_identical_arrays(name):
    a = generate(name, n_samples=300, noise=0.25, seed=11)
    b = generate(name, n_samples=300, noise=0.25, seed=11)
    assert a.X.tobytes() == b.X.tobytes() and a.y.tobytes() == b.y.tobytes()


@pytest.mark.parametrize("name", NAMES)
def test_different_seeds_give_different_data(name):
    a = generate(name, n_samples=300, noise=0.25, seed=1)
    b = generate(name, n_samples=300, noise=0.25, seed=2)
    assert not np.array_equal(a.X, b.X)


@pytest.mark.parametrize("name", NAMES)
def test_noise_changes_the_data(name):
    clean = generate(name, n_samples=400, noise=0.0, seed=3)
    noisy = generate(name, n_samples=400, noise=0.4, seed=3)
    assert not (np.array_equal(clean.X, noisy.X) and np.array_equal(clean.y, noisy.y))


@pytest.mark.parametrize("name", ["circle", "xor", "plane", "multi_gauss"])
def test_label_noise_keeps_the_points_and_moves_some_labels(name):
    # Playground reads these labels at a shifted point; the points themselves stay clean.
    clean = generate(name, noise=0.0, seed=5)
    noisy = generate(name, noise=0.5, seed=5)
    np.testing.assert_array_equal(clean.X, noisy.X)
    changed = np.mean(clean.y != noisy.y)
    if clean.kind == "binary":  # a fraction of the labels flip
        assert 0.02 < changed < 0.5
    else:  # most targets move (multi_gauss is 0 on the flat ground between its bumps)
        assert changed > 0.5


@pytest.mark.parametrize("name", TOY)
def test_generators_do_not_touch_the_global_random_state(name):
    np.random.seed(123)
    before = np.random.random()
    np.random.seed(123)
    generate(name, seed=9)
    assert np.random.random() == before


# --------------------------------------------------------------------------- sizes and balance


@pytest.mark.parametrize("name", TOY)
@pytest.mark.parametrize("n", [1, 2, 7, 101])
def test_any_sample_count_is_honoured(name, n):
    ds = generate(name, n_samples=n, seed=0)
    assert ds.X.shape[0] == n and ds.y.shape == (n,)


@pytest.mark.parametrize("name", ["circle", "gauss", "spiral", "moons"])
def test_binary_classes_are_balanced(name):
    ds = generate(name, n_samples=501, noise=0.0, seed=2)
    assert sorted(np.bincount(ds.y.astype(int)).tolist()) == [250, 251]


def test_xor_classes_are_roughly_balanced():
    y = generate("xor", n_samples=2000, seed=0).y
    assert 0.45 < y.mean() < 0.55


@pytest.mark.parametrize("name", ["spiral3", "blobs"])
def test_three_classes_are_balanced(name):
    ds = generate(name, n_samples=600, seed=8)
    assert np.bincount(ds.y).tolist() == [200, 200, 200]


@pytest.mark.parametrize("name", TOY)
def test_toy_data_comes_shuffled(name):
    ds = generate(name, n_samples=400, seed=1)
    first_half = ds.y[:200]
    if ds.kind == "regression":
        assert not np.all(np.diff(ds.X[:, 0]) >= 0)
    else:
        assert len(np.unique(first_half)) == len(ds.class_names)


# --------------------------------------------------------------------------- geometry


def test_circle_labels_follow_the_radius_without_noise():
    ds = generate("circle", noise=0.0, seed=1)
    r = np.sqrt(ds.X[:, 0] ** 2 + ds.X[:, 1] ** 2)
    np.testing.assert_array_equal(ds.y, (r < 2.5).astype(float))
    assert r.max() <= 5.0
    assert not np.any((r > 2.5) & (r < 3.5))  # the gap between the classes


def test_xor_labels_follow_the_quadrant_without_noise():
    ds = generate("xor", noise=0.0, seed=1)
    same_sign = np.sign(ds.X[:, 0]) == np.sign(ds.X[:, 1])
    np.testing.assert_array_equal(ds.y, same_sign.astype(float))
    assert np.abs(ds.X).min() >= 0.3 and np.abs(ds.X).max() <= 5.3


def test_gauss_classes_sit_around_plus_and_minus_two():
    ds = generate("gauss", n_samples=4000, noise=0.0, seed=1)
    pos, neg = ds.X[ds.y == 1], ds.X[ds.y == 0]
    np.testing.assert_allclose(pos.mean(axis=0), [2, 2], atol=0.1)
    np.testing.assert_allclose(neg.mean(axis=0), [-2, -2], atol=0.1)
    # Playground's variance at noise 0 is 0.5, at noise 0.5 it is 4.
    assert pos.var(axis=0) == pytest.approx([0.5, 0.5], rel=0.1)
    wide = generate("gauss", n_samples=4000, noise=0.5, seed=1)
    assert wide.X[wide.y == 1].var(axis=0) == pytest.approx([4.0, 4.0], rel=0.1)


@pytest.mark.parametrize("name,arms,turns", [("spiral", 2, 1.75), ("spiral3", 3, 1.0)])
def test_spiral_points_lie_on_their_arm_without_noise(name, arms, turns):
    ds = generate(name, n_samples=300, noise=0.0, seed=1)
    arm = (1 - ds.y).astype(int) if name == "spiral" else ds.y  # spiral: label 1 is arm 0
    r = np.hypot(ds.X[:, 0], ds.X[:, 1])
    assert r.max() < 5.0
    # On arm k a point at radius r has angle t = turns·2π·r/5 + 2πk/arms, with x = r sin t.
    t = turns * 2 * math.pi * r / 5 + 2 * math.pi * arm / arms
    np.testing.assert_allclose(ds.X[:, 0], r * np.sin(t), atol=1e-9)
    np.testing.assert_allclose(ds.X[:, 1], r * np.cos(t), atol=1e-9)


def test_moons_are_sklearn_moons_scaled_by_three_about_their_centre():
    ds = generate("moons", noise=0.0, seed=1)
    u = ds.X / 3.0 + [0.5, 0.25]  # back to make_moons' coordinates
    outer, inner = u[ds.y == 0], u[ds.y == 1]
    np.testing.assert_allclose(np.hypot(outer[:, 0], outer[:, 1]), 1.0)
    assert outer[:, 1].min() >= -1e-12
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1, inner[:, 1] - 0.5), 1.0)
    assert inner[:, 1].max() <= 0.5 + 1e-12


def test_plane_targets_are_the_scaled_sum_without_noise():
    ds = generate("plane", noise=0.0, seed=1)
    np.testing.assert_allclose(ds.y, (ds.X[:, 0] + ds.X[:, 1]) / 12.0)
    assert np.abs(ds.X).max() <= 6.0


def _playground_multi_gauss(x, y):
    # regressGaussian, written out point by point as in Playground's dataset.ts.
    label = 0.0
    for cx, cy, sign in [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1),
                         (4, -2.5, -1)]:  # fmt: skip
        d = math.dist((x, y), (cx, cy))
        new = sign * min(1.0, max(0.0, 1.0 - d / 2.0))
        if abs(new) > abs(label):
            label = new
    return label


def test_multi_gauss_matches_playgrounds_formula():
    ds = generate("multi_gauss", n_samples=500, noise=0.0, seed=1)
    expected = [_playground_multi_gauss(x, y) for x, y in ds.X]
    np.testing.assert_allclose(ds.y, expected, atol=1e-12)
    assert (ds.y > 0.5).any() and (ds.y < -0.5).any()


@pytest.mark.parametrize("name", ["plane", "multi_gauss"])
@pytest.mark.parametrize("noise", [0.0, 0.5, 1.0])
def test_2d_regression_targets_stay_in_minus_one_to_one(name, noise):
    y = generate(name, noise=noise, seed=2).y
    assert y.min() >= -1.0 and y.max() <= 1.0


def test_sine_is_sin_x_without_noise():
    ds = generate("sine", noise=0.0, seed=1)
    np.testing.assert_allclose(ds.y, [math.sin(x) for x in ds.X[:, 0]])
    assert ds.X.min() >= -6.0 and ds.X.max() <= 6.0


def test_sine_noise_has_the_requested_spread():
    ds = generate("sine", n_samples=20000, noise=0.3, seed=1)
    assert np.std(ds.y - np.sin(ds.X[:, 0])) == pytest.approx(0.3, rel=0.05)


def test_blobs_centres_are_apart():
    ds = generate("blobs", n_samples=3000, noise=0.0, seed=1)
    centres = np.array([ds.X[ds.y == k].mean(axis=0) for k in range(3)])
    np.testing.assert_allclose(np.hypot(centres[:, 0], centres[:, 1]), 3.5, atol=0.1)
    gaps = [np.linalg.norm(centres[i] - centres[j]) for i, j in [(0, 1), (1, 2), (0, 2)]]
    np.testing.assert_allclose(gaps, 3.5 * math.sqrt(3), atol=0.15)


# --------------------------------------------------------------------------- digits


def test_digits_file_loads_without_pickle():
    with np.load(resource("digits.npz"), allow_pickle=False) as archive:
        X, y = archive["X"], archive["y"]
        assert "CC BY 4.0" in str(archive["source"])
    assert X.shape == (1797, 64) and X.dtype == np.uint8
    assert y.shape == (1797,) and y.dtype == np.uint8
    assert X.min() == 0 and X.max() == 16
    assert np.bincount(y).tolist() == DIGIT_COUNTS


def test_digits_dataset_is_all_images_scaled_to_unit_range():
    ds = generate("digits")
    assert ds.X.shape == (1797, 64) and ds.y.shape == (1797,)
    assert ds.n_classes == 10 and ds.class_names == tuple("0123456789")
    assert np.bincount(ds.y).tolist() == DIGIT_COUNTS
    with np.load(resource("digits.npz"), allow_pickle=False) as archive:
        np.testing.assert_array_equal(ds.X, archive["X"] / 16.0)
        np.testing.assert_array_equal(ds.y, archive["y"])
    np.testing.assert_array_equal(generate("digits", n_samples=1797, seed=5).X, ds.X)


def test_digits_noise_is_gaussian_and_clipped():
    clean = generate("digits", noise=0.0, seed=1)
    noisy = generate("digits", noise=0.2, seed=1)
    assert noisy.X.min() >= 0.0 and noisy.X.max() <= 1.0
    inside = (clean.X > 0.3) & (clean.X < 0.7)  # far from the clip at 0 and 1
    assert np.std((noisy.X - clean.X)[inside]) == pytest.approx(0.2, rel=0.1)
    np.testing.assert_array_equal(noisy.y, clean.y)


def test_digits_subsample_is_a_seeded_subset_in_file_order():
    full = generate("digits")
    part = generate("digits", n_samples=100, seed=3)
    assert part.X.shape == (100, 64)
    rows = [int(np.flatnonzero((full.X == row).all(axis=1))[0]) for row in part.X]
    assert rows == sorted(set(rows))  # distinct rows, file order
    np.testing.assert_array_equal(part.y, full.y[rows])
    assert not np.array_equal(part.X, generate("digits", n_samples=100, seed=4).X)


def test_digits_cannot_have_more_than_its_images():
    with pytest.raises(ValueError, match="1,797"):
        generate("digits", n_samples=1798)


def _make_digits_script():
    path = Path(__file__).resolve().parents[2] / "packaging" / "make_digits_npz.py"
    spec = importlib.util.spec_from_file_location("make_digits_npz", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_digits_script_rebuilds_the_shipped_arrays_reproducibly(tmp_path):
    script = _make_digits_script()
    with np.load(resource("digits.npz"), allow_pickle=False) as archive:
        X, y = archive["X"], archive["y"]
    csv = tmp_path / "digits.csv.gz"
    np.savetxt(csv, np.column_stack([X, y]).astype(float), fmt="%.1f", delimiter=",")
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    script.main(["--csv", str(csv), "--out", str(first)])
    script.main(["--csv", str(csv), "--out", str(second)])
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    with np.load(first, allow_pickle=False) as rebuilt:
        np.testing.assert_array_equal(rebuilt["X"], X)
        np.testing.assert_array_equal(rebuilt["y"], y)


# --------------------------------------------------------------------------- Dataset and targets


def test_dataset_arrays_are_read_only():
    ds = generate("circle", n_samples=10)
    with pytest.raises(ValueError):
        ds.X[0, 0] = 1.0
    with pytest.raises(ValueError):
        ds.y[0] = 1.0


@pytest.mark.parametrize("name", ["circle", "plane", "sine"])
def test_targets_are_a_column_for_one_output(name):
    ds = generate(name, n_samples=50, seed=1)
    t = ds.targets("mse")
    assert t.shape == (50, 1) and t.dtype == np.float64 and t.flags.writeable
    np.testing.assert_array_equal(t[:, 0], ds.y)


@pytest.mark.parametrize("loss", [None, "cross_entropy", "mse", "bce"])
def test_multiclass_targets_are_one_hot_rows(loss):
    ds = generate("blobs", n_samples=60, seed=1)
    t = ds.targets(loss)
    assert t.shape == (60, 3) and t.dtype == np.float64
    np.testing.assert_array_equal(t.sum(axis=1), 1.0)
    np.testing.assert_array_equal(t.argmax(axis=1), ds.y)
    assert set(np.unique(t)) == {0.0, 1.0}


def test_targets_reject_an_unknown_loss():
    with pytest.raises(ValueError, match="unknown loss"):
        generate("circle", n_samples=5).targets("hinge")


def test_subset_keeps_kind_and_picks_rows():
    ds = generate("spiral3", n_samples=30, seed=1)
    part = ds.subset([3, 1, 4])
    assert (part.name, part.kind, part.class_names) == (ds.name, ds.kind, ds.class_names)
    np.testing.assert_array_equal(part.X, ds.X[[3, 1, 4]])
    np.testing.assert_array_equal(part.y, ds.y[[3, 1, 4]])


@pytest.mark.parametrize(
    "kind,X,y,names,message",
    [
        ("ordinal", [[0.0]], [0], (), "unknown kind"),
        ("binary", [[0.0]], [2.0], ("a", "b"), "0 or 1"),
        ("binary", [[0.0]], [1.0], ("a",), "exactly 2"),
        ("multiclass", [[0.0]], [3], ("a", "b", "c"), "0..2"),
        ("multiclass", [[0.0]], [0.5], ("a", "b"), "integers"),
        ("regression", [[0.0]], [0.5], ("a",), "no class names"),
        ("regression", [[np.nan]], [0.5], (), "NaN"),
        ("regression", [0.0, 1.0], [0.5, 0.5], (), r"shape \(n, d\)"),
        ("regression", [[0.0], [1.0]], [0.5], (), "match X"),
    ],
)
def test_dataset_rejects_inconsistent_arrays(kind, X, y, names, message):
    with pytest.raises(ValueError, match=message):
        Dataset("custom", kind, np.array(X), np.array(y), names)


# --------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"name": "swiss_roll"}, "unknown dataset 'swiss_roll'"),
        ({"name": None}, "unknown dataset"),
        ({"name": "circle", "n_samples": 0}, "n_samples"),
        ({"name": "circle", "n_samples": -5}, "n_samples"),
        ({"name": "circle", "n_samples": 10.0}, "whole number"),
        ({"name": "circle", "n_samples": True}, "whole number"),
        ({"name": "circle", "n_samples": 10**6}, "100,000"),
        ({"name": "circle", "noise": -0.1}, "noise"),
        ({"name": "circle", "noise": 1.5}, "noise"),
        ({"name": "circle", "noise": float("nan")}, "noise"),
        ({"name": "circle", "noise": "0.1"}, "noise"),
        ({"name": "circle", "seed": -1}, "seed"),
        ({"name": "circle", "seed": 1.5}, "seed"),
    ],
)
def test_generate_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate(**kwargs)


def test_generate_accepts_numpy_integers_and_the_edges_of_noise():
    assert generate("xor", n_samples=np.int64(12), noise=np.float32(1.0), seed=np.uint8(3)).X.shape
    assert generate("xor", n_samples=12, noise=1, seed=0).n_samples == 12


# --------------------------------------------------------------------------- features


def test_feature_keys_and_labels():
    assert FEATURES == {
        "x1": "x1", "x2": "x2", "x1^2": "x1²", "x2^2": "x2²", "x1*x2": "x1·x2",
        "sin_x1": "sin x1", "sin_x2": "sin x2",
    }  # fmt: skip


def test_feature_matrix_matches_the_formulas_in_the_requested_order():
    X = np.array([[1.5, -2.0], [0.0, 3.0], [-4.0, 0.5]])
    keys = ["sin_x2", "x1*x2", "x1", "x2^2", "x1^2", "x2", "sin_x1"]
    expected = np.array(
        [[math.sin(b), a * b, a, b**2, a**2, b, math.sin(a)] for a, b in X.tolist()]
    )
    out = feature_matrix(X, keys)
    assert out.shape == (3, 7) and out.dtype == np.float64
    np.testing.assert_allclose(out, expected, rtol=1e-15)
    np.testing.assert_array_equal(feature_matrix(X, ("x2",)), X[:, 1:])


def test_feature_matrix_returns_a_new_array():
    X = np.array([[1.0, 2.0]])
    out = feature_matrix(X, ["x1", "x2"])
    out[0, 0] = 9.0
    assert X[0, 0] == 1.0


@pytest.mark.parametrize("name", ["sine", "digits"])
def test_features_do_not_apply_to_1d_and_pixel_data(name):
    ds = generate(name, n_samples=20, seed=1)
    for keys in (["x1"], ["x1", "x1^2"], []):
        out = feature_matrix(ds.X, keys)
        np.testing.assert_array_equal(out, ds.X)
        assert out is not ds.X and out.flags.writeable


@pytest.mark.parametrize(
    "features,message",
    [([], "at least one"), (["x3"], "unknown feature 'x3'"), ("x1", "list of feature keys"),
     (["x1", "x1"], "repeated"), (None, "list of feature keys")],
)  # fmt: skip
def test_feature_matrix_rejects_bad_selections(features, message):
    with pytest.raises(ValueError, match=message):
        feature_matrix(np.zeros((3, 2)), features)


def test_feature_matrix_rejects_unknown_keys_even_where_features_are_ignored():
    with pytest.raises(ValueError, match="unknown feature"):
        feature_matrix(np.zeros((3, 1)), ["x_1"])


def test_feature_matrix_rejects_a_flat_array():
    with pytest.raises(ValueError, match=r"\(n, d\)"):
        feature_matrix(np.zeros(4), ["x1"])


def test_input_labels_per_kind_of_input():
    assert input_labels("circle", ["x1", "x2^2", "x1*x2", "sin_x2"]) == [
        "x1", "x2²", "x1·x2", "sin x2",
    ]  # fmt: skip
    assert input_labels("sine", ["x1", "x2"]) == ["x"]
    labels = input_labels("digits", [])
    assert labels[0] == "px0" and labels[-1] == "px63" and len(labels) == 64
    with pytest.raises(ValueError, match="at least one"):
        input_labels("spiral", [])
    with pytest.raises(ValueError, match="unknown dataset"):
        input_labels("nope", ["x1"])


@pytest.mark.parametrize("name", NAMES)
def test_input_labels_count_the_feature_matrix_columns(name):
    keys = ["x1", "x2", "sin_x1"]
    ds = generate(name, n_samples=5)
    assert len(input_labels(name, keys)) == feature_matrix(ds.X, keys).shape[1]


# --------------------------------------------------------------------------- split


@pytest.mark.parametrize("n,ratio,n_test", [(500, 0.5, 250), (10, 0.25, 3), (7, 0.0, 0),
                                            (1, 0.9, 0), (2, 0.9, 1), (100, 0.9, 90)])  # fmt: skip
def test_split_is_disjoint_covering_and_sized(n, ratio, n_test):
    train, test = split(n, ratio, seed=4)
    assert len(test) == n_test and len(train) == n - n_test >= 1
    assert np.intersect1d(train, test).size == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(n))
    assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)
    assert np.issubdtype(train.dtype, np.integer) and np.issubdtype(test.dtype, np.integer)


def test_split_is_seeded():
    a = split(200, 0.3, seed=1)
    b = split(200, 0.3, seed=1)
    c = split(200, 0.3, seed=2)
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


@pytest.mark.parametrize(
    "args,message",
    [((0, 0.5, 0), "n must"), ((10, 0.95, 0), "test_ratio"), ((10, -0.1, 0), "test_ratio"),
     ((10, 0.5, -3), "seed"), ((10.0, 0.5, 0), "whole number")],
)  # fmt: skip
def test_split_rejects_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        split(*args)


# --------------------------------------------------------------------------- batches


def _epoch(batches):
    return [batches.next() for _ in range(batches.batches_per_epoch)]


def test_mini_batches_cover_every_index_once_per_epoch_and_reshuffle():
    batches = BatchIterator(23, batch_size=5, seed=7)
    assert (batches.mode, batches.batches_per_epoch) == ("mini-batch", 5)
    orders = []
    for epoch in range(4):
        assert (batches.epoch, batches.step_in_epoch) == (epoch, 0)
        chunks = _epoch(batches)
        assert [len(c) for c in chunks] == [5, 5, 5, 5, 3]  # the last batch is kept, shorter
        order = np.concatenate(chunks)
        np.testing.assert_array_equal(np.sort(order), np.arange(23))
        orders.append(order)
    assert batches.epoch == 4
    assert len({tuple(o) for o in orders}) == 4


def test_step_in_epoch_counts_batches_drawn():
    batches = BatchIterator(10, batch_size=4, seed=0)
    steps = []
    for _ in range(7):
        batches.next()
        steps.append((batches.epoch, batches.step_in_epoch))
    assert steps == [(0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (2, 0), (2, 1)]


@pytest.mark.parametrize("batch_size", [None, 10, 50])
def test_full_batch_is_every_index_every_step(batch_size):
    batches = BatchIterator(10, batch_size=batch_size, seed=3)
    assert (batches.mode, batches.batch_size, batches.batches_per_epoch) == ("full", 10, 1)
    for epoch in range(1, 4):
        np.testing.assert_array_equal(batches.next(), np.arange(10))
        assert (batches.epoch, batches.step_in_epoch) == (epoch, 0)


def test_stochastic_batches_are_single_samples():
    batches = BatchIterator(6, batch_size=1, seed=3)
    assert (batches.mode, batches.batches_per_epoch) == ("stochastic", 6)
    first = _epoch(batches)
    assert all(b.shape == (1,) for b in first)
    assert sorted(int(b[0]) for b in first) == list(range(6))
    assert batches.epoch == 1


def test_batches_are_seeded_and_reset_replays_them():
    a, b, c = (BatchIterator(50, 8, seed=s) for s in (1, 1, 2))
    run_a = np.concatenate([a.next() for _ in range(20)])
    run_b = np.concatenate([b.next() for _ in range(20)])
    run_c = np.concatenate([c.next() for _ in range(20)])
    np.testing.assert_array_equal(run_a, run_b)
    assert not np.array_equal(run_a, run_c)
    a.reset()
    assert (a.epoch, a.step_in_epoch) == (0, 0)
    np.testing.assert_array_equal(np.concatenate([a.next() for _ in range(20)]), run_a)


def test_batches_handed_out_stay_valid_after_reshuffling():
    batches = BatchIterator(12, batch_size=4, seed=0)
    kept = [batches.next() for _ in range(3)]
    copies = [k.copy() for k in kept]
    for _ in range(9):
        batches.next()
    for k, c in zip(kept, copies, strict=True):
        np.testing.assert_array_equal(k, c)
    with pytest.raises(ValueError):
        kept[0][0] = 99


def test_batch_iterator_is_an_endless_iterator():
    batches = BatchIterator(5, batch_size=2, seed=0)
    first = [next(batches) for _ in range(3)]
    np.testing.assert_array_equal(np.sort(np.concatenate(first)), np.arange(5))
    assert iter(batches) is batches
    assert "mini-batch" in repr(batches) and "n=5" in repr(batches)


@pytest.mark.parametrize(
    "args,message",
    [((0,), "n must"), ((5, 0), "batch_size"), ((5, 2.5), "batch_size"), ((5, 2, -1), "seed")],
)
def test_batch_iterator_rejects_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        BatchIterator(*args)


def test_every_epoch_is_a_permutation_for_every_small_size():
    # Exhaustive over small sizes rather than sampled: every remainder case is covered.
    for n in range(1, 26):
        for batch_size in [None, *range(1, n + 3)]:
            batches = BatchIterator(n, batch_size, seed=n)
            size = n if batch_size is None else min(batch_size, n)
            assert batches.batches_per_epoch == math.ceil(n / size)
            for epoch in range(3):
                chunks = _epoch(batches)
                assert all(len(c) == size for c in chunks[:-1]) and 1 <= len(chunks[-1]) <= size
                np.testing.assert_array_equal(np.sort(np.concatenate(chunks)), np.arange(n))
                assert (batches.epoch, batches.step_in_epoch) == (epoch + 1, 0)


def test_datasets_module_imports_only_numpy_and_the_standard_library():
    import ast

    tree = ast.parse(Path(datasets.__file__).read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    assert roots <= {"__future__", "functools", "math", "numbers", "collections", "dataclasses",
                     "numpy", "simulator"}  # fmt: skip
