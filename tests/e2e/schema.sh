#!/bin/sh
# pipec schema: valid JSON Schema with a description on every key, that
# agrees with the compiler (every YAML file of tests/ and samples/ it
# compiles is valid, a misspelt key is not, other unknown keys are), and
# the real yaml-language-server (from npm) using it: a valid file gets no
# diagnostic, a misspelt key gets one at its line, naming the key meant.
. tests/lib.sh

$PIPEC schema >"$TMP/schema.json"
check "schema is a draft-07 schema" python3 - "$TMP/schema.json" <<'EOF2'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
jsonschema.Draft7Validator.check_schema(schema)
EOF2
check "every key has a description" python3 - "$TMP/schema.json" <<'EOF2'
import json, sys
missing = []
def walk(node, path):
    if isinstance(node, dict) and not path.endswith("/if"):  # `if` only tests a value
        for k, v in node.get("properties", {}).items():
            if "description" not in v and "$ref" not in v:
                missing.append(path + "/" + k)
        for k, v in node.items():
            walk(v, path + "/" + k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, path + "/" + str(i))
walk(json.load(open(sys.argv[1])), "")
for m in missing[:10]:
    print("# no description:", m)
sys.exit(1 if missing else 0)
EOF2

# The compiler and the schema on every YAML file of the tree, in one
# build context whatever branch the checkout is on.
ctx="--trusted --branch=main --ref=refs/heads/main --event=push"
find tests samples \( -name '*.yml' -o -name '*.yaml' \) -type f | LC_ALL=C sort >"$TMP/files"
i=0
while read -r f; do
	i=$((i + 1))
	# shellcheck disable=SC2086
	set -- $ctx
	[ -d "${f%.yml}.templates" ] && set -- "$@" --templates "${f%.yml}.templates"
	$PIPEC validate "$@" "$f" >/dev/null 2>"$TMP/findings.$i"
	echo "$? $TMP/findings.$i $f"
done <"$TMP/files" >"$TMP/results"
python3 tests/schema-agree.py "$TMP/schema.json" "$TMP/results" >"$TMP/agree.out"
check "schema and compiler agree on every YAML file of tests/ and samples/" test $? -eq 0
sed 's/^/#   /' "$TMP/agree.out"

# Keys made from the known ones by a few edits: the schema refuses those
# the compiler calls misspelt (did you mean), and only those.
python3 tests/schema-keys.py write "$TMP/schema.json" "$TMP/misspelt.yml"
produces "pipec lint reports the made keys" "$TMP/misspelt.out" \
	sh -c "$PIPEC lint $ctx '$TMP/misspelt.yml' >'$TMP/misspelt.out' 2>&1"
python3 tests/schema-keys.py check "$TMP/schema.json" "$TMP/misspelt.yml" "$TMP/misspelt.out" \
	>"$TMP/keys.out"
check "the schema refuses exactly the keys the compiler calls misspelt" test $? -eq 0
sed 's/^/#   /' "$TMP/keys.out"

cat >"$TMP/good.yml" <<'EOF2'
kind: pipeline
type: docker
name: default

platform:
  os: linux
  arch: amd64

services:
- name: redis
  image: redis:7

volumes:
- name: cache
  temp: {}

steps:
- name: build
  image: golang:1.22
  environment:
    GOFLAGS: -mod=vendor
    TOKEN:
      from_secret: token
  volumes:
  - name: cache
    path: /go/pkg
  commands:
  - go build ./...
- name: test
  image: golang:1.22
  depends_on: [build]
  commands:
  - go test ./...
  when:
    branch: [main]
    event: [push, pull_request]

trigger:
  event: [push, pull_request]
---
kind: secret
name: token
get:
  path: ci/tokens
  name: deploy
EOF2
# line 27: `comands` instead of the first `commands`
sed '0,/^  commands:$/s//  comands:/' "$TMP/good.yml" >"$TMP/typo.yml"
sed -n 27p "$TMP/typo.yml" | grep -q comands || fail "typo sample is not as expected"

produces "the valid sample compiles" "$TMP/out" $PIPEC lint --format=json "$TMP/good.yml"

if ! sh tests/npm-deps.sh; then
	echo "ok - yaml-language-server # SKIP npm registry unreachable"
	exit 0
fi
server=build/npm/node_modules/yaml-language-server/bin/yaml-language-server
python3 tests/lsp-yaml.py "$server" "$TMP/schema.json" "$TMP/good.yml" "$TMP/typo.yml" \
	>"$TMP/lsp.out" 2>"$TMP/lsp.err"
check "yaml-language-server answered, given the schema pipec wrote" sh -c "[ -s '$TMP/schema.json' ] && [ -s '$TMP/lsp.out' ]"
sed 's/^/#   /' "$TMP/lsp.out"
check "valid sample: no diagnostic" grep -qx "$TMP/good.yml: clean" "$TMP/lsp.out"
check "unknown key: one diagnostic at its line" \
	test "$(grep -c "^$TMP/typo.yml:" "$TMP/lsp.out")" -eq 1
check "misspelt key: the key meant named at line 27" \
	grep -q "^$TMP/typo.yml:27:3: .*did you mean 'commands'" "$TMP/lsp.out"
