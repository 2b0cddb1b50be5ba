"""What the tests share besides fixtures: polling, test data, the emulator's control API, workers, sign-in."""
