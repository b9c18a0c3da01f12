"""`youthbot demo`: a whole campaign through the real code paths, with its seed data."""
