"""GPS patrol tracks: read, clean, assign, store, and the daily figures."""
