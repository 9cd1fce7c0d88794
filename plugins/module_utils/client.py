# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The AloHub inbound-queue API's verbs, on top of the transport.

The client knows the envelopes (the list answer wraps records in
``{"success", "totalRecord", "data"}``, GET by id answers the bare record, PUT
answers an envelope with no record) and hands back normalised records
(queue_model), so nothing above it sees an API record. Every answer is
checked: a record of the wrong shape, a list that cannot be read whole, or
another queue's record where one was asked for is a ResponseError naming it.

The client exposes the target it talks to (``target``: the API URL as shown,
without user info, and the tenant id, if any) and raises typed errors that
carry what a message needs (method, full URL, status, error_code): nothing
above it reads the transport.

Imports queue_model and errors; it is given a transport.
"""

from __future__ import annotations

from ansible_collections.alohub.callcenter.plugins.module_utils import queue_model
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import (
    INCOMPLETE_HINT,
    RECORD_HINT,
    RESPONSE_HINT,
    ApiError,
    NotFoundError,
    RecordError,
    ResponseError,
    RouteError,
    TooLargeError,
)
from ansible_collections.alohub.callcenter.plugins.module_utils.text import value as shown_value


QUEUES_PATH = '/v1/queues/inbound'
PAGE_SIZE = 100          # asked for; the server may serve fewer per page
MAX_QUEUES = 50000       # a totalRecord above this is refused rather than read
SLACK_PAGES = 2          # pages read past what totalRecord needs, for pages that shift while read


def queue_path(value):
    return '%s/%d' % (QUEUES_PATH, queue_model.queue_id(value))


class Listing:
    """Every queue of the tenant, normalised, in server order; ``pages`` = the requests the read took."""

    def __init__(self, queues, total, pages):
        self.queues = queues
        self.total = total
        self.pages = pages

    def by_id(self):
        return dict((queue['id'], queue) for queue in self.queues)


class QueueClient:

    def __init__(self, transport):
        self.transport = transport
        self.warnings = []

    @property
    def target(self):
        """The API and tenant this client talks to: ``{api_url, tenant_id}``."""
        return dict(api_url=self.transport.shown_base, tenant_id=self.transport.tenant_id)

    def list_page(self, page, size=PAGE_SIZE):
        """One page: (normalised records, totalRecord)."""
        reply = self.transport.request('GET', QUEUES_PATH, params={'page': page, 'size': size})
        data = reply.data

        def bad(problem, hint=None):
            return ResponseError('GET', reply.url, reply.status, problem, path=QUEUES_PATH, **(dict(hint=hint) if hint else {}))

        if not isinstance(data, dict):
            raise bad('the list answer is not a JSON object')
        if _reports_failure(data):
            raise bad('the list answer reports no success (success %r, error_code %r)'
                      % (data.get('success'), data.get('error_code')))
        records = data.get('data')
        if records is None:
            records = []
        if not isinstance(records, list):
            raise bad('"data" is not a list of queue records')
        total = data.get('totalRecord')
        if isinstance(total, str) and total.strip().isascii() and total.strip().isdigit():
            total = int(total)
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise bad('"totalRecord" is not a count of queues: %s' % _shown(total))
        if total > MAX_QUEUES:
            raise bad('"totalRecord" is %d, more queues than this collection reads (%d)' % (total, MAX_QUEUES),
                      hint='if the tenant really holds that many queues, report it to the collection maintainers; '
                           'otherwise the server is not telling the truth')
        queues = []
        for index, record in enumerate(records):
            try:
                queues.append(queue_model.normalise(record, 'record %d of page %d' % (index, page)))
            except RecordError as exc:
                raise bad(exc.msg, RECORD_HINT)
        return queues, total

    def list_all(self, size=PAGE_SIZE):
        """Every queue of the tenant, or a ResponseError: the list is read whole or not at all.

        Follows pages until ``totalRecord`` distinct queues were seen. The server
        may cap the page size, so progress is measured in records, not pages;
        records are de-duplicated by id. Reading stops at a page bound derived
        from ``totalRecord``. When the queues read do not match ``totalRecord``
        (the list changed while it was read, or the server is inconsistent) the
        list is read once more; a second mismatch fails. A page too large to
        read (over the transport's size cap: a few huge records) is read again
        in pages half as large, down to one queue per page.
        """
        listing, problem = self._read_sized(size)
        if problem is None:
            return listing
        listing, problem = self._read_sized(size)
        if problem is None:
            return listing
        raise ResponseError('GET', self.transport.shown(QUEUES_PATH), 200,
                            'the queue list could not be read whole, twice: %s' % problem, path=QUEUES_PATH,
                            hint=INCOMPLETE_HINT)

    def _read_sized(self, size):
        """``_read_all`` at ``size`` queues per page, or at smaller sizes while a page is too large."""
        asked = size
        while True:
            try:
                listing, problem = self._read_all(size)
            except TooLargeError as exc:
                if size <= 1:
                    raise TooLargeError('GET', exc.url, exc.status, '%s, even with one queue per page; a single queue '
                                        'record that large is not one the collection reads' % exc.problem,
                                        path=QUEUES_PATH)
                size = max(1, size // 2)
                continue
            if size != asked:
                self.warnings.append('the queue list was read %d queues per page instead of %d: a page of %d queues '
                                     'was larger than the answers the collection reads' % (size, asked, size * 2))
            return listing, problem

    def _read_all(self, size):
        seen = {}
        queues, total = self.list_page(0, size)
        page_len = len(queues)
        limit = (-(-total // page_len) + SLACK_PAGES) if page_len else 1
        pages, stale, page, stop = 1, 0, 1, None
        _add(seen, queues)
        while len(seen) < total:
            if not queues:
                stop = 'page %d was empty' % (page - 1)
                break
            if pages >= limit:
                stop = 'stopped after %d pages, the most that totalRecord %d allows at %d queues per page' % (
                    pages, total, page_len)
                break
            queues, total = self.list_page(page, size)
            pages += 1
            page += 1
            stale = 0 if _add(seen, queues) else stale + 1
            if stale >= 2:
                stop = 'pages %d and %d brought no queue not seen before' % (page - 2, page - 1)
                break
        listing = Listing(list(seen.values()), total, pages)
        if len(seen) == total:
            return listing, None
        problem = 'the server reported totalRecord %d but served %d distinct queues in %d page%s (%d per page)' % (
            total, len(seen), pages, '' if pages == 1 else 's', page_len)
        return listing, problem + ('; %s' % stop if stop else '')

    def get(self, value):
        """The normalised record of one queue; NotFoundError when the tenant has no such queue (the API's 404)."""
        queue = queue_model.queue_id(value)
        path = queue_path(queue)
        try:
            reply = self.transport.request('GET', path)
        except RouteError:
            raise
        except ApiError as exc:
            if exc.status == 404:
                raise NotFoundError('inbound queue %d was not found for this tenant: GET %s answered HTTP 404%s. Hint: '
                                    'check the id; queues of other tenants are reported as not found'
                                    % (queue, exc.url, ' %s' % exc.error_code if exc.error_code else ''),
                                    status=404, error_code=exc.error_code, method='GET', url=exc.url, path=path)
            raise
        record = reply.data
        if isinstance(record, dict) and 'callinId' not in record and isinstance(record.get('data'), dict):
            record = record['data']  # tolerate an envelope around the record
        try:
            normalised = queue_model.normalise(record, 'the answer')
        except RecordError as exc:
            raise ResponseError('GET', reply.url, reply.status, exc.msg, path=path,
                                hint=RESPONSE_HINT if not isinstance(record, dict) else RECORD_HINT)
        if normalised['id'] != queue:
            # Callers plan (and PUT) by the id in the record: another queue's record
            # would send the update to that other queue.
            raise ResponseError('GET', reply.url, reply.status, 'the answer is the record of queue %d, not of the queue '
                                'asked for' % normalised['id'], path=path)
        return normalised

    def update(self, value, body):
        """PUT a partial update (wire form). Returns once the server accepted it; raises otherwise.

        A 2xx answer is acceptance unless its envelope reports failure; an answer
        that is not the documented envelope is accepted with a warning (the
        read-back that follows decides whether the update took).
        """
        path = queue_path(value)
        reply = self.transport.request('PUT', path, body=body)
        data = reply.data
        if isinstance(data, dict) and _reports_failure(data):
            raise ApiError('PUT', reply.url, reply.status, _text(data.get('error_code')), _text(data.get('error_message')),
                           reason='the server answered %d but reported failure' % reply.status, path=path)
        if not isinstance(data, dict) or str(data.get('success')).strip().lower() not in ('1', 'true'):
            self.warnings.append('PUT %s: the answer (HTTP %d) is not the documented success envelope (%s); '
                                 'whether the update took is decided by reading the queue back'
                                 % (reply.url, reply.status, _shown(data)))


def _add(seen, queues):
    """Add the queues not seen before; how many were new."""
    fresh = 0
    for queue in queues:
        if queue['id'] not in seen:
            seen[queue['id']] = queue
            fresh += 1
    return fresh


def _reports_failure(envelope):
    success = envelope.get('success')
    return success is False or success == 0 or (isinstance(success, str) and success.strip().lower() in ('0', 'false'))


def _text(value):
    return None if value is None else str(value)[:200]


def _shown(item, limit=80):
    text = shown_value(item)
    return text if len(text) <= limit else text[:limit] + '...'
