"""Deterministic generator of the training split (tasks/train, rubrics/train).

``python -m harness.tasks.generate`` regenerates every ``tr-*`` file byte for byte. Each family
(a task template) draws from its own RNG (``random.Random(f"{seed}:{family}")``) over candidates read
from the committed world, skips every entity a held-out task uses (see ``core.Exclusions``), and
computes each rubric fact from the world, so the reference solution passes by construction.

Rubrics read replies as claims (harness/grading/claims.py): every correctness check that requires a claim
names what contradicts it (``vocab.py``: opposite verdicts; ``num()`` / ``on()`` trap values such as the
undiscounted price, shipping added, the UTC day or the wrong year), and each task carries two generated
reply variants (``phrasing.py``) that must pass as well.

Rerun it whenever tasks/heldout changes: a test compares the committed files with a fresh run.
"""
