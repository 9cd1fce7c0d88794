"""What the EDA event source alohub.callcenter.queue_changes costs a tenant, in requests per hour.

    PYTHONPATH=.build/collections:tests/support:tests/simulator .venv/bin/python tests/bench/eda_cost.py

One hour of polling with the source's defaults (interval 60 s, retries 5, max_retry_wait 60,
max_backoff 600, rate_limit_share 0.1), against the simulator with 100 queues a page (as the API
serves them), in virtual time: every wait the source asks for (between polls, and the transport's
waits before retries) moves a virtual clock and the simulator's frozen rate-limit clock by exactly
that much, so an hour takes seconds. Each scenario counts the API requests that arrived
(``/_sim/mark``), the polls, the failed polls and the events. docs/eda.md quotes the results.
"""

import asyncio
import json
import random
import sys

from alohub_sim.harness import Simulator

from ansible_collections.alohub.callcenter.extensions.eda.plugins.event_source import queue_changes as qc

TENANT = '20269998'
KEY = 'sk_test_eda_cost_key'
HOUR = 3600.0


class VirtualTime:
    def __init__(self, sim, on_time=None):
        self.now = 0.0
        self.sim = sim
        self.on_time = on_time

    def clock(self):
        return self.now

    def wall(self):
        return 1800000000.0 + self.now

    def advance(self, seconds):
        self.now += seconds
        self.sim.clock(advance=seconds)
        if self.on_time:
            self.on_time(self.now)

    async def sleep(self, seconds):
        self.advance(seconds)

    def request_sleep(self, seconds):
        self.advance(seconds)


def scenario(sim, name, queues, faults=(), mode='changes', until=None, **args):
    """One virtual hour; ``until``: the faults stop at that virtual time (an outage that ends)."""
    sim.reset(tenants={TENANT: dict(keys={KEY: ['queue']}, queues=queues)})
    sim.config(page_size_cap=100)
    sim.clock(freeze=1800000000)
    ended = []

    def on_time(now):
        if until is not None and now >= until and not ended:
            sim.faults([])
            ended.append(now)

    clock = VirtualTime(sim, on_time)
    extra = {}
    if mode == 'drift':
        path = '/tmp/alohub-eda-cost-queues.yml'
        records = sim.queues(TENANT)
        with open(path, 'w', encoding='utf-8') as handle:
            json.dump({'alohub_inbound_queues': [{'id': q, 'max_wait_sec': int(r['timeWait'] or 0) or None}
                                                 for q, r in records.items()]}, handle)
        extra = dict(mode='drift', queues_file=path)
    extra.update(args)
    source = qc.QueueWatch(dict(api_url=sim.url, api_key=KEY, tenant_id=TENANT, **extra), sleep=clock.sleep,
                           clock=clock.clock, wall=clock.wall, request_sleep=clock.request_sleep,
                           rng=random.Random(1).random, environ={})
    if faults:
        sim.faults(list(faults))
    queue = asyncio.Queue()
    start = sim.mark()
    recovered = None
    while clock.now < HOUR:
        failed_before = source.stats['failed']
        delay = asyncio.run(source.poll_once(queue))
        if until is not None and clock.now >= until and recovered is None and source.stats['failed'] == failed_before:
            recovered = clock.now - until   # the end of the first good poll after the outage
        clock.advance(delay)
    kinds = {}
    while not queue.empty():
        kind = queue.get_nowait()['alohub_event']
        kinds[kind] = kinds.get(kind, 0) + 1
    row = dict(scenario=name, requests_per_hour=sim.mark() - start, polls=source.stats['polls'],
               failed_polls=source.stats['failed'], events=kinds)
    if until is not None:
        row['first good poll after the outage ended (s)'] = None if recovered is None else round(recovered, 1)
    return row


def main():
    storm = dict(kind='rate_limit', retry_after=10, times=10 ** 6)
    kong = dict(kind='rate_limit_kong', times=10 ** 6)
    outage = dict(kind='gateway', status=502, times=10 ** 6)
    with Simulator() as sim:
        rows = [
            scenario(sim, '50 queues', 50),
            scenario(sim, '500 queues', 500),
            scenario(sim, '500 queues, drift mode', 500, mode='drift'),
            scenario(sim, '500 queues, 429 storm all hour (Retry-After 10 s)', 500, [storm]),
            scenario(sim, '500 queues, 429 storm all hour (no Retry-After)', 500, [kong]),
            scenario(sim, '500 queues, gateway 502 all hour', 500, [outage]),
            scenario(sim, '500 queues, gateway 502 for 10 minutes', 500, [outage], until=600),
        ]
    for row in rows:
        print(json.dumps(row))
    return 0


if __name__ == '__main__':
    sys.exit(main())
