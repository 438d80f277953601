#!/bin/sh
# pipec schema: valid JSON Schema with a description on every key, and the
# real yaml-language-server (from npm) using it: a valid file gets no
# diagnostic, a misspelt key gets one at its line.
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
check "unknown key: named at line 27" grep -q "^$TMP/typo.yml:27:3: .*comands" "$TMP/lsp.out"
