"""The version, kept apart so ``rentcal --version`` imports nothing heavy."""

__version__ = "0.1.0"
