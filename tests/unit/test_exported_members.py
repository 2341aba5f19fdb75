"""The package's public names: sorted, complete, and importable."""

import ddm_resources


def test_all_is_sorted_and_names_exist():
    assert ddm_resources.__all__ == sorted(ddm_resources.__all__, key=lambda n: (n.startswith("_"), n))
    for name in ddm_resources.__all__:
        assert hasattr(ddm_resources, name), name


def test_public_names_are_exported():
    for name in ddm_resources.__all__:  # the names of `resource` are loaded on first use
        getattr(ddm_resources, name)
    public = {n for n, v in vars(ddm_resources).items()
              if not n.startswith("_") and not isinstance(v, type(ddm_resources))}
    assert public == set(ddm_resources.__all__) - {"__version__"}
