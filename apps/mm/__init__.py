"""Hyperparameter-free majorization-minimization optimizers (optax transformations)."""
