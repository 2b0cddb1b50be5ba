"""Pure decisions: when to text and what about (kind, device, level), with no words, Flask, SQL or Redis."""
