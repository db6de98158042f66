"""From a valid graph to published artefacts: SQLite for Datasette, RDF dumps, the CLI."""
