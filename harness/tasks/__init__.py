"""Task and rubric formats, loading, validation and statistics."""
