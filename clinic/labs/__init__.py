"""The labs, one module each. Adding a lab means adding its module and one line below."""

from . import short_expiry
from . import wrong_secret
from . import clock_skew
from . import query_string
from . import quoted_token
from .base import Lab

LABS: list[Lab] = [
    short_expiry.LAB,
    wrong_secret.LAB,
    clock_skew.LAB,
    query_string.LAB,
    quoted_token.LAB,
]

BY_SLUG: dict[str, Lab] = {lab.slug: lab for lab in LABS}
