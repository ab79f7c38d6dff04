"""The steps of a document's path, one job each, in the order they run: load → validate → number →
render → convert → publish → distribute → register → send. Each module's ``run(job, engine)`` takes
the ``model.Job`` and returns it with its part filled in."""
