"""The optimizer lab's controller: the race played by its clock, stopping by itself, reset,
the start, and each racer's optimizer and settings (the engine's Race is the reference)."""

import math

import numpy as np
import pytest

from simulator.app import optimizer_lab
from simulator.app.clock import ManualClock
from simulator.app.optimizer_lab import (
    DEFAULT_SPEED,
    FRAME_INTERVAL_S,
    LabController,
    build_optimizer,
    parse_settings,
    settings_text,
)
from simulator.engine import optimizers
from simulator.engine.surfaces import SURFACES, Race

# Each reading of the lab's clock moves it 5 ms: a frame is due every few readings, so how
# many frames a test sees follows from the work done, never from how busy the machine is.
LAB_CLOCK_TICK = 0.005


@pytest.fixture(autouse=True)
def work_paced_lab_clock(monkeypatch):
    monkeypatch.setattr(optimizer_lab, "Clock", lambda: ManualClock(tick=LAB_CLOCK_TICK))


@pytest.fixture
def lab(qapp):
    controller = LabController()
    yield controller
    controller.shutdown()


class Frames:
    """Counts a controller's frames (and the steps taken when each went out)."""

    def __init__(self, controller):
        self.steps = []
        controller.frame.connect(lambda: self.steps.append(controller.steps))

    def __len__(self):
        return len(self.steps)


def reference_race(lab, steps, tolerance=None):
    """The engine's own Race with the lab's surface, start and optimizers, run ``steps``."""
    race = Race(lab.surface, start=lab.start, tolerance=tolerance or lab.tolerance)
    for entry in lab.racers:
        opt = type(entry.optimizer)(**entry.optimizer.hyperparameters())
        race.add(entry.label, opt)
    race.run(steps)
    return race


def test_the_default_race_is_sgd_momentum_and_adam_on_rosenbrock(lab):
    assert lab.surface is SURFACES["rosenbrock"] and lab.start == SURFACES["rosenbrock"].start
    assert [e.kind for e in lab.racers] == ["SGD", "Momentum", "Adam"]
    assert [e.settings for e in lab.racers] == ["lr=0.001", "lr=0.001, momentum=0.9", "lr=0.05"]
    assert len({e.color for e in lab.racers}) == 3 and lab.speed == DEFAULT_SPEED
    assert not lab.playing and lab.steps == 0
    # Each reaches the tolerance within the step limit, SGD last: a race worth watching.
    race = reference_race(lab, lab.step_limit)
    reached = [r.reached_at for r in race.racers]
    assert all(n is not None for n in reached) and reached[0] == max(reached)


def test_play_takes_speed_steps_per_frame_as_its_clock_allows(qtbot, qapp):
    clock = ManualClock()  # stands still unless advanced
    lab = LabController(clock=clock)
    frames = Frames(lab)
    lab.set_speed(3)
    with qtbot.waitSignal(lab.playing_changed):
        lab.play()
    qtbot.waitUntil(lambda: len(frames) == 1)  # the first frame at once
    reads = clock.reads
    qtbot.waitUntil(lambda: clock.reads >= reads + 3)  # the loop runs on …
    assert len(frames) == 1 and lab.steps == 3  # … but no frame is due on a clock standing still
    clock.advance(FRAME_INTERVAL_S)
    qtbot.waitUntil(lambda: len(frames) == 2)
    assert frames.steps == [3, 6]
    with qtbot.waitSignal(lab.playing_changed) as paused:
        lab.pause()
    assert paused.args == [False] and not lab.playing
    clock.advance(1.0)
    reads = clock.reads
    qtbot.wait(50)
    assert clock.reads == reads and lab.steps == 6  # paused: the loop reads no clock
    lab.shutdown()


def test_steps_follow_the_frames_counted(qtbot, lab):
    frames = Frames(lab)
    lab.play()
    qtbot.waitUntil(lambda: len(frames) >= 5)
    lab.pause()
    played = len(frames) - 1  # pausing sends one more frame, of the same step
    assert frames.steps[:played] == [DEFAULT_SPEED * (k + 1) for k in range(played)]
    assert lab.steps == DEFAULT_SPEED * played
    reference = reference_race(lab, lab.steps)
    for entry, racer in zip(lab.racers, reference.racers):
        np.testing.assert_array_equal(entry.trail, racer.trail)
        np.testing.assert_array_equal(entry.values, racer.values)


def test_playing_stops_by_itself_when_every_racer_diverged(qtbot, qapp):
    lab = LabController(surface="bowl", kinds=())
    for lr in (1.5, 3.0):  # |1 − 2·lr| > 1: each step moves further out
        lab.add_racer("SGD", f"lr={lr}")
    with qtbot.waitSignal(lab.finished) as finished:
        lab.play()
    assert finished.args == ["Every optimizer diverged"] and not lab.playing
    assert all(e.diverged_at is not None for e in lab.racers)
    with qtbot.waitSignal(lab.message) as message:
        lab.play()
    assert "Reset" in message.args[0] and not lab.playing
    with qtbot.waitSignal(lab.message):
        lab.step()  # nothing can step
    lab.reset()
    assert lab.steps == 0 and all(e.diverged_at is None for e in lab.racers)
    lab.shutdown()


def test_playing_stops_when_all_reached_the_tolerance_or_at_the_step_limit(qtbot, qapp):
    lab = LabController(surface="bowl", kinds=("Momentum", "Adam"))
    lab.set_speed(50)
    with qtbot.waitSignal(lab.finished) as finished:
        lab.play()
    assert finished.args == ["Every optimizer reached the tolerance (0.001)"]
    assert all(e.reached_at is not None for e in lab.racers)
    assert lab.steps < lab.step_limit
    lab.set_surface("rosenbrock")
    lab.step_limit = 30
    lab.set_speed(7)
    with qtbot.waitSignal(lab.finished) as finished:
        lab.play()
    assert finished.args == ["The step limit (30 steps) is reached"] and lab.steps == 30
    lab.shutdown()


def test_reset_and_a_new_start_send_every_racer_back(qtbot, lab):
    for _ in range(4):
        lab.step()
    assert lab.steps == 4 and lab.racers[2].explain() is not None
    with qtbot.waitSignal(lab.frame):
        lab.reset()
    assert lab.steps == 0 and all(len(e.trail) == 1 for e in lab.racers)
    assert all(e.explain() is None for e in lab.racers)
    assert lab.racers[2].optimizer.state_for(0, "weights") == {}
    lab.play()
    qtbot.waitUntil(lambda: lab.steps > 0)
    with qtbot.waitSignal(lab.frame):
        lab.set_start((0.5, -0.25))  # pauses, then starts there
    assert not lab.playing and lab.start == (0.5, -0.25) and lab.steps == 0
    assert all(e.trail.tolist() == [[0.5, -0.25]] for e in lab.racers)
    lab.step()
    reference = reference_race(lab, 1)
    for entry, racer in zip(lab.racers, reference.racers):
        np.testing.assert_array_equal(entry.trail, racer.trail)
    with pytest.raises(ValueError, match="finite"):
        lab.set_start((math.nan, 0.0))
    with qtbot.waitSignal(lab.changed):
        lab.set_surface("himmelblau")
    assert lab.start == SURFACES["himmelblau"].start and lab.steps == 0


def test_changing_an_optimizer_and_its_settings_restarts_the_race(qtbot, lab):
    sgd, momentum, adam = lab.racers
    for _ in range(3):
        lab.step()
    with qtbot.waitSignal(lab.changed):
        lab.set_settings(momentum, "lr=0.002, momentum=0.5, dampening=0.1")
    assert (
        momentum.optimizer.hyperparameters()
        == optimizers.SGD(lr=0.002, momentum=0.5, dampening=0.1).hyperparameters()
    )
    assert momentum.settings == "lr=0.002, momentum=0.5, dampening=0.1"
    assert lab.steps == 0  # a fair race: everyone from the start again
    lab.set_kind(sgd, "Nesterov")
    assert sgd.kind == "Nesterov" and sgd.settings == "lr=0.001, momentum=0.9, nesterov=True"
    lab.set_kind(adam, "AdamW")
    lab.set_settings(adam, "lr=0.02, betas=(0.8, 0.99), amsgrad=true")
    assert adam.optimizer.name == "AdamW" and adam.optimizer.betas == (0.8, 0.99)
    assert adam.optimizer.amsgrad is True
    for _ in range(25):
        lab.step()
    reference = reference_race(lab, 25)
    for entry, racer in zip(lab.racers, reference.racers):
        np.testing.assert_array_equal(entry.trail, racer.trail)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("lr=-0.1", "Invalid learning rate: -0.1 (must be >= 0)"),
        ("lr=fast", "lr=fast is not a number"),
        ("lr=0.01, betas=(0.9, 0.99)", "SGD has no parameter 'betas'"),
        ("lr=0.01,, momentum", "cannot read it"),
        ("lr=0.1, lr=0.2", "a name is given twice"),
        ("lr=0.1, nesterov=True", "Nesterov momentum requires a momentum"),
    ],
)
def test_bad_settings_are_refused_with_a_message_and_the_old_ones_kept(qtbot, lab, text, says):
    sgd = lab.racers[0]
    before = sgd.optimizer
    lab.step()
    changes = []
    lab.changed.connect(lambda: changes.append(1))
    with pytest.raises(ValueError) as refused:
        lab.set_settings(sgd, text)
    message = str(refused.value)
    assert says in message and message.startswith("SGD: ")
    assert message.endswith("The settings stay lr=0.001")
    assert sgd.optimizer is before and lab.steps == 1 and not changes


def test_settings_are_read_and_written_as_name_value_pairs():
    assert parse_settings(" lr=1e-2, momentum=0.9 ,nesterov=True ") == {
        "lr": 0.01,
        "momentum": 0.9,
        "nesterov": True,
    }
    assert parse_settings("centered=false") == {"centered": False}
    assert parse_settings("") == {}
    opt = build_optimizer("RMSprop", "lr=0.003, momentum=0.5, centered=True")
    assert settings_text(opt) == "lr=0.003, momentum=0.5, centered=True"
    assert build_optimizer("RMSprop", settings_text(opt)).hyperparameters() == (
        opt.hyperparameters()
    )
    adam = optimizers.Adam(lr=1 / 3, betas=(0.5, 0.75))
    assert build_optimizer("Adam", settings_text(adam)).hyperparameters() == (
        adam.hyperparameters()
    )
    with pytest.raises(ValueError, match="unknown optimizer"):
        build_optimizer("LBFGS")


def test_a_new_tolerance_recounts_the_steps_to_reach_it(lab):
    for _ in range(1000):
        lab.step()
    lab.set_tolerance(1e-4)
    reference = reference_race(lab, 1000, tolerance=1e-4)
    assert [e.reached_at for e in lab.racers] == [r.reached_at for r in reference.racers]
    assert lab.racers[1].reached_at is not None  # momentum gets there within 1000 steps
    lab.set_tolerance(1e-1)
    reference = reference_race(lab, 1000, tolerance=1e-1)
    assert [e.reached_at for e in lab.racers] == [r.reached_at for r in reference.racers]
    with pytest.raises(ValueError, match="positive"):
        lab.set_tolerance(0)


def test_racers_are_added_removed_renamed_and_recoloured(qtbot, lab):
    lab.step()
    with qtbot.waitSignal(lab.changed):
        rms = lab.add_racer("RMSprop", "lr=0.01, momentum=0.5")
    assert lab.steps == 0 and rms.label == "RMSprop" and rms.kind == "RMSprop"
    assert rms.color not in {e.color for e in lab.racers[:3]}
    twin = lab.add_racer("RMSprop")
    assert twin.label == "RMSprop 2"
    lab.set_label(twin, "  slow RMSprop ")
    assert twin.label == "slow RMSprop" and twin.racer.label == "slow RMSprop"
    lab.set_color(twin, "#123ABC")
    assert twin.color == "#123abc"
    with pytest.raises(ValueError):
        lab.set_color(twin, "blue")
    with pytest.raises(ValueError):
        lab.set_label(twin, " ")
    with pytest.raises(ValueError, match="Invalid learning rate"):
        lab.add_racer("Adam", "lr=-1")
    lab.remove_racer(lab.racers[0])
    assert [e.label for e in lab.racers] == ["SGD + momentum", "Adam", "RMSprop", "slow RMSprop"]
    assert [r.label for r in lab.race.racers] == [e.label for e in lab.racers]
    for entry in lab.racers:
        lab.remove_racer(entry)
    with qtbot.waitSignal(lab.message):
        lab.play()
    assert not lab.playing


def test_a_new_clock_paces_from_its_own_time(qtbot, lab):
    frames = Frames(lab)
    lab.clock = ManualClock(start=1000.0)
    lab.play()
    qtbot.waitUntil(lambda: len(frames) == 1)
    lab.clock = ManualClock()  # earlier than the last frame: due at once all the same
    qtbot.waitUntil(lambda: len(frames) == 2)
    lab.pause()


def test_removing_the_last_racer_pauses(lab):
    lab.play()
    assert lab.playing
    for entry in list(lab.racers):
        lab.remove_racer(entry)
    assert not lab.playing
