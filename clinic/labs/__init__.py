"""The labs, one module each. Adding a lab means adding its module and one line below."""

from . import short_expiry
from .base import Lab

LABS: list[Lab] = [
    short_expiry.LAB,
    # wrong-secret
    # clock-skew
    # query-string
    # quoted-token
]

BY_SLUG: dict[str, Lab] = {lab.slug: lab for lab in LABS}
