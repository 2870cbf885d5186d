"""Deterministic generator of the training split (tasks/train, rubrics/train).

``python -m harness.tasks.generate`` regenerates every ``tr-*`` file byte for byte. Each family
(a task template) draws from its own RNG (``random.Random(f"{seed}:{family}")``) over candidates read
from the committed world, skips every entity a held-out task uses (see ``core.Exclusions``), and
computes each rubric fact from the world, so the reference solution passes by construction.
Rerun it whenever tasks/heldout changes: a test compares the committed files with a fresh run.
"""
