#!/usr/bin/env bash
# Build the collection's HTML docs site into .build/docs/html (git-ignored): hacking/build-docs.sh
#
#   1. antsibull-docs lint-collection-docs: plugin and role docs (schema, markup, references) and
#      the extra docs in docs/docsite/ (labels, references); any finding fails the build.
#   2. antsibull-docs collection: RST for every module, the role (meta/argument_specs.yml), the
#      collection index, the environment variable index and the guides of docs/docsite/.
#   3. sphinx-build with docs/site/conf.py and the Ansible theme, warnings as errors.
#   4. A smoke check of the HTML: the module pages show their options, the role page and the
#      guide exist and are linked from the start page.
#
# Tools come from PATH (make runs this with the dev venv's bin first): antsibull-docs, sphinx-build
# and ansible-doc; docs/site/requirements.txt lists the Python packages. Works offline: intersphinx
# is off unless ALOHUB_DOCS_INTERSPHINX=1 (see docs/site/conf.py).
#
#   DOCS_OUT=DIR       where the site goes (default .build/docs); the HTML is DIR/html
#   DOCS_LINT=0        skip step 1 (it takes a while on a slow machine)
#
# The site is built in a private scratch directory and moved into place only when every step
# passed, so a failed build leaves the previous site alone and concurrent builds do not mix.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
site=$root/docs/site
out=${DOCS_OUT:-$root/.build/docs}
collection=alohub.callcenter

say() { printf 'build-docs: %s\n' "$*"; }
fail() { printf 'build-docs: FAILED: %s\n' "$*" >&2; exit 1; }

missing=()
for tool in antsibull-docs sphinx-build ansible-doc; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
    fail "not on PATH: ${missing[*]}. Install them into the venv: pip install -r docs/site/requirements.txt" \
        "(ansible-core comes from the venv). PATH=$PATH"
fi

mkdir -p "$out"
scratch=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# The collection as ansible_collections/alohub/callcenter (a link to this work tree), and nothing
# else: no collection installed under ~/.ansible can shadow it.
coll_dir=$("$root/hacking/collection-tree.sh" link "$scratch/collections")
export ANSIBLE_COLLECTIONS_PATH=$scratch/collections
export ANSIBLE_NOCOLOR=1

step_start=$SECONDS
step_done() { say "$1 ($((SECONDS - step_start)) s)"; step_start=$SECONDS; }

if [ "${DOCS_LINT:-1}" != 0 ]; then
    say "antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs"
    # lint-collection-docs prints one line per finding and exits 0 only when there is none.
    # It copies the collection to a mkdtemp directory whose path ends up in the RST it checks; a
    # random name ending in "_" (1 run in 37) reads as an RST reference ("Unknown target name:
    # antsibull-docs-xxxxxxx") and fails the lint. Temporary names without "_" avoid that.
    (cd "$coll_dir" && python -c '
import sys, tempfile
tempfile._RandomNameSequence.characters = "abcdefghijklmnopqrstuvwxyz0123456789"
from antsibull_docs.cli.antsibull_docs import main
sys.argv[0] = "antsibull-docs"
sys.exit(main())' lint-collection-docs --plugin-docs --check-extra-docs-refs \
        --validate-collection-refs all --disallow-unknown-collection-refs .) ||
        fail "antsibull-docs lint-collection-docs found problems (listed above)"
    step_done "lint: clean"
fi

rst=$scratch/rst
mkdir -p "$rst"
cp -R "$site/rst/." "$rst/"
chmod -R og-w "$rst"   # antsibull-docs insists on a destination only its owner can write
say "antsibull-docs collection $collection -> RST"
antsibull-docs --config-file "$site/antsibull-docs.cfg" collection --use-current --fail-on-error \
    --cleanup everything --dest-dir "$rst" "$collection" ||
    fail "antsibull-docs could not render the collection's docs"
step_done "RST written: $(find "$rst" -name '*.rst' | wc -l) pages"

# antsibull-docs indexes only the environment variables that plugin options declare with `env:`;
# module options cannot (their env fallbacks live in the argument spec), so its index of this
# collection's variables comes out empty. Write it from the modules' own documentation instead: every
# E(NAME) an option's description names as its fallback, with the option and the modules using it.
say "environment variable index from the modules' option docs"
python=$(command -v python3)
[ -x "$(dirname "$(command -v ansible-doc)")/python" ] && python=$(dirname "$(command -v ansible-doc)")/python
# shellcheck disable=SC2046  # one argument per module name
ansible-doc -t module -j $(ansible-doc -t module -l "$collection" -j | "$python" -c 'import json, sys; print(*sorted(json.load(sys.stdin)))') \
    >"$scratch/modules.json" || fail "ansible-doc could not dump the modules' documentation"
"$python" - "$scratch/modules.json" "$rst/collections/environment_variables.rst" "$collection" <<'PY' ||
import json, re, sys
source, out, collection = sys.argv[1:4]
with open(source) as handle:
    modules = json.load(handle)
found = {}
for module, data in sorted(modules.items()):
    for option, spec in sorted(data['doc'].get('options', {}).items()):
        text = spec.get('description', [])
        text = [text] if isinstance(text, str) else text
        for line in text:
            for name in re.findall(r'E\((\w+)\)', line):
                if 'environment variable is used' in line or 'fallback' in line or line.startswith('If not set'):
                    entry = found.setdefault(name, {'option': option, 'description': text[0], 'modules': []})
                    entry['modules'].append(module)
if not found:
    sys.exit('no option names an environment variable fallback')


def rst(text):
    """Ansible's documentation markup (C(), V(), O(), E(), I(), B(), U()) as RST."""
    text = re.sub(r'[CVOE]\(([^)]*)\)', r'``\1``', text)
    text = re.sub(r'I\(([^)]*)\)', r'*\1*', text)
    text = re.sub(r'B\(([^)]*)\)', r'**\1**', text)
    return re.sub(r'U\(([^)]*)\)', r'\1', text)


lines = [':orphan:', '', '.. _list_of_collection_env_vars:', '', 'Index of all Collection Environment Variables',
         '=============================================', '',
         'The modules of %s read these environment variables for options that are not set '
         '(module options, ``module_defaults`` and the role\'s variables win). An empty variable counts as unset.' % collection,
         'Environment variables of ansible-core are documented in the Ansible configuration settings.', '']
for name, entry in sorted(found.items()):
    plugins = ', '.join(':ansplugin:`%s#module`' % m for m in sorted(set(entry['modules'])))
    lines += ['.. envvar:: %s' % name, '', '    Fallback of the option ``%s``: %s' % (entry['option'], rst(entry['description'].replace('\n', ' '))),
              '', '    *Used by:* %s' % plugins, '']
open(out, 'w').write('\n'.join(lines) + '\n')
print('build-docs: %d environment variables indexed: %s' % (len(found), ' '.join(sorted(found))))
PY
    fail "could not write the environment variable index"

html=$scratch/html
say "sphinx-build -W (warnings are errors)"
sphinx-build -b html -c "$site" -d "$scratch/doctrees" -W --keep-going -q "$rst" "$html" ||
    fail "sphinx-build reported errors or warnings (listed above)"
step_done "HTML built"

# Smoke check: the pages people open first show what they need.
pages=$html/collections/alohub/callcenter
check() {  # check FILE WORD...: FILE exists and contains every WORD
    local file=$1 word
    shift
    [ -s "$file" ] || fail "missing page ${file#"$html"/}"
    for word in "$@"; do
        grep -qF -- "$word" "$file" || fail "${file#"$html"/} does not mention '$word'"
    done
}
for module in inbound_queue inbound_queue_info inbound_queues; do
    check "$pages/${module}_module.html" 'id="parameter-api_key"' 'id="parameter-api_url"' \
        'id="parameter-auth_header"' 'ALOHUB_API_KEY'
done
check "$pages/inbound_queue_module.html" 'id="parameter-max_wait_sec"' 'id="parameter-strategy"'
check "$pages/inbound_queues_module.html" 'id="parameter-config/max_wait_sec"' 'id="parameter-state"'
check "$pages/inbound_queues_role.html" 'alohub_inbound_queues' 'alohub_api_key'
check "$pages/docsite/queues_as_code.html" 'Queues as code' 'fail_on_drift' 'AWX'
check "$pages/index.html" 'inbound_queue_module.html' 'inbound_queues_role.html' 'docsite/queues_as_code.html'
check "$html/index.html" 'collections/alohub/callcenter/docsite/queues_as_code.html'
# The environment variable index names every ALOHUB_* fallback of the connection options.
check "$html/collections/environment_variables.html" 'ALOHUB_API_URL' 'ALOHUB_API_KEY' 'ALOHUB_AUTH_HEADER' \
    'ALOHUB_TENANT_ID' 'ALOHUB_VALIDATE_CERTS' 'ALOHUB_CA_PATH' 'ALOHUB_TIMEOUT' 'ALOHUB_RETRIES' 'inbound_queue_info'
step_done "smoke check: module, role and guide pages present with their options"

# Swap the new site in.
rm -rf "$out/html.old"
if [ -d "$out/html" ]; then mv "$out/html" "$out/html.old"; fi
mv "$html" "$out/html"
rm -rf "$out/html.old"
say "done in ${SECONDS} s: $out/html/index.html"
