"""The package's version, in a module of its own so that the bottom layer (`http_boundary`'s
`User-Agent`) can name it without importing the package above it. pyproject.toml holds the same."""

__all__ = ["__version__"]

__version__ = "0.1.0"
