"""ampmini: a small, fast Ampache-API music server."""

__version__ = "0.1.0"
