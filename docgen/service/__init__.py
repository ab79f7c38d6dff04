"""The inbox watcher: officers drop files, documents appear, nothing is ever lost.

``scan`` finds the wanted files and tells when each is complete, ``claims`` takes them by atomic
rename (and takes over a dead process's), ``observer`` keeps the file observer on the inbox, ``local``
and ``queued`` run a claimed input (here, or through the job queue; ``supervisor`` keeps a worker
beside the latter), ``finish`` ends it, ``watcher`` is the loop, ``reports`` writes what people read
(``.fel.txt``, log lines, ``docgen status``).
"""
from __future__ import annotations

from .claims import folders_of
from .reports import LogFormatter, report_text, status
from .scan import ignored
from .watcher import Watcher

__all__ = ["Watcher", "status", "LogFormatter", "report_text", "folders_of", "ignored"]
