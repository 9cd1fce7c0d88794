# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""queue_model.py: the FIELDS table, normalising wire shapes, validating settings, diffs and wire forms."""

from __future__ import annotations

import pytest

from ansible_collections.alohub.callcenter.plugins.module_utils import queue_model
from ansible_collections.alohub.callcenter.plugins.module_utils.errors import RecordError, ValidationError
from ansible_collections.alohub.callcenter.plugins.module_utils.queue_model import (
    desired_settings,
    differences,
    label,
    normalise,
    predict,
    queue_id,
    queue_name,
    to_config,
    to_wire,
)


# The sample record of the API document (1001226 "test"), as GET returns it.
SAMPLE = {'callinId': 1001226, 'callinName': 'test', 'strategy': 1, 'musicinQueue': 'moh-2024.wav', 'timeWait': '120',
          'agentSelector': None, 'nguongRanhRoi': None, 'callinNumber': None}

# interface.md, "The normalised queue record", in its order.
RECORD_KEYS = ['id', 'name', 'strategy', 'strategy_name', 'moh_file_id', 'max_wait_sec', 'announce_position',
               'agent_selector', 'number']


def with_fields(**fields):
    record = dict(SAMPLE)
    record.update(fields)
    return record


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------

def test_fields_table_maps_the_documented_fields():
    table = dict((option, (api, wire)) for option, api, wire, dummy in queue_model.FIELDS)
    assert table == {
        'id': ('callinId', None), 'name': ('callinName', None), 'strategy': ('strategy', 'strategy'),
        'moh_file_id': ('musicinQueue', 'moh_file_id'), 'max_wait_sec': ('timeWait', 'max_wait_sec'),
        'announce_position': ('nguongRanhRoi', 'announce_position'), 'agent_selector': ('agentSelector', None),
        'number': ('callinNumber', None),
    }
    assert queue_model.SETTINGS == ('strategy', 'moh_file_id', 'max_wait_sec', 'announce_position')


def test_normalised_record_has_the_documented_keys_in_order():
    assert list(normalise(SAMPLE)) == RECORD_KEYS


def test_normalise_the_sample():
    assert normalise(SAMPLE) == {
        'id': 1001226, 'name': 'test', 'strategy': 1, 'strategy_name': 'normal', 'moh_file_id': 'moh-2024.wav',
        'max_wait_sec': 120, 'announce_position': None, 'agent_selector': None, 'number': None,
    }


def test_normalise_all_null_record():
    record = dict((api, None) for dummy, api, dummy2, dummy3 in queue_model.FIELDS)
    record['callinId'] = 5
    normal = normalise(record)
    assert normal['id'] == 5
    assert all(value is None for key, value in normal.items() if key != 'id')


def test_normalise_missing_fields_are_null():
    normal = normalise({'callinId': 9})
    assert normal['name'] is None and normal['max_wait_sec'] is None and normal['strategy_name'] is None


@pytest.mark.parametrize('record, shape', [(['callinId', 1], 'a list'), ('x', 'a string'), (None, 'null'), (7, 'a number')])
def test_normalise_rejects_a_non_object(record, shape):
    with pytest.raises(RecordError) as info:
        normalise(record, 'record 3 of page 1')
    assert info.value.msg == 'record 3 of page 1 is not a JSON object (got %s)' % shape


@pytest.mark.parametrize('wire, expected', [
    ('120', 120), (120, 120), (' 45 ', 45), ('0', 0), (None, None), ('120.0', 120), (120.0, 120),
])
def test_normalise_time_wait(wire, expected):
    assert normalise(with_fields(timeWait=wire))['max_wait_sec'] == expected


# Not a whole number of seconds: the record is rejected, naming the queue and the field.
@pytest.mark.parametrize('wire', ['soon', '12.5', 12.5, 'nan', 'inf', float('nan'), float('inf'), -5, '-5', True,
                                  [120], {'s': 1}, '\u0661\u0662'])
def test_normalise_rejects_a_time_wait_that_is_not_seconds(wire):
    with pytest.raises(RecordError) as info:
        normalise(with_fields(timeWait=wire), 'record 0 of page 0')
    assert info.value.msg.startswith('record 0 of page 0 (callinId 1001226, callinName "test"): timeWait must ')
    assert info.value.details['field'] == 'timeWait'


@pytest.mark.parametrize('wire, expected', [
    ('1', True), (1, True), ('0', False), (0, False), (None, None), (True, True), (False, False), ('true', True),
    ('FALSE', False),
])
def test_normalise_announce_position(wire, expected):
    value = normalise(with_fields(nguongRanhRoi=wire))['announce_position']
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize('wire, code, name', [
    (1, 1, 'normal'), (2, 2, 'vip'), (3, 3, 'blacklist'), (4, 4, 'divert'), (99, 99, 'locked'),
    ('2', 2, 'vip'), (None, None, None), (7, 7, None),
])
def test_normalise_strategy(wire, code, name):
    normal = normalise(with_fields(strategy=wire))
    assert (normal['strategy'], normal['strategy_name']) == (code, name)


@pytest.mark.parametrize('field, wire', [
    ('nguongRanhRoi', '2'), ('nguongRanhRoi', 2), ('nguongRanhRoi', 'yes'), ('nguongRanhRoi', 1.0),
    ('strategy', 'vip'), ('strategy', True), ('strategy', 2.0), ('strategy', [2]),
    ('musicinQueue', 123), ('musicinQueue', ['a.wav']),
    ('callinName', 42), ('callinName', {'{{': 1}), ('callinNumber', 287000000), ('callinNumber', True),
    # An id is a positive integer, exactly: never a float, a boolean or a string.
    ('callinId', '1001226'), ('callinId', 1001226.0), ('callinId', 1001226.9), ('callinId', True), ('callinId', 0),
    ('callinId', -4), ('callinId', None), ('callinId', [1001226]),
    ('agentSelector', float('inf')), ('agentSelector', [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]),
])
def test_normalise_rejects_a_field_of_the_wrong_shape(field, wire):
    with pytest.raises(RecordError) as info:
        normalise(with_fields(**{field: wire}))
    assert ('%s must ' % field in info.value.msg or '%s is ' % field in info.value.msg
            or '%s holds ' % field in info.value.msg), info.value.msg
    assert info.value.details['field'] == field


def test_normalise_keeps_odd_text_as_data():
    # A lone surrogate cannot be written as UTF-8, but it is still a name: shown and written escaped, never refused,
    # so that one odd record does not make the whole tenant unreadable.
    normal = normalise(with_fields(callinName='x\ud800y', musicinQueue='\udcff.wav', agentSelector={'a\ud801': ['\udfff']}))
    assert normal['name'] == 'x\\ud800y' and normal['moh_file_id'] == '\\udcff.wav'
    assert normal['agent_selector'] == {'a\\ud801': ['\\udfff']}
    assert label(normal) == 'queue 1001226 (x\\ud800y)'


def test_normalise_read_only_fields():
    normal = normalise(with_fields(callinNumber='0287000000', agentSelector={'algo': 'round-robin', 'weights': [1, 2.5]}))
    assert normal['id'] == 1001226
    assert normal['number'] == '0287000000'
    assert normal['agent_selector'] == {'algo': 'round-robin', 'weights': [1, 2.5]}


# ---------------------------------------------------------------------------
# desired_settings
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('given, code', [
    (1, 1), (2, 2), (3, 3), (4, 4), (99, 99),
    ('normal', 1), ('vip', 2), ('blacklist', 3), ('divert', 4), ('locked', 99), ('VIP', 2), (' divert ', 4),
    ('1', 1), ('99', 99), (' 3 ', 3),
])
def test_strategy_accepts_codes_names_and_digit_strings(given, code):
    assert desired_settings({'strategy': given}) == {'strategy': code}


@pytest.mark.parametrize('given', [0, 5, 98, 100, -1, '5', 'premium', '', '1.0', 1.0, True, False, [1], {'code': 1}, '\u0661'])
def test_strategy_rejects_anything_else(given):
    with pytest.raises(ValidationError) as info:
        desired_settings({'strategy': given})
    assert 'strategy must be one of normal, vip, blacklist, divert, locked' in info.value.msg
    assert info.value.details['option'] == 'strategy'


@pytest.mark.parametrize('given, seconds', [(0, 0), (180, 180), ('180', 180), (' 30 ', 30)])
def test_max_wait_sec_accepts_whole_seconds(given, seconds):
    assert desired_settings({'max_wait_sec': given}) == {'max_wait_sec': seconds}


@pytest.mark.parametrize('given', [-1, '-5', 'abc', '', '1.5', 1.5, True, [180]])
def test_max_wait_sec_rejects_negative_and_non_numeric(given):
    with pytest.raises(ValidationError) as info:
        desired_settings({'max_wait_sec': given})
    assert info.value.msg.startswith('max_wait_sec must be')


@pytest.mark.parametrize('given', ['moh-2024.wav', 'x' * queue_model.MAX_TEXT, 'nhạc chờ.mp3'])
def test_moh_file_id_accepts_text(given):
    assert desired_settings({'moh_file_id': given}) == {'moh_file_id': given}


@pytest.mark.parametrize('given', ['', '   ', 'x' * (queue_model.MAX_TEXT + 1), 'a\nb', 'a\x00b', 'a\tb', 'a\x7fb', 123])
def test_moh_file_id_rejects_empty_long_control_and_non_text(given):
    with pytest.raises(ValidationError) as info:
        desired_settings({'moh_file_id': given})
    assert info.value.msg.startswith('moh_file_id must')


@pytest.mark.parametrize('given, flag', [(True, True), (False, False), (1, True), (0, False), ('1', True), ('yes', True),
                                         ('true', True), ('off', False)])
def test_announce_position_accepts_what_ansible_bool_options_take(given, flag):
    assert desired_settings({'announce_position': given}) == {'announce_position': flag}


@pytest.mark.parametrize('given', [2, -1, 'maybe', '', 1.0, [True], {'on': 1}])
def test_announce_position_rejects_anything_else(given):
    with pytest.raises(ValidationError, match='announce_position must be true or false'):
        desired_settings({'announce_position': given})


def test_announce_position_null_is_left_alone():
    assert desired_settings({'announce_position': None}) == {}


def test_desired_settings_skips_null_and_unknown_keys():
    given = {'id': 5, 'name': 'x', 'strategy': None, 'moh_file_id': None, 'max_wait_sec': 10, 'announce_position': None,
             'strategy_name': 'vip', 'number': '123'}
    assert desired_settings(given) == {'max_wait_sec': 10}


def test_desired_settings_names_the_entry():
    with pytest.raises(ValidationError) as info:
        desired_settings({'max_wait_sec': -3}, lambda option: 'config[4].%s' % option)
    assert info.value.msg.startswith('config[4].max_wait_sec must be 0 or more')
    assert info.value.details['option'] == 'config[4].max_wait_sec'


# ---------------------------------------------------------------------------
# queue_id and queue_name
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('given, value', [(1, 1), (1001226, 1001226), ('12', 12), (' 7 ', 7)])
def test_queue_id_accepts_positive_integers(given, value):
    assert queue_id(given) == value


@pytest.mark.parametrize('given', [True, False, 0, -1, '0', '-1', '../1', '%2F', '1/..', '1e3', '12.0', 12.0, '', '١٢', None, [1]])
def test_queue_id_rejects_anything_that_is_not_a_plain_positive_integer(given):
    with pytest.raises(ValidationError) as info:
        queue_id(given, label='config[0].id')
    assert info.value.msg.startswith('config[0].id must be a positive integer')


@pytest.mark.parametrize('given', ['', '   ', None, 5])
def test_queue_name_rejects_empty_and_non_text(given):
    with pytest.raises(ValidationError, match='name must be a non-empty string'):
        queue_name(given)


def test_queue_name_is_kept_exactly():
    assert queue_name(' support ') == ' support '


# ---------------------------------------------------------------------------
# differences, predict, to_wire, to_config, label
# ---------------------------------------------------------------------------

def test_same_value_in_another_wire_shape_is_no_difference():
    current = normalise(with_fields(timeWait='180', nguongRanhRoi=1, strategy='2'))
    desired = desired_settings({'max_wait_sec': 180, 'announce_position': True, 'strategy': 'vip'})
    assert differences(current, desired) == {}


def test_differences_are_only_the_differing_keys():
    current = normalise(SAMPLE)
    desired = desired_settings({'max_wait_sec': '180', 'strategy': 'normal', 'announce_position': False,
                                'moh_file_id': 'moh-2024.wav'})
    # announce_position is null on the server: that differs from false.
    assert differences(current, desired) == {'max_wait_sec': 180, 'announce_position': False}


def test_predict_applies_changes_and_renames_the_strategy():
    current = normalise(SAMPLE)
    after = predict(current, {'strategy': 99, 'max_wait_sec': 30})
    assert after['strategy'] == 99 and after['strategy_name'] == 'locked' and after['max_wait_sec'] == 30
    assert after['moh_file_id'] == current['moh_file_id']
    assert current['strategy'] == 1, 'predict must not change its input'


def test_to_wire_uses_the_api_forms():
    body = to_wire({'strategy': 2, 'max_wait_sec': 180, 'announce_position': True, 'moh_file_id': 'a.wav'})
    assert body == {'strategy': 2, 'max_wait_sec': '180', 'announce_position': '1', 'moh_file_id': 'a.wav'}
    assert isinstance(body['strategy'], int) and not isinstance(body['strategy'], bool)
    assert to_wire({'announce_position': False, 'max_wait_sec': 0}) == {'announce_position': '0', 'max_wait_sec': '0'}


@pytest.mark.parametrize('params', [
    {'strategy': '99'}, {'strategy': 'blacklist'}, {'max_wait_sec': '0'}, {'announce_position': True}, {'moh_file_id': 'x.wav'},
])
def test_validated_settings_sent_and_read_back_compare_equal(params):
    """desired -> wire -> what the server stores and returns -> normalised: no difference left."""
    desired = desired_settings(params)
    body = to_wire(desired)
    put_to_api = dict((wire, api) for dummy, api, wire, dummy2 in queue_model.FIELDS if wire)
    stored = dict(SAMPLE)
    for field, value in body.items():
        stored[put_to_api[field]] = value
    assert differences(normalise(stored), desired) == {}


def test_to_config_drops_read_only_keys_and_feeds_back():
    normal = normalise(with_fields(nguongRanhRoi='1'))
    config = to_config(normal)
    assert set(config) == {'id', 'name', 'strategy', 'moh_file_id', 'max_wait_sec', 'announce_position'}
    # A gathered entry fed back as desired settings is a no-op.
    assert differences(normal, desired_settings(config)) == {}


def test_to_config_of_a_null_record_is_a_no_op_entry():
    config = to_config(normalise({'callinId': 3, 'callinName': 'empty'}))
    assert desired_settings(config) == {}


def test_label():
    assert label(normalise(SAMPLE)) == 'queue 1001226 (test)'
