"""One module per CLI subcommand; see :mod:`emotion_vectors.cli` for the protocol."""
