"""maillage: the repository root is the package (see pyproject.toml); its parts are
:mod:`maillage.graph`, :mod:`maillage.shapes` and :mod:`maillage.publish`."""
