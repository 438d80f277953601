#!/bin/sh
# pipec lsp with a Docker engine answering: the quick fix for an untagged
# image offers the tags the engine holds (tests/lsp/protocol.py docker).
# Without an engine the same request is answered with no fix (lsp.sh).
. tests/lib.sh
. tests/docker/lib.sh
docker_setup

python3 tests/lsp/protocol.py "$PIPEC" docker >"$TMP/out" 2>"$TMP/err"
rc=$?
cat "$TMP/out"
if [ "$rc" -ne 0 ] || [ "$(grep -cE '^(not )?ok - ' "$TMP/out")" -lt 2 ]; then
	fail "lsp: the docker cases ran to the end (exit $rc)"
	sed 's/^/#   /' "$TMP/err" | tail -20
fi
