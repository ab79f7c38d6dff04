"""The step lists of docgen.pipeline (real engine, SQLite, LibreOffice): each step applies to the kinds of job
it declares and is timed once when it runs; a duplicate an earlier attempt at the same input registered is
a success for a retry, and a duplicate for anyone else."""
from __future__ import annotations

from docgen import pipeline
from docgen.model import ErrorKind, Job, Kind
from tests.conftest import example, write_yaml


def test_the_new_input_list_reads_in_the_order_things_happen():
    assert pipeline.describe(pipeline.NEW_INPUT) == (
        "load → held (new) → check → bounds → recall (new, regeneration) → render → waits (new) → room → number (new)"
        " → stamp → layout → convert → keep → seal (new, regeneration) → publish → distribute (new) → register"
        " → decided (new) → send (new)")
    for steps in (pipeline.CHECK, pipeline.REGENERATION, pipeline.PREVIEW):
        assert pipeline.NUMBER not in steps  # nothing but a new input takes a number
    # all that can refuse an input before the number, no more (held and recall only look up what a new input had)
    assert pipeline.CHECK == pipeline.NEW_INPUT[:1] + pipeline.NEW_INPUT[2:4] + pipeline.NEW_INPUT[5:6]


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
    assert skipped == {"held", "recall", "waits", "number", "seal", "distribute", "decided", "send"}
    # held runs before check, while every input still counts as new (it finds nothing kept for a draft)
    assert list(outcome.timings) == [s.name for s in pipeline.NEW_INPUT if s.name not in skipped - {"held"}]


def test_a_registered_copy_from_the_same_source_is_a_success_only_for_a_retry(engine, workspace):
    path = write_yaml(workspace / "inbox", "igen.yaml", example("uppdragshandling"))
    first = engine.process(path, source="inkorg/igen.yaml")
    assert first.ok, first.error

    again = engine.process(path, source="inkorg/igen.yaml")  # the same file handed in once more: a duplicate
    assert not again.ok and again.error_kind == ErrorKind.DUPLICATE
    assert (again.diarienummer, again.lopnummer) == (first.diarienummer, first.lopnummer)

    retried = engine.process(path, source="inkorg/igen.yaml", retry=True)  # an attempt after one that registered it
    assert retried.ok and retried.error_kind is None and retried.error is None
    assert (retried.diarienummer, retried.lopnummer) == (first.diarienummer, first.lopnummer)
    assert retried.warnings  # it says the earlier attempt registered it

    other = engine.run(Job("inkorg/annan.yaml", path, retry=True), pipeline.NEW_INPUT)  # a retry of another input
    assert not other.ok and other.error_kind == ErrorKind.DUPLICATE
