"""The steps of a document's path, one job each; ``docgen.pipeline`` lists them in the order they run
(load → held → check → bounds → render → room → number → stamp → layout → convert → keep → seal →
publish → distribute → register → send). Each module's ``run(job, engine)`` takes the ``model.Job`` and
returns it with its part filled in; ``base.Step`` names it and says which kinds of job it applies to."""
