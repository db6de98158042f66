"""From source records to an RDF graph: load YAML, vocabularies, build, referral analytics."""
