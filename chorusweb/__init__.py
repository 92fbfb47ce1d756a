"""chorusweb: a dashboard for the public-sector side of Chorus Pro, through FactPulse."""

__version__ = "0.1.0"
