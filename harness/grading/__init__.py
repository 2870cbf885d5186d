"""Grading transcripts against rubrics: deterministic checks (state, trace, response), the LLM
judge, and the orchestration that turns an EpisodeRecord into an EpisodeGrade."""
