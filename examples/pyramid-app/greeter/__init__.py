"""pyramid-app: greets and tells the time in a time zone."""
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config


@view_config(route_name="time", renderer="json")
@view_config(route_name="time_zone", renderer="json")
def time_view(request):
    zone = request.matchdict.get("zone") or request.registry.settings["default_zone"]
    try:
        now = datetime.now(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise HTTPNotFound(f"unknown time zone {zone!r}")
    return {"zone": zone, "time": now.isoformat(timespec="seconds")}


@view_config(route_name="home", renderer="string")
def home_view(request):
    return "Hello from Pyramid! Try /time/Europe/Paris\n"


def main(global_config, **settings):
    """The Pyramid WSGI app factory (PasteDeploy's signature)."""
    settings.setdefault("default_zone", "UTC")
    with Configurator(settings=settings) as config:
        config.add_route("home", "/")
        config.add_route("time", "/time")
        config.add_route("time_zone", "/time/{zone:.+}")
        config.scan(__name__)
        return config.make_wsgi_app()
