"""hello-tool: greets, as an example of a plug-in tool built under provseal."""

__version__ = "1.0.0"


def greeting(name: str) -> str:
    """Returns the greeting for `name`."""
    return f"hello, {name}"
