"""Reading sources: front matter with positions, the Markdown parse, safe file access."""
