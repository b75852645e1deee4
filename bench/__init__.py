"""ticketflow's benchmarks: ``python -m bench`` (``make bench``) runs them all.

Speed is measured here, never asserted in the test suite.
"""
