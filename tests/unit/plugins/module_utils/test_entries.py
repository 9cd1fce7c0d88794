# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""entries.py: config entries, overlays and plan items, validated and named the way the user wrote them."""

from __future__ import annotations

import pytest

from ansible_collections.alohub.callcenter.plugins.module_utils import queue_model
from ansible_collections.alohub.callcenter.plugins.module_utils.entries import (
    Selection, Source, merge_overlay, parse_entries, parse_plan, plan_digest,
)
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import ValidationError


def test_entries_are_validated_naming_them():
    with pytest.raises(ValidationError) as info:
        parse_entries([{'id': 1, 'strategy': 1}, {'name': 'x', 'max_wait_sec': -1}])
    assert info.value.msg.startswith('config[1].max_wait_sec must be 0 or more')


def test_entries_of_a_file_are_named_by_the_file_counting_from_one():
    source = Source('config', 'queues.yml')
    with pytest.raises(ValidationError) as info:
        parse_entries([{'id': 1, 'strategy': 1}, {'id': 2}, {'name': 'sales', 'max_wait_sec': -1}], source)
    assert info.value.msg == 'queues.yml entry 3 (sales): max_wait_sec must be 0 or more; got -1'
    with pytest.raises(ValidationError) as info:
        parse_entries([{'id': 7, 'strategy': 'premium'}], source)
    assert info.value.msg.startswith('queues.yml entry 1 (id 7): strategy must be one of normal, vip')


@pytest.mark.parametrize('config, message', [
    ([{'strategy': 1}], 'config[0] needs an id or a name'),
    ([{}], 'config[0] needs an id or a name'),
    ([None], 'config[0] must be a mapping (a queue entry); got null'),
    (['queue 5'], 'config[0] must be a mapping (a queue entry); got a string'),
    ({'queues': []}, 'config must be a list of queue entries; got a mapping'),
    ([{'id': '../2', 'strategy': 1}], 'config[0].id must be a positive integer'),
    ([{'id': 5.0, 'strategy': 1}], 'config[0].id must be a positive integer; got 5.0'),
    ([{'id': True, 'strategy': 1}], 'config[0].id must be a positive integer; got true'),
    ([{'name': '', 'strategy': 1}], 'config[0].name must be a non-empty string'),
    ([{'id': 5, 'colour': 'red'}], 'config[0] has unsupported keys colour; supported: id, name, strategy'),
    ([{'id': 5, 'strategy': 1}, {'id': 6}, {'id': '5', 'max_wait_sec': 3}], 'config[0] and config[2] both name queue 5'),
    ([{'name': 'sales', 'strategy': 1}, {'id': 6, 'name': 'sales'}], 'config[0] and config[1] both name the queue "sales"'),
    ([{'id': 5, 'strategy': 1, 'strategy_name': 'vip'}], 'config[0].strategy_name is "vip" but config[0].strategy is 1 '
     '(normal); they must agree'),
    ([{'id': 5, 'strategy_name': 'premium'}], 'config[0].strategy_name must be one of normal, vip'),
    ([{'id': 5, 'moh_file_id': 83}], 'config[0].moh_file_id must be a string; got 83; quote a file name made of digits'),
    ([{'id': 5, 'announce_position': None, 'max_wait_sec': True}], 'config[0].max_wait_sec must be a whole number of '
     'seconds; got true'),
])
def test_bad_entries_are_rejected(config, message):
    with pytest.raises(ValidationError) as info:
        parse_entries(config)
    assert info.value.msg.startswith(message)


def test_two_entries_with_one_name_and_their_own_ids_are_two_queues():
    # The tenant may have two queues named "support": each entry names its own by id.
    entries = parse_entries([{'id': 1, 'name': 'support', 'strategy': 1}, {'id': 2, 'name': 'support', 'strategy': 2}])
    assert [e.queue_id for e in entries] == [1, 2]


def test_gathered_records_are_entries_read_only_keys_and_all(record):
    tenant = [record(1, 'a', strategy=2), record(2, 'b', strategy=None, musicinQueue=None, timeWait=None,
                                                 nguongRanhRoi=None)]
    entries = parse_entries([queue_model.normalise(r) for r in tenant])
    assert [e.queue_id for e in entries] == [1, 2]
    assert entries[1].desired == {}  # all settings null: leave alone
    assert entries[0].desired['strategy'] == 2  # strategy and strategy_name agree
    assert parse_entries(None) == []


@pytest.mark.parametrize('given, code', [('vip', 2), ('LOCKED', 99), ('3', 3), (4, 4)])
def test_strategy_name_alone_is_a_synonym_of_strategy(given, code):
    entry, = parse_entries([{'id': 5, 'strategy_name': given}])
    assert entry.desired == {'strategy': code}


def test_strategy_and_strategy_name_agreeing_in_other_spellings_pass():
    entry, = parse_entries([{'id': 5, 'strategy': '2', 'strategy_name': 'VIP'}])
    assert entry.desired == {'strategy': 2}


def test_a_name_with_control_characters_is_named_escaped():
    with pytest.raises(ValidationError) as info:
        parse_entries([{'name': 'x\x1b[2J\nfake', 'max_wait_sec': -1}], Source('config', 'q.yml'))
    assert info.value.msg.startswith('q.yml entry 1 (x\\x1b[2J\\x0afake): max_wait_sec')


# ---------------------------------------------------------------------------
# Overlays
# ---------------------------------------------------------------------------

BASE = [{'name': 'sales', 'strategy': 1, 'moh_file_id': 'base.wav', 'max_wait_sec': 60},
        {'name': 'support', 'strategy_name': 'vip'},
        {'id': 9, 'name': 'billing', 'max_wait_sec': 30}]


def test_an_overlay_wins_setting_by_setting_matched_by_name_or_id():
    merged = merge_overlay(BASE, [{'name': 'sales', 'moh_file_id': 'prod.wav'}, {'id': 9, 'max_wait_sec': 45},
                                  {'name': 'support', 'strategy': 'normal'}])
    assert merged == [{'name': 'sales', 'strategy': 1, 'moh_file_id': 'prod.wav', 'max_wait_sec': 60},
                      {'name': 'support', 'strategy': 'normal'},
                      {'id': 9, 'name': 'billing', 'max_wait_sec': 45}]
    assert BASE[0]['moh_file_id'] == 'base.wav'   # the base is not changed in place


def test_a_null_in_the_overlay_leaves_the_base_value():
    merged = merge_overlay(BASE, [{'name': 'sales', 'moh_file_id': None, 'max_wait_sec': 90}])
    assert merged[0] == {'name': 'sales', 'strategy': 1, 'moh_file_id': 'base.wav', 'max_wait_sec': 90}


@pytest.mark.parametrize('overlay, message', [
    ([{'name': 'sale', 'max_wait_sec': 1}], 'prod.yml entry 1 (sale) matches no entry of base.yml: an overlay changes '
     'the settings of entries the base file has (by name "sale")'),
    ([{'id': 10, 'max_wait_sec': 1}], 'prod.yml entry 1 (id 10) matches no entry of base.yml'),
    ([{'name': 'sales', 'max_wait_sec': -1}], 'prod.yml entry 1 (sales): max_wait_sec must be 0 or more'),
    ([{'name': 'sales', 'colour': 'red'}], 'prod.yml entry 1 (sales) has unsupported keys colour'),
])
def test_an_overlay_entry_that_matches_nothing_or_is_invalid_names_its_file_and_entry(overlay, message):
    with pytest.raises(ValidationError) as info:
        merge_overlay(BASE, overlay, Source('config', 'base.yml'), Source('overlay', 'prod.yml'))
    assert info.value.msg.startswith(message)


def test_an_overlay_entry_matching_two_base_entries_needs_an_id():
    base = [{'id': 1, 'name': 'support', 'strategy': 1}, {'id': 2, 'name': 'support', 'strategy': 2}]
    with pytest.raises(ValidationError, match=r'prod.yml entry 1 \(support\) matches 2 entries of base.yml'):
        merge_overlay(base, [{'name': 'support', 'max_wait_sec': 1}], Source('config', 'base.yml'),
                      Source('overlay', 'prod.yml'))


# ---------------------------------------------------------------------------
# Plan items
# ---------------------------------------------------------------------------

def test_plan_items_are_normalised_and_null_stays_null():
    item, = parse_plan([{'id': '5', 'name': 'x', 'before': {'strategy': 'vip', 'max_wait_sec': None},
                         'after': {'strategy': 1, 'max_wait_sec': '90'}}])
    assert (item.queue_id, item.before, item.after) == (5, {'strategy': 2, 'max_wait_sec': None},
                                                        {'strategy': 1, 'max_wait_sec': 90})
    assert item.unrestorable() == []
    back, = parse_plan([{'id': 5, 'before': {'max_wait_sec': 90}, 'after': {'max_wait_sec': None}}])
    assert back.unrestorable() == ['max_wait_sec']


def test_plan_items_of_a_file_are_named_by_the_file():
    with pytest.raises(ValidationError) as info:
        parse_plan([{'id': 5, 'name': 'x', 'before': {'strategy': 1}, 'after': {'strategy': 'premium'}}],
                   Source('plan', 'plan.yml', 'item'))
    assert info.value.msg.startswith('plan.yml item 1 (x): after.strategy must be one of')


def test_the_digest_binds_items_and_metadata_and_ignores_its_own_key():
    items = [{'id': 5, 'name': 'x', 'before': {'strategy': 1}, 'after': {'strategy': 2}}]
    meta = {'kind': 'plan', 'api_url': 'https://a', 'created': '2026-12-03T10:00:00Z'}
    digest = plan_digest(items, meta)
    assert digest.startswith('sha256:') and len(digest) == 71
    assert plan_digest(items, dict(meta, digest=digest)) == digest
    assert plan_digest([dict(items[0], after={'strategy': 3})], meta) != digest
    assert plan_digest(items, dict(meta, api_url='https://b')) != digest
    assert plan_digest(items + [{'id': 6, 'before': {}, 'after': {}}], meta) != digest


# ---------------------------------------------------------------------------
# Selections (include and exclude by name)
# ---------------------------------------------------------------------------

def test_a_selection_takes_names_by_pattern():
    selection = Selection(include=['sales*', 'support'], exclude=['sales-old'])
    assert [selection.takes(name) for name in ('sales', 'sales-hn', 'sales-old', 'support', 'Support', None)] == [
        True, True, False, True, False, False]
    assert Selection(exclude=['test*']).takes(None) is True and not Selection()
    taken, left = Selection(exclude=['t*']).split([{'name': 'test'}, {'name': 'sales'}, {'id': 5}])
    assert taken == [{'name': 'sales'}, {'id': 5}] and left == ['test']
    with pytest.raises(ValidationError, match='include and exclude take name patterns'):
        Selection(include=[''])
