#!/bin/sh
# pipec lsp with a real editor: Neovim (Debian's) runs headless with its
# built-in LSP client and tests/lsp/neovim.lua acts as a user would in a
# scratch git checkout: open, type, hover, complete, jump, rename, fix.
# Each case prints its own ok/not ok line.
. tests/lib.sh

if ! command -v nvim >/dev/null 2>&1; then
	fail "neovim: nvim is installed (make deps installs it)"
	exit 0
fi
git init -q "$TMP/repo" && git -C "$TMP/repo" checkout -q -b main 2>/dev/null
pipec=$(cd "$(dirname "$PIPEC")" && pwd)/$(basename "$PIPEC")
script=$(pwd)/tests/lsp/neovim.lua
(cd "$TMP/repo" && PIPEC=$pipec WORK=$TMP/repo HOME=$TMP \
	timeout 120 nvim --headless --clean -u NONE -i NONE -n -c "luafile $script" \
	>"$TMP/nvim.out" 2>&1)
rc=$?
grep -E '^(not )?ok - ' "$TMP/nvim.out"
n=$(grep -cE '^(not )?ok - ' "$TMP/nvim.out")
if [ "$n" -lt 17 ] || [ "$rc" -ne 0 ]; then
	fail "neovim: every case ran and passed (exit $rc, $n cases)"
	grep -vE '^(not )?ok - ' "$TMP/nvim.out" | head -20 | sed 's/^/#   /'
fi
