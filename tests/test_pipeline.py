"""The step lists of docgen.pipeline (real engine, SQLite, LibreOffice): each step applies to the kinds of job
it declares and is timed once when it runs."""
from __future__ import annotations

from docgen import pipeline
from docgen.model import Kind
from tests.conftest import example, write_yaml


def test_the_new_input_list_reads_in_the_order_things_happen():
    assert pipeline.describe(pipeline.NEW_INPUT) == (
        "load → held (new) → check → bounds → render → room → number (new) → stamp → layout → convert → keep"
        " → seal (new, regeneration) → publish → distribute (new) → register → send (new)")
    for steps in (pipeline.CHECK, pipeline.REGENERATION, pipeline.PREVIEW):
        assert pipeline.NUMBER not in steps  # nothing but a new input takes a number
    assert pipeline.CHECK == pipeline.NEW_INPUT[:1] + pipeline.NEW_INPUT[2:5]  # all before the number, no more


def test_a_new_input_times_every_step_that_applies_once(engine, workspace):
    path = write_yaml(workspace / "inbox", "ny.yaml", example("beslut"))
    outcome = engine.process(path)
    assert outcome.ok, outcome.error
    assert list(outcome.timings) == [s.name for s in pipeline.NEW_INPUT]


def test_a_draft_skips_the_steps_for_registered_documents(engine, workspace):
    path = write_yaml(workspace / "inbox", "utkast.yaml", example("beslut") | {"status": "utkast"})
    outcome = engine.process(path)
    assert outcome.ok and outcome.draft and outcome.diarienummer is None, outcome.error
    skipped = {s.name for s in pipeline.NEW_INPUT if Kind.DRAFT not in s.on}
    assert skipped == {"held", "number", "seal", "distribute", "send"}
    # held runs before check, while every input still counts as new (it finds nothing kept for a draft)
    assert list(outcome.timings) == [s.name for s in pipeline.NEW_INPUT if s.name not in skipped - {"held"}]
