"""AloHub inbound-queue API simulator (standard library only).

Run it with ``PYTHONPATH=tests/simulator python -m alohub_sim --help``;
drive it from tests with :class:`alohub_sim.harness.Simulator`.
"""

__version__ = "1.0.0"
