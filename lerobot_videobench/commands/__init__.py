"""One module per ``lerobot-videobench`` subcommand; each defines ``register(subparsers)``."""
