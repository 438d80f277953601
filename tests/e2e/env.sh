#!/bin/sh
# pipec run --env NAME=VALUE and --env-file FILE on the local backend: the
# variables reach every step, below the file's own variables and its
# secrets, and are never taken for secrets; a malformed one stops the run
# before anything starts.
. tests/lib.sh

has() { grep -qF -- "$2" "$1" || { echo "# '$2' not in $1:"; sed 's/^/#   /' "$1" | tail -15; return 1; }; }

cat >"$TMP/env.yml" <<'YML'
kind: pipeline
type: exec
name: default
clone:
  disable: true
environment:
  FROM_PIPELINE: pipeline-value
steps:
- name: one
  environment:
    FROM_STEP: step-value
    TOKEN:
      from_secret: token
  commands:
  - echo "cli=$FROM_CLI file=$FROM_FILE quoted=$QUOTED"
  - echo "pipeline=$FROM_PIPELINE step=$FROM_STEP"
  - echo "token=$TOKEN"
- name: two
  commands:
  - echo "two cli=$FROM_CLI file=$FROM_FILE"
YML
cat >"$TMP/vars.env" <<'ENV'
# a comment
export FROM_FILE=file-value
QUOTED="two words"
FROM_CLI=overridden-by-the-later-option
ENV

"$PIPEC" run --env-file "$TMP/vars.env" --env FROM_CLI=cli-value \
	--env FROM_PIPELINE=not-this --env FROM_STEP=nor-this --env TOKEN=plain-token-value \
	--secret token=Secret-Token-Value "$TMP/env.yml" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "--env: exits 0, the steps print" [ $rc -eq 0 -a -s "$TMP/out" ]
check "--env reaches a step" has "$TMP/out" "one | cli=cli-value file=file-value quoted=two words"
check "--env reaches every step" has "$TMP/out" "two | two cli=cli-value file=file-value"
check "the pipeline's own variable wins over --env" has "$TMP/out" "pipeline=pipeline-value step=step-value"
check "a secret wins over --env and stays masked" has "$TMP/out" "one | token=********"
check "neither the secret nor the --env value of its name is shown" \
	sh -c '[ -s "$1" ] && ! grep -q "Secret-Token-Value\|plain-token-value" "$1"' - "$TMP/out"

"$PIPEC" run --env noequals "$TMP/env.yml" >"$TMP/out" 2>"$TMP/err"
check "--env without NAME=VALUE: exit 2" [ $? -eq 2 ]
check "--env without NAME=VALUE: named" has "$TMP/err" "'noequals' is not NAME=VALUE [invalid-value]"
check "--env without NAME=VALUE: nothing runs" sh -c "grep -q noequals '$TMP/err' && [ ! -s '$TMP/out' ]"

printf 'GOOD=1\nthis line is wrong\n' >"$TMP/bad.env"
"$PIPEC" run --env-file "$TMP/bad.env" "$TMP/env.yml" >"$TMP/out" 2>"$TMP/err"
check "--env-file with a bad line: exit 2" [ $? -eq 2 ]
check "--env-file with a bad line: at its line" has "$TMP/err" "bad.env:2:1: error: line is not NAME=VALUE [invalid-value]"
check "--env-file with a bad line: nothing runs" sh -c "grep -q 'bad.env:2:1' '$TMP/err' && [ ! -s '$TMP/out' ]"

"$PIPEC" run --env-file "$TMP/missing.env" "$TMP/env.yml" >"$TMP/out" 2>"$TMP/err"
check "--env-file that cannot be read: exit 2" [ $? -eq 2 ]
check "--env-file that cannot be read: said" has "$TMP/err" "cannot read env file"

