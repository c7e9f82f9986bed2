"""CLI commands that train: `train` and `experiment` (registered by __main__)."""


def register(subparsers) -> None:
    """Add the training subcommands to the CLI's argparse subparsers."""
