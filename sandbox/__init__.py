"""Local emulator of the Fitbit Web API, the Google Health API and Vonage SMS, for the demo and the tests."""
from flask import Flask

from sandbox import control, fitbit, google, panel, phone, switches, vonage
from sandbox.config import load_settings
from sandbox.world import World


def create_app(config=None):
    """Build the emulator; settings come from `config`, else the environment, else the defaults."""
    app = Flask(__name__)
    app.extensions["sandbox"] = {"world": World(), "settings": load_settings(config)}
    for module in (fitbit, google, vonage, phone, control, switches, panel):
        app.register_blueprint(module.blueprint)
    return app
