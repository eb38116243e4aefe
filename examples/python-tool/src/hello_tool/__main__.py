"""Command line entry point."""

import click

from . import greeting


@click.command()
@click.argument("name", default="world")
def main(name: str) -> None:
    """Prints a greeting."""
    click.echo(greeting(name))


if __name__ == "__main__":
    main()
