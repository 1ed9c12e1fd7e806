"""flask-hello: a greeting service small enough to read in one go."""
from flask import Flask, jsonify, request


def create_app():
    app = Flask(__name__)

    @app.get("/")
    def index():
        name = request.args.get("name", "world")
        return f"Hello, {name}!\n"

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    return app
