# Backend modules: the executable does not link libcurl, the Docker module
# is found beside it (build tree or installed layout) or in
# $PIPEC_MODULE_DIR, and a missing module says where it was looked for.
# No engine is needed: a module that loads reports the unreachable engine.
. tests/lib.sh

BIN=$(dirname "$PIPEC_BIN")
MOD=$BIN/../lib/pipec/docker.so
NOSOCK="unix://$TMP/no-engine.sock"

# stderr_has TEXT: the last command's stderr holds TEXT
stderr_has() { grep -qF -- "$1" "$TMP/err"; }
report() { if "$@"; then ok "$name_"; else fail "$name_"; sed 's/^/#   /' "$TMP/err" | head -10; fi; }

name_="the executable does not link libcurl (it does link libyaml)"
ldd "$PIPEC_BIN" >"$TMP/err" 2>&1
report sh -c 'grep -q libyaml "$1" && ! grep -q libcurl "$1"' - "$TMP/err"

name_="the module links libcurl"
ldd "$MOD" >"$TMP/err" 2>&1
report grep -q libcurl "$TMP/err"

name_="a missing module names the path searched and the rule"
PIPEC_MODULE_DIR=$TMP/empty "$PIPEC" prune >/dev/null 2>"$TMP/err"
rc=$?
report sh -c '[ "$1" -eq 1 ] && grep -qF "$2/docker.so: error: backend module '"'docker'"' not found" "$3" &&
	grep -qF "[module-missing]" "$3"' - "$rc" "$TMP/empty" "$TMP/err"

name_="run --backend=docker without the module fails with the diagnostic"
PIPEC_MODULE_DIR=$TMP/empty "$PIPEC" run --backend=docker samples/hello-world.yml >/dev/null 2>"$TMP/err"
rc=$?
report sh -c '[ "$1" -ne 0 ] && grep -qF "[module-missing]" "$2"' - "$rc" "$TMP/err"

name_="the module beside bin/ loads and reaches for the engine"
DOCKER_HOST=$NOSOCK "$PIPEC" prune >/dev/null 2>"$TMP/err"
report sh -c 'grep -qF "[docker-unreachable]" "$1" && ! grep -qF "[module-missing]" "$1"' - "$TMP/err"

name_="PIPEC_MODULE_DIR overrides the place beside bin/"
mkdir -p "$TMP/mods"
cp "$MOD" "$TMP/mods/docker.so"
cp "$PIPEC_BIN" "$TMP/pipec"
PIPEC_MODULE_DIR=$TMP/mods DOCKER_HOST=$NOSOCK "$TMP/pipec" prune >/dev/null 2>"$TMP/err"
report stderr_has "[docker-unreachable]"

name_="an installed layout finds its module in PREFIX/lib/pipec"
mkdir -p "$TMP/prefix/bin" "$TMP/prefix/lib/pipec"
cp "$PIPEC_BIN" "$TMP/prefix/bin/pipec"
cp "$MOD" "$TMP/prefix/lib/pipec/docker.so"
DOCKER_HOST=$NOSOCK "$TMP/prefix/bin/pipec" prune >/dev/null 2>"$TMP/err"
report stderr_has "[docker-unreachable]"

name_="the module also loads as a --backend-plugin"
DOCKER_HOST=$NOSOCK "$PIPEC" run --backend-plugin "$MOD" samples/hello-world.yml >/dev/null 2>"$TMP/err"
report sh -c 'grep -qF "[docker-unreachable]" "$1" && grep -qF "[backend-plugin]" "$1"' - "$TMP/err"
