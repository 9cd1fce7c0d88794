# Sphinx configuration of the alohub.callcenter docs site; hacking/build-docs.sh runs
#   sphinx-build -c docs/site <generated rst> .build/docs/html
# on the RST that antsibull-docs writes from the collection (plugins, role, docs/docsite/).
# Started from `antsibull-docs sphinx-init --use-current` (antsibull-docs 2.28.0).
#
# Offline by default: the build must work on an air-gapped machine, so intersphinx is off and the
# few labels of the Ansible documentation that antsibull-docs' pages refer to are resolved to
# fixed links below. ALOHUB_DOCS_INTERSPHINX=1 turns intersphinx on (needs docs.ansible.com and
# docs.python.org; an unreachable inventory is a warning, which the build treats as an error).

import os
import re

from docutils import nodes

_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def _galaxy_version():
    """The collection version from galaxy.yml, without needing PyYAML here."""
    try:
        with open(os.path.join(_ROOT, 'galaxy.yml'), encoding='utf-8') as handle:
            match = re.search(r'^version:\s*["\']?([^"\'\s#]+)', handle.read(), re.M)
    except OSError:
        match = None
    return match.group(1) if match else ''


project = 'alohub.callcenter'
copyright = 'AloHub collection maintainers; GPL-3.0-or-later'  # pylint: disable=redefined-builtin
release = version = _galaxy_version()

title = 'alohub.callcenter documentation'
html_short_title = 'alohub.callcenter %s' % release if release else 'alohub.callcenter'
html_title = html_short_title

extensions = ['sphinx.ext.intersphinx', 'sphinx_antsibull_ext']

pygments_style = 'ansible'
highlight_language = 'YAML+Jinja'

html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False
display_version = False
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False

_REPOSITORY = 'https://github.com/alohub/ansible-collection-callcenter'
html_theme_options = {
    # The links in the black bar at the top (the theme's default points at Ansible's own sites).
    'topbar_links': {
        'Repository': _REPOSITORY,
        'Issues': _REPOSITORY + '/issues',
        'AWX guide': _REPOSITORY + '/blob/main/docs/awx.md',
    },
}

default_role = 'any'
# Every reference must resolve: a broken link in the docs fails the build (-W).
nitpicky = True

ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/devel/'

if os.environ.get('ALOHUB_DOCS_INTERSPHINX') == '1':
    intersphinx_mapping = {
        'python3': ('https://docs.python.org/3/', None),
        'ansible_devel': (ANSIBLE_DOCS, None),
    }
else:
    intersphinx_mapping = {}

# Labels of the Ansible documentation used by antsibull-docs' generated pages, resolved without
# intersphinx: label -> (page under ANSIBLE_DOCS, title used when the reference has none).
ANSIBLE_LABELS = {
    'common_return_values': ('reference_appendices/common_return_values.html', 'Return Values'),
    'ansible_configuration_settings': ('reference_appendices/config.html', 'Ansible Configuration Settings'),
    'module_defaults': ('playbook_guide/playbooks_module_defaults.html', 'Module defaults'),
    'check_mode_dry': ('playbook_guide/playbooks_checkmode.html', 'Validating tasks: check mode and diff mode'),
    'playbooks_delegation': ('playbook_guide/playbooks_delegation.html', 'Controlling where tasks run'),
}


def _resolve_ansible_label(app, env, node, contnode):  # pylint: disable=unused-argument
    """missing-reference handler: a known Ansible docs label becomes a link to docs.ansible.com."""
    if node.get('reftype') != 'ref' or node.get('reftarget') not in ANSIBLE_LABELS:
        return None
    page, label_title = ANSIBLE_LABELS[node['reftarget']]
    reference = nodes.reference('', '', internal=False, refuri=ANSIBLE_DOCS + page)
    reference += contnode if node.get('refexplicit') else nodes.inline(label_title, label_title)
    return reference


def setup(app):
    # After intersphinx (priority 500), so that its answer wins when it is on.
    app.connect('missing-reference', _resolve_ansible_label, priority=900)
