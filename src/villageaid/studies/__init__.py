"""Simulation studies: Monte Carlo properties of the estimators, power for study design, specification curves."""
