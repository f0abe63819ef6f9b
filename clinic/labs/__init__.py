"""The labs, one module each. Adding a lab means adding its module and one line below."""

from importlib import import_module

from .base import Lab

# The modules in clinic/labs/, in the order the index shows them.
LAB_MODULES = [
    "short_expiry",
    "wrong_secret",
    "clock_skew",
    "query_string",
    "quoted_token",
]

LABS: list[Lab] = [import_module(f".{name}", __name__).LAB for name in LAB_MODULES]

BY_SLUG: dict[str, Lab] = {lab.slug: lab for lab in LABS}
