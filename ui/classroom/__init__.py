"""The teacher's side of a class: the box in the sidebar with its controls (teacher), the
checkpoint folder (checkpoints) and the projector view (projector)."""
