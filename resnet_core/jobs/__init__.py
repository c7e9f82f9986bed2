"""Who trains when, and where: the job runner and its fair queue, the teacher's controls, and the
executors (local worker processes or Ray) that run jobs and analysis tasks."""
