"""emotion-vectors: emotion-vector geometry of open-weight language models, reproducibly."""

__version__ = "0.1.0"

__all__ = ["__version__"]
