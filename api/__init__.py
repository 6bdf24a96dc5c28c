"""The HTTP surface: GraphQL, webhooks, health, metrics and the panel. Entry points only translate
input into commands and queries."""
