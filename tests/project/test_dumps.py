"""files.dumps writes the same text as the straightforward encoder it replaced (kept here as
the reference), for the shipped examples, trained projects and generated JSON trees."""

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.project import load_example
from simulator.project.files import SHORT_LINE, dumps
from simulator.resources_path import example_paths


def reference_dumps(obj: object, indent: int = 2) -> str:
    def encode(value: object, level: int) -> str:
        if isinstance(value, (dict, list)) and value:
            compact = json.dumps(value, ensure_ascii=False, allow_nan=False)
            if len(compact) <= SHORT_LINE:
                return compact
        if isinstance(value, dict) and value:
            pad = " " * (indent * (level + 1))
            items = (f"{pad}{json.dumps(str(k))}: {encode(v, level + 1)}" for k, v in value.items())
            return "{\n" + ",\n".join(items) + "\n" + " " * (indent * level) + "}"
        if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
            pad = " " * (indent * (level + 1))
            items = (pad + encode(v, level + 1) for v in value)
            return "[\n" + ",\n".join(items) + "\n" + " " * (indent * level) + "]"
        return json.dumps(value, ensure_ascii=False, allow_nan=False)

    return encode(obj, 0) + "\n"


def test_the_examples_and_a_trained_project_are_written_as_before():
    docs = [json.loads(path.read_text(encoding="utf-8")) for path in example_paths()]
    for name in ("xor", "digits"):
        project = load_example(name)
        trainer = project.build_trainer()
        trainer.run(steps=40)
        docs.append(project.capture(trainer).to_dict())
    for doc in docs:
        assert dumps(doc) == reference_dumps(doc)


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
TREES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=12) | st.dictionaries(st.text(max_size=8), inner, max_size=8)
    ),
    max_leaves=40,
)


@settings(derandomize=True, max_examples=100, deadline=None, database=None)
@given(tree=TREES)
def test_any_json_tree_is_written_as_before(tree):
    assert dumps(tree) == reference_dumps(tree)
    assert json.loads(dumps(tree)) == tree


def test_nan_and_infinities_are_refused():
    for bad in (math.nan, math.inf, -math.inf):
        for doc in ({"a": [1.0, bad]}, [{"x": bad}], bad):
            try:
                dumps(doc)
            except ValueError:
                continue
            raise AssertionError(f"{doc!r} was written")
