"""derive: correct, verified, typeset worked solutions for the mathematics of machine learning."""

__version__ = "0.1.0"
