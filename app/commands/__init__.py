"""One module per ``tda`` verb; each exposes ``register(subparsers)``."""
