"""The package's version, in a module of its own so that the bottom layer (`http_boundary`'s
`User-Agent`) can name it without importing the package above it.

It comes from git: setuptools-scm writes `_version.py` (git-ignored) at every build and editable
install (pyproject.toml `[tool.setuptools_scm]`): a tag vX.Y.Z gives X.Y.Z, any other commit a
development version naming it, e.g. 0.1.dev225+g1a2b3c4d. A checkout never installed has none."""

__all__ = ["__version__"]

try:
    from ._version import __version__
except ImportError:  # a checkout that was never installed (scripts/bootstrap installs it)
    __version__ = "0+unknown"
