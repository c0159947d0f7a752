"""Small, dependency-light text helpers behind summarize.py and entities.py."""
