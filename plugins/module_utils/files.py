# -*- coding: utf-8 -*-
# Copyright: (c) 2026, AloHub collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The files of the collection (queues files, plans, backups, drift reports): written safely, read as data.

Writing (``write``): to a temporary file in the target directory, flushed to
disk, then renamed into place, so a reader (or a crash) never sees half a file.
The final path component is never followed when it is a symbolic link, an
existing file of another kind (a backup, a plan, a file that is not the
collection's) is never overwritten, an existing file keeps its mode, and
backups and plans are created 0600. A directory the collection creates is
0700; an existing one is never changed.

Reading (``load_yaml``): YAML as data, within bounds a queues file or plan
never needs: no anchors or aliases (an alias bomb of a few hundred bytes
takes gigabytes), a size and a value cap, and no value that YAML would turn
into something else than was typed (``017`` is 15 and ``12:30`` is 750 for a
YAML 1.1 reader), which is refused with "quote it".

Every string is written double-quoted with control characters and
bidirectional controls escaped (``"\\e[2J"``, ``"\\u202E"``), tagged
``!unsafe`` where Ansible would otherwise template it, and reads back as the
same string.

Imports errors and text.
"""

from __future__ import annotations

import datetime
import functools
import math
import os
import re
import stat
import tempfile

try:
    import yaml
except ImportError:  # pragma: no cover - ansible-core itself needs PyYAML; ansible-test's import sanity runs without it
    yaml = None

from ansible_collections.alohub.callcenter.plugins.module_utils.errors import FileError, ValidationError
from ansible_collections.alohub.callcenter.plugins.module_utils.text import visible


# The kinds of file the collection writes, and the key that holds each one's metadata.
META_KEYS = dict(queues='alohub_file_meta', drift='alohub_file_meta', plan='alohub_plan_meta', backup='alohub_plan_meta')
DATA_KEYS = dict(queues='alohub_inbound_queues', plan='alohub_plan', backup='alohub_plan', drift='alohub_drift_report')
# Files that hold what a person reviewed or what undoes a change: never overwritten, not even with force.
PRECIOUS = ('plan', 'backup')
JUNIT_MARK = '<!-- alohub.callcenter drift report (JUnit XML) -->'

MAX_FILE_BYTES = 64 * 1024 * 1024
# An upper estimate of the values in a YAML text (one per line, comma, "- " or ": "), checked before it is parsed:
# a parser holds every node of a document at once, about 200 bytes each.
MAX_VALUES = 1500000
MAX_ITEMS = 50000        # the most queues a tenant can have (the client's cap): no list needs more


# ---------------------------------------------------------------------------
# Writing YAML
# ---------------------------------------------------------------------------

_STR = 'tag:yaml.org,2002:str'


@functools.lru_cache(maxsize=None)
def _yaml():
    """PyYAML's parts the reader and writer use: (resolver, strict libyaml loader, strict pure loader, libyaml's
    safe loader). Built on first use, so that importing this file needs no PyYAML."""
    if yaml is None:  # pragma: no cover - see the import
        raise FileError('the Python library PyYAML is not installed, and the collection reads and writes YAML with '
                        'it (ansible-core needs it too: run the modules with the Python that runs Ansible)')
    safe = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)

    class _Loader(_Strict, safe):  # pylint: disable=too-many-ancestors
        """The strict loader on libyaml (fast)."""

    class _PureLoader(_Strict, yaml.SafeLoader):  # pylint: disable=too-many-ancestors
        """The strict loader in Python: libyaml refuses the escape of a lone surrogate (``"\\uD800"``), which is how
        a name that is not valid text is written; this reads it back as it was."""

    for loader in (_Loader, _PureLoader):
        loader.add_constructor('tag:yaml.org,2002:int', _Strict.construct_yaml_int)
        loader.add_constructor('tag:yaml.org,2002:float', _Strict.construct_yaml_float)
        loader.add_constructor('tag:yaml.org,2002:timestamp', _Strict.construct_yaml_timestamp)
        loader.add_constructor('!unsafe', _Strict.construct_unsafe)
        loader.add_constructor(None, _Strict.construct_unknown)
    return yaml.resolver.Resolver(), _Loader, _PureLoader, safe


def _resolves_to_str(text):
    """Whether a YAML 1.1 reader takes ``text``, written plainly, for a string."""
    return _yaml()[0].resolve(yaml.ScalarNode, text, (True, False)) == _STR


_KEY = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
# What a double-quoted scalar escapes: the quote and the backslash, C0 and C1 controls and DEL, the
# bidirectional controls, the line and paragraph separators, the byte-order mark, lone surrogates and
# the two non-characters YAML cannot hold. Every other character is written as it is (Vietnamese names stay legible).
_ESCAPED = re.compile('["\\\\\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff'
                      '\ud800-\udfff\ufffe\uffff]')
_SHORT = {'"': '\\"', '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r'}


def _escape(match):
    char = match.group(0)
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    return '\\x%02X' % code if code < 0x100 else '\\u%04X' % code


def _string(text):
    """A string as a double-quoted scalar, tagged ``!unsafe`` (never templated when read back), except where a YAML
    1.1 reader would take its plain form for another type: ansible-core 2.19+ reads a tagged scalar by its plain
    form (``!unsafe "0"`` comes back as the number 0), and such a string cannot hold a template either."""
    quoted = '"%s"' % _ESCAPED.sub(_escape, text)
    if not text or not _resolves_to_str(text):
        return quoted
    return '!unsafe ' + quoted


def _key(key):
    if _KEY.match(key) and _resolves_to_str(key):
        return key
    return '"%s"' % _ESCAPED.sub(_escape, key)


def _scalar(item, where):
    if item is None:
        return 'null'
    if isinstance(item, bool):
        return 'true' if item else 'false'
    if isinstance(item, int):
        return str(int(item))
    if isinstance(item, float):
        if math.isnan(item) or math.isinf(item):
            raise ValidationError('%s holds a number that is not finite, which is not data' % where)
        return repr(float(item))
    if isinstance(item, str):
        return _string(str.__str__(item))   # str() keeps Ansible's own string subclasses
    if isinstance(item, dict) and not item:
        return '{}'
    if isinstance(item, (list, tuple)) and not item:
        return '[]'
    raise ValidationError('%s holds a %s, which is not data' % (where, type(item).__name__))


def _block(item, indent, lines, where):
    """Append the block-style lines of a non-empty mapping or list at ``indent`` spaces."""
    pad = ' ' * indent
    if isinstance(item, dict):
        for key, value in item.items():
            label = _key(str.__str__(key) if isinstance(key, str) else str(key))
            if isinstance(value, (dict, list, tuple)) and value:
                lines.append('%s%s:' % (pad, label))
                _block(value, indent + 2, lines, where)
            else:
                lines.append('%s%s: %s' % (pad, label, _scalar(value, where)))
        return
    for value in item:
        if isinstance(value, (dict, list, tuple)) and value:
            first = len(lines)
            _block(value, indent + 2, lines, where)
            lines[first] = '%s- %s' % (pad, lines[first][indent + 2:])
        else:
            lines.append('%s- %s' % (pad, _scalar(value, where)))


def comment(text):
    """``text`` as YAML comment lines: every line break starts a new ``#`` line, control characters escaped."""
    lines = str(text).splitlines() or ['']
    return ['# ' + visible(line) if line else '#' for line in lines]


def dump_yaml(data, header=(), where='the data'):
    """A YAML document of ``data`` (a mapping), headed by ``header`` as comment lines.

    Block style, lists indented under their key, every string double-quoted with the characters that could act on a
    terminal or a review escaped, and tagged ``!unsafe``: it reads back as the same data, and is never templated.
    """
    lines = ['---']
    for line in header:
        lines.extend(comment(line))
    if isinstance(data, dict) and data:
        _block(data, 0, lines, where)
    else:
        lines.append(_scalar(data, where))
    return '\n'.join(lines) + '\n'


# ---------------------------------------------------------------------------
# Reading YAML
# ---------------------------------------------------------------------------

_QUOTE_IT = ('YAML reads it as %s, not as what is written; quote it ("%s") if it is text, or write the number '
             'without leading zeros')


class _Strict:
    """Safe YAML that refuses values YAML 1.1 would silently turn into other ones, and unknown tags.

    Aliases need anchors, and ``load_yaml`` refuses a text with an anchor before it is composed, so no value is
    ever shared (an alias bomb expands exponentially in whatever copies the data).
    """

    def construct_yaml_int(self, node):
        text = node.value.replace('_', '') if isinstance(node.value, str) else ''
        digits = text.lstrip('+-')
        if '_' in node.value or ':' in text or (len(digits) > 1 and digits[0] == '0'):
            meaning = super().construct_yaml_int(node)
            raise yaml.constructor.ConstructorError(None, None, _QUOTE_IT % ('the number %d' % meaning, node.value),
                                                    node.start_mark)
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node):
        if ':' in node.value or '_' in node.value:
            raise yaml.constructor.ConstructorError(None, None, _QUOTE_IT % ('a number in base 60', node.value),
                                                    node.start_mark)
        return super().construct_yaml_float(node)

    def construct_yaml_timestamp(self, node):
        raise yaml.constructor.ConstructorError(None, None, _QUOTE_IT % ('a date', node.value), node.start_mark)

    def construct_unsafe(self, node):
        if not isinstance(node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(None, None, '!unsafe is for strings only', node.start_mark)
        return self.construct_scalar(node)

    def construct_unknown(self, node):
        raise yaml.constructor.ConstructorError(None, None, 'the tag %s is not supported here (a vault-encrypted value '
                                                'must encrypt the whole file: ansible-vault encrypt FILE)'
                                                % visible(str(node.tag)), node.start_mark)


def _estimate_values(text):
    return text.count('\n') + text.count(',') + text.count('- ') + text.count(': ')


def _has_anchor(text):
    """Whether the text defines an anchor (&name), read from the parser's events (only when '&' appears at all)."""
    if '&' not in text:
        return None
    for event in yaml.parse(text, Loader=_yaml()[3]):
        if getattr(event, 'anchor', None):
            return event
    return None


def load_yaml(text, path='the file'):
    """The data of a YAML (or JSON) text, or a FileError naming ``path`` and the line."""
    if len(text) > MAX_FILE_BYTES:
        raise FileError('%s is larger than %d MiB, more than any queues file or plan needs' % (
            visible(path), MAX_FILE_BYTES // 1048576))
    if _estimate_values(text) > MAX_VALUES:
        raise FileError('%s holds more than %d values, more than a queues file or plan of %d queues needs'
                        % (visible(path), MAX_VALUES, MAX_ITEMS))
    dummy, strict, pure, dummy2 = _yaml()
    try:
        anchor = _has_anchor(text)
        if anchor is not None:
            raise FileError('%s line %d: a YAML anchor (&%s); queues files and plans do not use anchors or aliases: '
                            'write each value out' % (visible(path), anchor.start_mark.line + 1, visible(anchor.anchor)))
        try:
            data = yaml.load(text, Loader=strict)  # nosec B506: a SafeLoader  # noqa: S506
        except yaml.scanner.ScannerError as exc:
            if 'invalid Unicode character escape' not in str(exc.problem):
                raise
            data = yaml.load(text, Loader=pure)  # nosec B506: a SafeLoader  # noqa: S506
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = ' line %d' % (mark.line + 1) if mark is not None else ''
        what = '' if isinstance(exc, yaml.constructor.ConstructorError) else ' is not readable YAML:'
        raise FileError('%s%s:%s %s' % (visible(path), where, what, visible(str(exc.problem or exc.context or exc))))
    except yaml.YAMLError as exc:
        raise FileError('%s is not readable YAML: %s' % (visible(path), visible(str(exc))))
    except RecursionError:
        raise FileError('%s is nested too deeply to be a queues file or a plan' % visible(path))
    _check_lists(data, path)
    return data


def _check_lists(data, path):
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            if len(item) > MAX_ITEMS:
                raise FileError('%s holds a list of %d items; the most a queues file or plan needs is %d (the queues '
                                'a tenant can have)' % (visible(path), len(item), MAX_ITEMS))
            stack.extend(value for value in item if isinstance(value, (list, dict)))
        elif isinstance(item, dict):
            stack.extend(value for value in item.values() if isinstance(value, (list, dict)))


# ---------------------------------------------------------------------------
# What a file is
# ---------------------------------------------------------------------------

def kind_of(data):
    """The kind of a document the collection wrote (``queues``, ``plan``, ``backup``, ``drift``), or None.

    A queues file written before 2.0 (no ``alohub_file_meta``) is a queues file too.
    """
    if not isinstance(data, dict):
        return None
    for key in ('alohub_plan_meta', 'alohub_file_meta'):
        meta = data.get(key)
        if isinstance(meta, dict) and meta.get('kind') in META_KEYS:
            return meta['kind']
    if isinstance(data.get('alohub_inbound_queues'), list):
        return 'queues'
    if isinstance(data.get('alohub_plan'), list):
        return 'plan'
    return None


def meta_of(data):
    if not isinstance(data, dict):
        return {}
    for key in ('alohub_plan_meta', 'alohub_file_meta'):
        if isinstance(data.get(key), dict):
            return data[key]
    return {}


def existing(path):
    """(kind, data) of the file at ``path``: ('junit', None) for the collection's JUnit report, (None, None) for a
    file that is not the collection's (or is not readable as such)."""
    with open(path, 'rb') as handle:
        head = handle.read(MAX_FILE_BYTES + 1)
    try:
        text = head.decode('utf-8')
    except UnicodeDecodeError:
        return None, None
    if JUNIT_MARK in text[:4096]:
        return 'junit', None
    try:
        data = load_yaml(text, path)
    except ValidationError:
        return None, None
    return kind_of(data), data


def existing_kind(path):
    """(kind, metadata) of the file at ``path``, as ``existing`` tells it."""
    kind, data = existing(path)
    return kind, meta_of(data)


# ---------------------------------------------------------------------------
# Writing files
# ---------------------------------------------------------------------------

def _refuse(message):
    raise FileError(message)


def make_dirs(path):
    """Create the missing directories of ``path`` (0700 each); an existing one is left as it is."""
    missing = []
    head = os.path.abspath(path)
    while not os.path.isdir(head):
        if os.path.lexists(head):
            _refuse('%s is in the way: it is not a directory' % visible(head))
        missing.append(head)
        parent = os.path.dirname(head)
        if parent == head:
            break
        head = parent
    for directory in reversed(missing):
        os.mkdir(directory, 0o700)
        os.chmod(directory, 0o700)   # whatever the umask
    return bool(missing)


def check_target(path, kind, same_owner=None, force=False):
    """Refuse to write a file of ``kind`` at ``path`` when that would follow a link or clobber another file.

    ``same_owner(data)``: for an existing file of the same kind, None when it may be replaced, or the reason it may
    not (another tenant's queues file); ``force`` replaces it anyway, and a file that is not the collection's, but
    never a plan or a backup. Returns the existing file's mode, or None when there is none.
    """
    shown = visible(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        _refuse('%s cannot be written: a part of its path is a file, not a directory' % shown)
    if stat.S_ISLNK(info.st_mode):
        _refuse('%s is a symbolic link; the collection does not write through links (another user may have planted '
                'it to make this run overwrite a file of theirs choosing): remove it, or give the real path' % shown)
    if not stat.S_ISREG(info.st_mode):
        _refuse('%s exists and is not a regular file; nothing was written' % shown)
    found, data = existing(path)
    if found == kind:
        reason = same_owner(data) if same_owner else None
        if reason and not force:
            _refuse('%s %s; nothing was written. Give another path, or -e force=true to replace it' % (shown, reason))
    elif found in PRECIOUS:
        _refuse('%s is a %s, not a %s; a %s is never overwritten (it is %s): give another path'
                % (shown, found, kind, found, 'what was reviewed' if found == 'plan' else 'what undoes an apply'))
    elif not force:
        what = 'a %s' % found if found else 'not a file the collection wrote'
        _refuse('%s exists and is %s, not a %s; nothing was written. Give another path, or -e force=true to replace it'
                % (shown, what, kind))
    return stat.S_IMODE(info.st_mode)


def write(path, text, kind, same_owner=None, force=False, check_mode=False):
    """Write ``text`` as the file of ``kind`` at ``path``, atomically and safely (see the module docstring).

    Returns True when the file changed (it did not exist, or held something else); in check mode only says so.
    """
    path = os.path.abspath(path)
    mode = check_target(path, kind, same_owner, force)
    data = text.encode('utf-8', 'surrogateescape')
    if mode is not None:
        with open(path, 'rb') as handle:
            if handle.read(len(data) + 1) == data:
                return False
    if check_mode:
        return True
    make_dirs(os.path.dirname(path))
    if mode is None:
        mode = 0o600 if kind in PRECIOUS else 0o666 & ~_umask()
    atomic_write(path, data, mode)
    return True


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path, data, mode):
    """``data`` at ``path``: a temporary file beside it, flushed and synced, renamed into place, the directory synced."""
    directory = os.path.dirname(path)
    handle, temp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), suffix='.tmp', dir=directory)
    try:
        with os.fdopen(handle, 'wb') as stream:
            stream.write(data)
            stream.flush()
            os.fchmod(stream.fileno(), mode)
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.lexists(temp):
            os.unlink(temp)
        raise
    sync_directory(directory)


def sync_directory(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)
