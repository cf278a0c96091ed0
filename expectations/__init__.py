"""The gates: one Great Expectations suite per upload kind, built from the checks of its stage module."""
