"""Pure words and SMS encoding: languages, the texts' catalogs, the wording of each text, segments."""
