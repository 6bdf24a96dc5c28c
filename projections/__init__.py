"""Read models: one module per projection, owning its tables, the function that applies events to
them, and the queries that read them."""
