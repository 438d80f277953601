#!/bin/sh
# pipec lsp at the protocol level: framing and JSON-RPC errors, the life
# cycle and its exit statuses, cancellation, full and incremental sync,
# UTF-16 columns, half-typed files and settings (tests/lsp/protocol.py
# prints one ok/not ok line per case).  The editor-level tests are in
# lsp_neovim.sh.
. tests/lib.sh

python3 tests/lsp/protocol.py "$PIPEC" >"$TMP/out" 2>"$TMP/err"
rc=$?
cat "$TMP/out"
n=$(grep -cE '^(not )?ok - ' "$TMP/out")
if [ "$rc" -ne 0 ] || [ "$n" -lt 34 ]; then
	fail "lsp: the protocol tests ran to the end (exit $rc, $n cases)"
	sed 's/^/#   /' "$TMP/err" | tail -20
fi

produces "lsp: pipec help lsp describes the server" "$TMP/out" $PIPEC help lsp
check "lsp: the help names the settings and the editors page" \
	grep -q 'docs/editors.md' "$TMP/out"
expect_exit 2 "lsp: an unknown option is bad usage" $PIPEC lsp --tcp
