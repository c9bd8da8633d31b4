"""LaTeX output: SymPy printing in textbook notation and the one Jinja environment."""
