"""What is kept: runs and their metrics in SQLite (runs, schema, migrate, archive) and trained
weights as safetensors (checkpoints)."""
