"""Commands, their handlers (one verb each) and the ports they need."""
