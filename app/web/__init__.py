"""The web role: every blueprint (a feature package each) and what every page shares."""
