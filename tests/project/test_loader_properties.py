"""Property: every loader, given a mutation of a valid file, loads something usable or raises
ProjectError, never anything else.

2,000 cases per loader, the same on every run (derandomized), drawn from the mutations of
tests/benchmarks/fuzz_loaders.py (which runs them by the hundred thousand): the shipped example
projects and weights exported from them, with values replaced by huge numbers, NaN, lone
surrogates, wrong types or deep nesting, keys deleted, added and repeated, bytes flipped,
inserted and cut; .npz members' headers, flags, compression methods and sizes; .safetensors
header fields and offsets.  "Usable": a project builds a trainer and its saved text reads back
the same; weights have the architecture's shapes and dtype and go into a Network.

Hypothesis draws one seed per case and the mutation draws everything else from
``random.Random(seed)``: a case then costs one draw (drawing each choice from Hypothesis took
three times as long and overran its buffer on a quarter of the cases), and a failure prints the
seed, which the script replays (``--replay NAME:SEED``).
"""

import random

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from tests.benchmarks import fuzz_loaders

CASES = settings(
    max_examples=2000,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
SEEDS = st.integers(min_value=0, max_value=2**63 - 1)


@pytest.mark.parametrize("loader", list(fuzz_loaders.LOADERS))
@CASES
@given(seed=SEEDS)
def test_loader_gives_something_usable_or_project_error(loader, seed):
    note(f"replay: python tests/benchmarks/fuzz_loaders.py --replay {loader}:{seed}")
    # run_case returns "loaded" or "refused" (ProjectError) and lets anything else escape.
    event(fuzz_loaders.run_case(loader, random.Random(seed)))
