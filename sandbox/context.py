"""The running emulator's world and settings, reached from inside a request."""
from flask import current_app


def current_world():
    return current_app.extensions["sandbox"]["world"]


def current_settings():
    return current_app.extensions["sandbox"]["settings"]
