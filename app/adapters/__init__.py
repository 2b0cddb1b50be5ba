"""The outside world, one module per service: the platforms, Vonage, Redis pub/sub, locks, metrics, Sentry."""
