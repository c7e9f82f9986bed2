"""Predict, then observe: a bank of questions the app can decide by running or counting
(bank.py, measure.py), and the class's votes on them (votes.py, kept in the run store's database)."""
