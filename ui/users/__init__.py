"""Who is at this browser: an owner id and an optional name (identity), whether the session holds
the teacher's key (teacher_key), and whether it follows the teacher's projector (follow)."""
