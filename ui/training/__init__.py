"""Training from a page: runs queued for this user and read back (page_runs), with
the runs that served the rest of a press (served), what they will take
before the click (estimates), drawn while they train (progress, live_charts, experiment_panel),
the training cluster's state (cluster), trained twins and their studies (twins), the trained
nets the inspection pages pick (net_picker), and what a user takes away (exports)."""
