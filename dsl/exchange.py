"""The exchange the language's clock refers to (SPEC §2.3): bars are aligned to its
midnight, ``time between`` reads its wall clock, sessions follow its calendar.

Defined once here.  The home's settings (``timezone`` and ``calendar`` in rbts.yaml) take
these as their defaults; code that holds a ``Settings`` reads them from there, code that
does not (the compiler, the app's figures) reads these.
"""

EXCHANGE_TZ = "America/New_York"
EXCHANGE_CALENDAR = "XNYS"
