"""Predict, then observe: the class's rounds and votes (rounds), the teacher's panel
(teacher_panel) and what the page draws (view)."""
