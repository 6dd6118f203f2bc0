"""The frame clock, the Throttle and the FrameTimer that views draw by."""

from simulator.app.clock import Clock, ManualClock, Throttle, time_left
from simulator.app.frame_timer import FrameTimer


def test_the_default_clock_moves_forward():
    clock = Clock()
    a = clock.now()
    b = clock.now()
    assert b >= a


def test_a_manual_clock_moves_only_when_told_and_counts_readings():
    clock = ManualClock(start=5.0)
    assert clock.now() == clock.now() == 5.0 and clock.reads == 2
    clock.advance(0.25)
    assert clock.now() == 5.25
    ticking = ManualClock(tick=0.001)
    assert [round(ticking.now(), 6) for _ in range(3)] == [0.001, 0.002, 0.003]


def test_a_throttle_allows_one_action_per_interval_of_its_clock():
    clock = ManualClock()
    throttle = Throttle(lambda: clock, 0.1)
    assert throttle.due() and throttle.wait_ms() == 0  # nothing done yet
    throttle.mark()
    assert not throttle.due() and throttle.wait_ms() == 100
    clock.advance(0.0999)
    assert not throttle.due() and throttle.wait_ms() == 1  # never 0 while not due
    clock.advance(0.0001)
    assert throttle.due() and throttle.wait_ms() == 0
    throttle.mark()
    throttle.reset()
    assert throttle.due()


def test_the_throttle_reads_whichever_clock_its_owner_has_now():
    owner = type("Owner", (), {})()
    owner.clock = ManualClock(start=100.0)
    throttle = Throttle(lambda: owner.clock, 1.0)
    throttle.mark()
    assert not throttle.due()
    # A time read on the old clock says nothing about the new one (which may stand earlier).
    owner.clock = ManualClock(start=0.0)
    assert throttle.due()
    throttle.mark()
    assert not throttle.due()


def drawing_timer():
    """(clock, timer, draws): a FrameTimer of 0.1 s on a ManualClock whose draws record the
    clock's time (and tell the timer they drew, as a view does)."""
    clock = ManualClock()
    draws = []
    timer = None

    def draw():
        draws.append(clock.time)
        timer.drawn()

    timer = FrameTimer(lambda: clock, 0.1, draw)
    return clock, timer, draws


def test_a_frame_timer_draws_once_per_interval_of_the_clock(qtbot):
    clock, timer, draws = drawing_timer()
    timer.request()  # due at once: drawn at the event loop's next turn
    qtbot.waitUntil(lambda: len(draws) == 1)
    for _ in range(5):  # many requests within the interval: none drawn while not due …
        timer.request()
    assert timer.pending()
    reads = clock.reads
    qtbot.waitUntil(lambda: clock.reads >= reads + 3)  # … however long real time goes on
    assert len(draws) == 1 and timer.pending()
    clock.advance(0.1)
    timer.request()  # due now: drawn at once, not when the earlier wait ends
    qtbot.waitUntil(lambda: len(draws) == 2)
    assert draws == [0.0, 0.1] and not timer.pending()
    timer.request()
    timer.cancel()
    assert not timer.pending()


def test_an_urgent_request_draws_at_the_next_turn_even_when_not_due(qtbot):
    clock, timer, draws = drawing_timer()
    timer.request()
    qtbot.waitUntil(lambda: len(draws) == 1)
    timer.request(urgent=True)  # paused: nothing to thin out, the clock need not move
    qtbot.waitUntil(lambda: len(draws) == 2)
    timer.request()  # not urgent and not due: waits for the clock
    reads = clock.reads
    qtbot.waitUntil(lambda: clock.reads >= reads + 3)
    assert len(draws) == 2 and timer.pending()
    timer.cancel()


def test_time_left_reads_as_the_progress_lines_say_it():
    assert time_left(0.2) == "about a second left"
    assert time_left(12.4) == "about 12 s left"
    assert time_left(300) == "about 5 min left"
