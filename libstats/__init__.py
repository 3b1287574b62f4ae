"""libstats: anonymize public-library usage exports and publish leak-checked statistics."""

__version__ = "0.1.0"
