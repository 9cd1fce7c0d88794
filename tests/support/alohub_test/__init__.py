"""Test support shared by every test tree: tests/unit, tests/integration, tests/soak, tests/bench.

One package instead of test trees importing each other through ``sys.path``. It is
importable when ``tests/support`` is on the path: ``tests/pytest.ini`` puts it there for
pytest (with ``tests/simulator`` for ``alohub_sim``), the Makefile's PYTHONPATH for the soak
and the benchmark scripts.

* ``playenv``  how ansible-playbook is run: the collection link, the environment, the capture callback
* ``playbook`` ``Ansible`` (write and run a play against the simulator) and ``Run`` (what it produced)
* ``hostplay`` several task lists at once, one inventory host each
* ``chaos_mix`` the seeded random fault rules of the chaos tests and the soak
* ``hostile``  a raw-socket HTTP server that misbehaves at the byte level, per request
* ``processes`` the processes a test started and theirs (/proc): finding them, stopping all of them
"""
