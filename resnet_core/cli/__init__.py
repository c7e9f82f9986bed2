"""The command line's commands that train (`train`, `experiment`), study trained nets, and pick a
backend; `python -m resnet_core` registers them."""
