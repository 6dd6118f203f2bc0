"""app.metrics_report: the metrics of the network a snapshot shows, on the document's data."""

import math

import numpy as np
import pytest

from simulator.app.document import Document
from simulator.app.metrics_report import metrics_report
from simulator.app.training import TrainingController
from simulator.engine import metrics


@pytest.fixture
def run(qapp):
    doc = Document()
    ctl = TrainingController(doc)
    yield ctl, doc
    ctl.shutdown()


def train(ctl, steps):
    for _ in range(steps):
        ctl.step()


def test_a_snapshot_is_measured_with_its_own_weights_not_the_live_ones(run):
    ctl, doc = run
    train(ctl, 3)
    early = ctl.snapshot()
    early_net = doc.network.copy()  # the live network at step 3
    train(ctl, 40)
    report = metrics_report(doc, early)
    assert report.step == 3 and report.task == "binary"
    data = doc.data
    for name, X, Y in (("train", data.X_train, data.Y_train), ("test", data.X_test, data.Y_test)):
        got = report.sets[name]
        out = early_net.probabilities(X)
        assert got.samples == len(X)
        np.testing.assert_array_equal(got.confusion, metrics.confusion_matrix(Y, out))
        np.testing.assert_array_equal(got.rates, metrics.row_rates(got.confusion))
        assert got.accuracy == metrics.accuracy(Y, out)
        assert math.isnan(got.r2) and math.isnan(got.rmse)
        assert got.unpredicted == 0 and not got.diverged
    late = metrics_report(doc, ctl.snapshot())
    assert late.step == 43
    assert not np.array_equal(late.sets["train"].confusion, report.sets["train"].confusion)


def test_regression_measures_r2_and_rmse(run):
    ctl, doc = run
    doc.set_dataset("plane")
    train(ctl, 20)
    report = metrics_report(doc, ctl.snapshot())
    assert not report.classification and report.class_names == ()
    data, net = doc.data, doc.network
    got = report.sets["test"]
    assert got.confusion is None
    assert got.r2 == metrics.r2_score(data.Y_test, net.predict(data.X_test))
    assert got.rmse == metrics.rmse(data.Y_test, net.predict(data.X_test))


def test_a_snapshot_from_before_an_edit_is_not_measured(run):
    ctl, doc = run
    train(ctl, 2)
    before = ctl.snapshot()
    doc.add_neuron(1)  # the hidden layer grows: the old weights no longer fit
    assert metrics_report(doc, before) is None
    assert metrics_report(doc, ctl.snapshot()) is not None


def test_without_a_test_set_only_the_training_set_is_measured(run):
    ctl, doc = run
    doc.set_test_ratio(0.0)
    train(ctl, 2)
    report = metrics_report(doc, ctl.snapshot())
    assert set(report.sets) == {"train"}
    assert report.sets["train"].confusion.sum() == len(doc.data.X_train)


def test_multiclass_uses_the_data_class_names(run):
    ctl, doc = run
    doc.set_dataset("blobs")
    train(ctl, 2)
    report = metrics_report(doc, ctl.snapshot())
    assert report.task == "multiclass"
    assert report.class_names == ("class 0", "class 1", "class 2")
    assert report.sets["test"].confusion.shape == (3, 3)
