"""markdown-it-py plugins: ``[[wikilinks]]``, entity auto-links and brief link rewriting."""
