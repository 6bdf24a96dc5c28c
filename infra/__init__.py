"""Infrastructure: settings, the composition root, the event store, the writer, the projector,
adapters and the command line."""
