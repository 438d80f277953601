# Shared helpers for tests/e2e/*.sh.  Each script is run from the top of
# the tree with PIPEC set; it reports one line per case, `ok - NAME` or
# `not ok - NAME`, which tests/run.sh counts.

PIPEC=${PIPEC:-./pipec}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pipec-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# `pipec run` uses the current directory, the user's checkout, as the
# workspace.  The suite runs from the top of the tree, which steps must
# not write to, so PIPEC gives each `run` a fresh workspace instead; the
# tests of the default (tests/e2e/workspace.sh) run PIPEC_BIN, the binary
# itself, in checkouts of their own.
PIPEC_BIN=$PIPEC
case $PIPEC_BIN in /*) ;; *) PIPEC_BIN=$PWD/$PIPEC_BIN ;; esac
cat >"$TMP/pipec" <<EOF
#!/bin/sh
[ "\$1" = run ] || exec "$PIPEC_BIN" "\$@"
shift
exec "$PIPEC_BIN" run --workspace "\$(mktemp -d "$TMP/workspace.XXXXXX")" "\$@"
EOF
chmod +x "$TMP/pipec"
PIPEC=$TMP/pipec

ok() { echo "ok - $*"; }
fail() { echo "not ok - $*"; }

# check NAME CMD...: the case passes when CMD succeeds.
check() {
	name=$1; shift
	if "$@"; then ok "$name"; else fail "$name"; fi
}

# produces NAME FILE CMD...: the case passes when CMD exits 0 and FILE
# is then not empty; CMD's output is in $TMP/out (FILE may be it) and its
# errors in $TMP/err.  A command that says nothing proves nothing, so a
# case that goes on to look at what is absent from FILE starts here.
produces() {
	name=$1 file=$2; shift 2
	rm -f "$file"
	"$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	if [ "$got" -eq 0 ] && [ -s "$file" ]; then ok "$name"; else
		fail "$name (exit $got; $file empty or missing)"; sed 's/^/#   /' "$TMP/err" | head -20
	fi
}

# accepts NAME [OPTION...] FILE: `pipec validate` exits 0 on FILE and
# `pipec build` with the same arguments writes its IR.  validate says
# nothing of a valid file, so the IR is what shows the file was read.
accepts() {
	name=$1; shift
	"$PIPEC" validate "$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	"$PIPEC" build "$@" -o "$TMP/accepted.json" >/dev/null 2>&1
	if [ "$got" -eq 0 ] && [ -s "$TMP/accepted.json" ]; then ok "$name"; else
		fail "$name (validate exit $got; build wrote no IR)"; sed 's/^/#   /' "$TMP/err" | head -20
	fi
	rm -f "$TMP/accepted.json"
}

# same_file NAME A B: the case passes when A is not empty and B has the
# same bytes (two empty files are the same, and prove nothing).
same_file() {
	if [ -s "$2" ] && cmp -s "$2" "$3"; then ok "$1"; else fail "$1"; fi
}

# expect_exit CODE NAME CMD...: the case passes when CMD exits with CODE.
expect_exit() {
	want=$1 name=$2; shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok "$name"; else
		fail "$name (exit $got, wanted $want)"; sed 's/^/#   /' "$TMP/err" | head -20
	fi
}

# interrupt_pid PID: sends SIGINT to PID, a background job of the caller,
# and waits for it; whether it was still running before the SIGINT in
# $alive (yes or no), its exit status in $rc, seconds from SIGINT to exit
# in $took.  A pipec that ignored the interrupt would hold the suite: it
# is killed at 90 s.
interrupt_pid() {
	alive=no
	kill -0 "$1" 2>/dev/null && alive=yes
	t0=$(date +%s)
	kill -INT "$1"
	(sleep 90; kill -KILL "$1") >/dev/null 2>&1 &
	watchdog=$!
	wait "$1"
	rc=$?
	took=$(($(date +%s) - t0))
	kill $watchdog 2>/dev/null
}

# The step of tests that hide a secret at the 64 KiB break of a long line:
# it prints $TOKEN after 65512 to 65538 bytes of 'x', one line each.
LONG_LINE_STEP='i=65512; while [ $$i -le 65538 ]; do head -c $$i /dev/zero | tr "\0" x; echo "$$TOKEN tail"; i=$$((i + 1)); done'
LONG_LINE_SECRET=Zq9-S3cr3t-Value-kQwJ

# hides_long_lines FILE: FILE has the 27 lines of LONG_LINE_STEP, each with
# its secret masked, and no 4 bytes in a row of the secret anywhere (a line
# may break after its secret, before " tail").
hides_long_lines() {
	python3 - "$1" "$LONG_LINE_SECRET" <<'PY'
import sys
text = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
secret = sys.argv[2]
pieces = [secret[i:i + 4] for i in range(len(secret) - 3)]
leaked = [p for p in pieces if p in text]
masked = text.count("********")
if leaked or masked != 27 or text.count(" tail\n") != 27:
    print("# %s: leaked %s, %d masks" % (sys.argv[1], leaked, masked))
    sys.exit(1)
PY
}

# The build context emit tests compile for, so that the same pipelines are
# kept on every checkout.
EMIT_CONTEXT="--branch=main --ref=refs/heads/main --event=push"

# emit_inputs FORMAT: writes every sample and golden input that compiles
# as FORMAT into $TMP/emit-N.out (N from 1); sets emit_n (the inputs),
# emit_bad (those not written with exit 0, or written empty) and
# emit_refused (the names of those refused with [emit-refused], whose
# files are removed).
emit_inputs() {
	emit_n=0 emit_bad= emit_refused=
	for f in samples/*.yml tests/golden/drone/*.yml tests/golden/ir/*.json; do
		# shellcheck disable=SC2086
		"$PIPEC" build $EMIT_CONTEXT "$f" -o "$TMP/emit-ir.json" 2>/dev/null && [ -s "$TMP/emit-ir.json" ] || continue
		emit_n=$((emit_n + 1))
		# shellcheck disable=SC2086
		"$PIPEC" emit --format="$1" $EMIT_CONTEXT "$f" -o "$TMP/emit-$emit_n.out" 2>"$TMP/emit.err"
		rc=$?
		if [ $rc -eq 1 ] && grep -q '\[emit-refused\]$' "$TMP/emit.err"; then
			emit_refused="$emit_refused $(basename "$f")"
			rm -f "$TMP/emit-$emit_n.out"
		elif [ $rc -ne 0 ] || [ ! -s "$TMP/emit-$emit_n.out" ]; then
			emit_bad="$emit_bad $f"
			sed 's/^/#   /' "$TMP/emit.err" | tail -3
		fi
	done
}

# check_emit_inputs FORMAT [REFUSED]: emit_inputs FORMAT, then checks that
# every input was written, that there were enough, and that exactly the
# inputs named REFUSED (" a.yml b.yml", default none) were refused.
check_emit_inputs() {
	emit_inputs "$1"
	check "emit $1: every input that compiles ($emit_n) is written, exit 0${emit_bad:+ (not:$emit_bad)}" [ -z "$emit_bad" -a "$emit_n" -gt 0 ]
	check "emit $1: inputs found" [ "$emit_n" -gt 20 ]
	check "emit $1: refused:${2:- none}${emit_refused:+ (refused:$emit_refused)}" \
		[ "$emit_n" -gt 0 -a "$emit_refused" = "${2:-}" ]
}

# checkout_copy DIR: a git clone of this checkout (its committed tree) at
# DIR, or when the tree is not a checkout, a copy of it without build
# outputs made into one: the repository as a user's CI would see it.
checkout_copy() {
	if [ -e .git ]; then
		git clone -q . "$1"
	else
		mkdir -p "$1" && tar -c --exclude=./build --exclude=./pipec --exclude=./node_modules . |
			tar -x -C "$1" && git -C "$1" init -q
	fi
}
