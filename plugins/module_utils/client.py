# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The AloHub inbound-queue API's verbs, on top of the transport.

The client speaks API records (``callinId``...) and knows the envelopes:
the list answer wraps records in ``{"success", "totalRecord", "data"}``, GET
by id answers the bare record, PUT answers an envelope with no record.
"""

from __future__ import annotations

from ansible_collections.alohub.callcenter.plugins.module_utils.errors import ApiError, ResponseError
from ansible_collections.alohub.callcenter.plugins.module_utils.queue_model import queue_id


QUEUES_PATH = '/v1/queues/inbound'
PAGE_SIZE = 100          # asked for; the server may serve fewer per page
MAX_PAGES = 10000        # a hard stop against a server that pages forever


def queue_path(value):
    return '%s/%d' % (QUEUES_PATH, queue_id(value))


class QueueClient:

    def __init__(self, transport):
        self.transport = transport
        self.warnings = []
        self.last_list_pages = 0  # requests the last list_all() made

    def list_page(self, page, size=PAGE_SIZE):
        """One page: (API records, totalRecord)."""
        reply = self.transport.request('GET', QUEUES_PATH, params={'page': page, 'size': size})
        data = reply.data
        if not isinstance(data, dict):
            raise ResponseError('GET', QUEUES_PATH, reply.status, 'the list answer is not a JSON object',
                                body_start=repr(data)[:200])
        records = data.get('data')
        total = data.get('totalRecord')
        if records is None:
            records = []
        if not isinstance(records, list) or not all(isinstance(r, dict) and 'callinId' in r for r in records):
            raise ResponseError('GET', QUEUES_PATH, reply.status, '"data" is not a list of queue records')
        try:
            total = int(total)
        except (TypeError, ValueError):
            raise ResponseError('GET', QUEUES_PATH, reply.status, '"totalRecord" is not a number: %r' % (total,))
        return records, total

    def list_all(self, size=PAGE_SIZE):
        """Every queue of the tenant: (API records in server order, totalRecord).

        Follows pages until ``totalRecord`` queues were seen. The server may cap
        the page size, so progress is measured in records, not pages; records
        are de-duplicated by id (pages can shift while we read). When the total
        is contradicted by what was served, reading goes on until a page is
        short or brings nothing new, and a warning says so.
        """
        seen = {}
        total = None
        page = 0
        page_len = None
        stale_pages = 0
        self.last_list_pages = 0
        while page < MAX_PAGES:
            records, total = self.list_page(page, size)
            self.last_list_pages += 1
            fresh = 0
            for record in records:
                key = record['callinId']
                if key not in seen:
                    seen[key] = record
                    fresh += 1
            if not records:
                break
            if page_len is None:
                page_len = len(records)  # what the server really serves per page
            stale_pages = stale_pages + 1 if fresh == 0 else 0
            if stale_pages >= 2:
                self.warnings.append('the queue list served the same records on consecutive pages; stopped reading at page %d' % page)
                break
            if len(records) < page_len or len(seen) == total:
                break
            page += 1
        if total is not None and len(seen) != total:
            self.warnings.append('the server reported totalRecord %d but served %d distinct queues' % (total, len(seen)))
        return list(seen.values()), total

    def get(self, value):
        """The API record of one queue, or None when the tenant has no such queue."""
        path = queue_path(value)
        try:
            reply = self.transport.request('GET', path)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        record = reply.data
        if isinstance(record, dict) and 'callinId' not in record and isinstance(record.get('data'), dict):
            record = record['data']  # tolerate an envelope around the record
        if not isinstance(record, dict) or 'callinId' not in record:
            raise ResponseError('GET', path, reply.status, 'the answer is not a queue record', body_start=repr(record)[:200])
        if str(record['callinId']).strip() != str(queue_id(value)):
            # Callers plan (and PUT) by the id in the record: another queue's record
            # would send the update to that other queue.
            raise ResponseError('GET', path, reply.status, 'the answer is the record of queue %r, not of the queue asked for'
                                % (record['callinId'],))
        return record

    def update(self, value, body):
        """PUT a partial update (wire form). Raises on anything but success."""
        path = queue_path(value)
        reply = self.transport.request('PUT', path, body=body)
        data = reply.data
        if isinstance(data, dict) and str(data.get('success', '1')) not in ('1', 'true', 'True'):
            raise ApiError('PUT', path, reply.status, data.get('error_code'), data.get('error_message'),
                           reason='the server answered 2xx but did not report success')
        return data
