"""Auditing an LLM judge before trusting it: `corecraft judge audit --judge MODEL`.

A judge criterion is only as good as the model that grades it, and a judge that passes everything
makes a benchmark look easy while one that fails correct replies makes it look hard. The audit
replays each held-out task's reference solution, swaps in replies whose verdict is known, asks
the judge exactly as grading does, and reports agreement, false passes (the judge accepts a reply
that fails the criterion) and false fails (it rejects a correct one).

The labelled set covers every judge criterion of the held-out split (28 criteria, one each in 28
tasks, when this was written): positives are each task's reference reply plus every paraphrase in
its ``reference.alternatives`` (28 references, and the alternatives as they are added); negatives
are the 77 hand-written replies in ``rubrics/judge-audit/negatives.jsonl`` (at least 2 per
criterion; 65 of them pass every deterministic response check of their task when this was written,
so only the judge can fail them).
Callers can add more negatives, e.g. replies an adversary model wrote, through
``labelled_set(root, extra_negatives=...)``.
"""

from harness.grading.judge_audit.audit import AuditItem, AuditReport, run_audit
from harness.grading.judge_audit.labelled import LabelledReply, LabelledSetError, labelled_set

__all__ = ["AuditItem", "AuditReport", "LabelledReply", "LabelledSetError", "labelled_set", "run_audit"]
