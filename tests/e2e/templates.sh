#!/bin/sh
# Drone's template extension as a user meets it: a repository whose
# .drone.yml is one `kind: template` document.  Without --templates the
# document is skipped with a warning: the file is valid, as Drone takes
# it (lint and validate exit 0), and build and run, which need a
# pipeline, say there is none here; with --templates DIR the template is
# expanded, its findings are
# positioned in the template file, and `pipec run` runs what it makes.
. tests/lib.sh

R=$TMP/repo
mkdir -p "$R/.drone/templates"
cat >"$R/.drone.yml" <<'EOF2'
kind: template
load: shell.yaml
data:
  name: greet
  greeting: hello from the template
  file: greeting.txt
EOF2
cat >"$R/.drone/templates/shell.yaml" <<'EOF2'
kind: pipeline
type: exec
name: {{ .input.name }}
clone:
  disable: true
steps:
- name: write
  commands:
  - echo "{{ .input.greeting }}" > {{ .input.file }}
- name: read
  commands:
  - cat {{ .input.file }}
EOF2

(cd "$R" && $PIPEC lint .drone.yml >"$TMP/out" 2>"$TMP/err")
rc=$?
check "without --templates: lint passes a file of templates alone (exit 0)" \
	sh -c "[ $rc -eq 0 ] && grep -q 'template-skipped' '$TMP/out'"
check "without --templates: the template is skipped with a warning" \
	grep -q "^.drone.yml:1:1: warning: template 'shell.yaml' is expanded by a Drone server: the document is skipped (give --templates DIR to expand it here) \[template-skipped\]" "$TMP/out"
(cd "$R" && $PIPEC validate .drone.yml >"$TMP/out" 2>"$TMP/err")
rc=$?
check "without --templates: validate passes it, with the warning (exit 0)" \
	sh -c "[ $rc -eq 0 ] && grep -q 'warning: .*\[template-skipped\]' '$TMP/err'"
(cd "$R" && $PIPEC validate --strict .drone.yml >"$TMP/out" 2>"$TMP/err")
rc=$?
check "without --templates: validate --strict refuses it (exit 2)" \
	sh -c "[ $rc -eq 2 ] && grep -q 'error: .*\[template-skipped\]' '$TMP/err'"
(cd "$R" && $PIPEC build .drone.yml >"$TMP/ir.json" 2>"$TMP/err")
rc=$?
check "without --templates: a file of templates alone builds nothing (exit 2)" test "$rc" -eq 2
check "without --templates: the error says to give --templates" \
	grep -q "^.drone.yml:1:1: error: the file holds no pipeline to build here: its templates are expanded by a Drone server; give --templates DIR to expand them here \[no-pipelines\]" "$TMP/err"
check "without --templates: no IR, after the error" \
	sh -c "grep -q 'no-pipelines' '$TMP/err' && [ ! -s '$TMP/ir.json' ]"
(cd "$R" && $PIPEC build --no-optimize .drone.yml >"$TMP/ir.json" 2>"$TMP/err")
rc=$?
check "without --templates: build --no-optimize writes no IR either (exit 2)" \
	sh -c "[ $rc -eq 2 ] && grep -q 'no-pipelines' '$TMP/err' && [ ! -s '$TMP/ir.json' ]"
(cd "$R" && $PIPEC run .drone.yml >"$TMP/out" 2>"$TMP/err")
rc=$?
check "without --templates: run says there is no pipeline to run (exit 2)" \
	sh -c "[ $rc -eq 2 ] && grep -q 'error: .*\[no-pipelines\]' '$TMP/err'"

(cd "$R" && $PIPEC build --templates .drone/templates .drone.yml >"$TMP/ir.json" 2>"$TMP/err")
rc=$?
check "with --templates: builds (exit 0)" test "$rc" -eq 0 -a -s "$TMP/ir.json"
check "with --templates: IR written" test -s "$TMP/ir.json"
check "with --templates: the pipeline is named from the data" \
	python3 - "$TMP/ir.json" <<'EOF2'
import json, sys
doc = json.load(open(sys.argv[1]))
p, = doc["pipelines"]
assert p["name"] == "greet", p["name"]
assert p["source"]["file"] == ".drone/templates/shell.yaml", p["source"]
steps = {s["name"]: s for s in p["steps"]}
assert 'echo "hello from the template" > greeting.txt' in steps["write"]["script"]
assert steps["read"]["source"]["line"] == 10, steps["read"]["source"]
EOF2

(cd "$R" && $PIPEC run --templates .drone/templates >"$TMP/out" 2>"$TMP/err")
rc=$?
check "pipec run expands the template and runs it (exit 0)" test "$rc" -eq 0 -a -s "$TMP/out"
check "pipec run: the step reads what the templated step wrote" \
	grep -q "^read *| hello from the template" "$TMP/out"

# Mistakes in the template are reported where they are in the template.
cat >"$R/.drone/templates/shell.yaml" <<'EOF2'
kind: pipeline
type: exec
name: {{ .input.name }}
steps:
- name: write
  comands:
  - echo {{ .input.greting }} {{ .build.branch }}
EOF2
(cd "$R" && $PIPEC lint --templates .drone/templates .drone.yml >"$TMP/out" 2>"$TMP/err")
rc=$?
check "a broken template fails the lint (exit 1)" test "$rc" -eq 1
check "a missing data value is named at its action" \
	grep -q "^.drone/templates/shell.yaml:7:10: error: template reads '.input.greting', which the document's data does not give \[template-error\]" "$TMP/out"
check "an action pipec does not run is named at its place" \
	grep -q "^.drone/templates/shell.yaml:7:31: error: template action '{{ .build.branch }}' is not supported: pipec expands {{ .input.NAME }} \[template-error\]" "$TMP/out"
sed -i 's/ {{ .input.greting }} {{ .build.branch }}/ {{ .input.greeting }}/' "$R/.drone/templates/shell.yaml"
(cd "$R" && $PIPEC lint --templates .drone/templates .drone.yml >"$TMP/out" 2>"$TMP/err")
check "a key misspelt in the template is found at its line in the template" \
	grep -q "^.drone/templates/shell.yaml:6:3: warning: unknown key 'comands' in step, did you mean 'commands' \[unknown-key\]" "$TMP/out"
(cd "$R" && $PIPEC build --strict --templates .drone/templates .drone.yml >"$TMP/ir.json" 2>"$TMP/err")
rc=$?
check "--strict refuses the template's warning (exit 2)" test "$rc" -eq 2
