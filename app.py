"""JWT Clinic: the application factory. Everything else lives in the clinic package."""

from flask import Flask

from clinic import commands, errors, security
from clinic.setup import configure, prepare_database, register_blueprints, register_extensions


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the app: defaults, instance config, environment, test config, then the parts."""
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    # Settings, in rising order of precedence, then derived values and the keys.
    configure(app, test_config)
    # Database, JWT and CSRF extensions, then the pages, the API, the labs and the lessons.
    register_extensions(app)
    register_blueprints(app)
    # JSON errors for the API, friendly pages elsewhere.
    errors.register_error_handlers(app)
    # Security headers, and tokens kept out of URLs and logs.
    security.install(app)
    # flask --app app reset-demo, purge-expired, ...
    commands.register(app)
    # Tables and the demo account, created on first run.
    prepare_database(app)
    return app
