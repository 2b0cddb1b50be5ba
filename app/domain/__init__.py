"""Rules applied to stored rows: accounts, tokens, readings, the outbox, alerting, audience, export."""
