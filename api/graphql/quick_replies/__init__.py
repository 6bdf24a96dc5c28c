"""Quick replies: the ones you see (shared and your own), managing them, and their texts
filled in for a dialog."""
