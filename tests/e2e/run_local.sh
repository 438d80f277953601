# pipec run on the local backend: order, parallelism, run policies, exit
# 78, timeouts, retries, interrupts, masking, secrets, the report, log
# files, volumes, services and a backend plugin.
. tests/lib.sh
B=${B:-build}
export TMPDIR="$TMP/tmp"
mkdir -p "$TMPDIR"
T=$TMP

# pipeline NAME: writes the YAML on stdin to $T/NAME.yml (an exec pipeline)
pipeline() {
	{ printf 'kind: pipeline\ntype: exec\nname: %s\nclone:\n  disable: true\n' "$1"; cat; } >"$T/$1.yml"
}

# run NAME ARGS...: runs it; stdout in $T/out, stderr in $T/err, status in $rc
run() {
	name=$1; shift
	"$PIPEC" run "$@" "$T/$name.yml" >"$T/out" 2>"$T/err"
	rc=$?
}

# cleaned FILE: FILE, which the run wrote, shows it ran, and no run
# directory survived it (an empty directory proves nothing by itself).
cleaned() { [ -s "$1" ] && [ -z "$(ls "$TMPDIR")" ]; }

show() { sed 's/^/#   /' "$T/out" "$T/err" | head -30 | cut -c1-300; }
expect() { if "$@"; then ok "$name_"; else fail "$name_"; show; fi; }
not() { ! "$@"; }

# ---- order and parallelism -----------------------------------------------
pipeline order <<EOF
steps:
- name: one
  commands: [echo one >> $T/order]
- name: two
  commands: [echo two >> $T/order]
- name: three
  commands: [echo three >> $T/order]
EOF
run order
name_="steps without depends_on run in file order"
expect test "$rc" = 0 -a "$(cat "$T/order" | tr '\n' ' ')" = "one two three "

pipeline par <<EOF
steps:
- name: root
  commands: [":"]
- name: left
  depends_on: [root]
  commands:
  - date +%s%N > $T/left.start
  - sleep 0.6
  - date +%s%N > $T/left.end
- name: right
  depends_on: [root]
  commands:
  - date +%s%N > $T/right.start
  - sleep 0.6
  - date +%s%N > $T/right.end
EOF
overlap() {
	[ "$(cat "$T/left.start")" -lt "$(cat "$T/right.end")" ] &&
		[ "$(cat "$T/right.start")" -lt "$(cat "$T/left.end")" ]
}
run par
name_="independent branches of a DAG overlap in time"
expect overlap
# sequential: both branches ran again (their times are fresh) and did not overlap
sequential() { [ -s "$T/left.end" ] && [ -s "$T/right.end" ] && ! overlap; }
rm -f "$T/left.start" "$T/left.end" "$T/right.start" "$T/right.end"
run par --parallel 1
name_="--parallel 1 runs them one after the other"
if [ "$rc" = 0 ]; then expect sequential; else expect false; fi

# ---- run policies, ignore, 78, signals ---------------------------------------
pipeline policies <<EOF
steps:
- name: test
  commands: ["false"]
- name: deploy
  commands: [touch $T/deployed]
- name: notify
  when: {status: [failure]}
  commands: [touch $T/notified]
- name: cleanup
  when: {status: [success, failure]}
  commands: [touch $T/cleaned]
EOF
run policies
name_="a failed step fails the run with its position and status"
expect grep -q "policies.yml:7:3: error: step 'test' exited with status 1 \[step-failed\]" "$T/err"
name_="on-success steps after a failure are skipped"
expect test "$rc" = 1 -a ! -e "$T/deployed"
name_="on-failure and always steps run after a failure"
expect test -e "$T/notified" -a -e "$T/cleaned"

pipeline policies_ok <<EOF
steps:
- name: test
  commands: ["true"]
- name: notify
  when: {status: [failure]}
  commands: [touch $T/notified2]
- name: cleanup
  when: {status: [success, failure]}
  commands: [touch $T/cleaned2]
EOF
run policies_ok
name_="on-failure steps are skipped when all went well, always steps run"
expect test "$rc" = 0 -a ! -e "$T/notified2" -a -e "$T/cleaned2"

pipeline branches <<EOF
steps:
- name: a
  commands: ["false"]
- name: b
  depends_on: [a]
  commands: [touch $T/b]
- name: c
  commands: [sleep 0.2, touch $T/c]
- name: d
  depends_on: [c]
  commands: [touch $T/d]
EOF
run branches
name_="a failure skips its own branch only"
expect test "$rc" = 1 -a ! -e "$T/b" -a -e "$T/c" -a -e "$T/d"

pipeline ignore <<EOF
steps:
- name: flaky
  failure: ignore
  commands: [exit 4]
- name: after
  commands: [touch $T/after]
EOF
run ignore
name_="failure: ignore keeps the run successful and warns"
expect sh -c "[ $rc = 0 ] && [ -e '$T/after' ] && grep -q 'warning: step .flaky. exited with status 4' '$T/err'"

pipeline early <<EOF
steps:
- name: check
  commands: [touch $T/checked78, exit 78]
- name: later
  commands: [touch $T/later]
- name: always
  when: {status: [success, failure]}
  commands: [touch $T/always78]
EOF
run early
name_="exit 78 ends the pipeline early as a success"
expect test "$rc" = 0 -a -e "$T/checked78" -a ! -e "$T/later" -a ! -e "$T/always78"

pipeline killed <<EOF
steps:
- name: die
  commands: [kill -9 \$\$\$\$]
EOF
run killed
name_="a death by signal is reported as such"
expect grep -q "step 'die' was killed by signal 9 (SIGKILL)" "$T/err"

run order --timestamps
name_="--timestamps puts the time after the prefix"
expect grep -Eq '^one   \| [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} \+ echo one' "$T/out"

"$PIPEC" run --backend=local samples/multi-pipeline.yml >"$T/out" 2>"$T/err"; rc=$?
name_="pipelines of one file run after those they depend on"
expect python3 -c "
import re, sys
names = [l.split(\"'\")[1] for l in open('$T/err') if l.startswith('pipeline ')]
sys.exit(0 if $rc == 0 and len(names) > 1 else 1)"

# ---- timeouts and retries (IR JSON: YAML has no keys for them) -----------------
cat >"$T/slow.json" <<EOF
{"version": 1, "pipelines": [{"name": "slow", "type": "local", "steps": [
 {"name": "nap", "script": "sleep 30\n", "timeout": 1},
 {"name": "after", "script": "touch $T/after-nap\n"}]}]}
EOF
start=$(date +%s)
"$PIPEC" run "$T/slow.json" >"$T/out" 2>"$T/err"; rc=$?
took=$(( $(date +%s) - start ))
name_="a step's timeout stops it and fails the run"
expect sh -c "[ $rc = 1 ] && [ $took -lt 10 ] && grep -q \"step 'nap' timed out after 1 s \[step-timeout\]\" '$T/err'"

pipeline longrun <<EOF
steps:
- name: nap
  commands: [sleep 30]
EOF
start=$(date +%s)
run longrun --timeout 1
took=$(( $(date +%s) - start ))
name_="--timeout stops the pipeline"
expect sh -c "[ $rc = 1 ] && [ $took -lt 10 ] && grep -q 'pipeline-timeout' '$T/err'"
run longrun --step-timeout 1s
name_="--step-timeout applies to steps without their own"
expect grep -q 'step-timeout' "$T/err"

cat >"$T/retry.json" <<EOF
{"version": 1, "pipelines": [{"name": "retry", "type": "local", "steps": [
 {"name": "flaky", "retries": 3,
  "script": "echo x >> $T/tries\n[ \$(wc -l < $T/tries) -ge 3 ]\n"}]}]}
EOF
"$PIPEC" run --report "$T/retry-report.json" "$T/retry.json" >"$T/out" 2>"$T/err"; rc=$?
name_="retries run a failing step again until it passes"
expect sh -c "[ $rc = 0 ] && [ \$(wc -l < '$T/tries') = 3 ] && grep -q '\"attempts\":[[:space:]]*3' '$T/retry-report.json'"

# ---- interrupts -----------------------------------------------------------------
# interrupt NAME SIGNALS ARGS...: starts a run, waits for $T/NAME.pid, sends
# the signals, and records the exit status in $rc and the time in $took
interrupt() {
	n=$1 sigs=$2; shift 2
	"$PIPEC" run "$@" "$T/$n.yml" >"$T/out" 2>"$T/err" &
	pid=$!
	i=0
	while [ ! -s "$T/$n.pid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.2
	start=$(date +%s)
	for s in $sigs; do kill -"$s" $pid; sleep 0.2; done
	wait $pid; rc=$?
	took=$(( $(date +%s) - start ))
}
# survivors FILE...: true when a process named in the files still exists
survivors() {
	for f in "$@"; do
		for p in $(cat "$f" 2>/dev/null); do kill -0 "$p" 2>/dev/null && return 0; done
	done
	return 1
}
# gone FILE...: each file names a process the run started, and none of
# them exists any more.
gone() {
	for f in "$@"; do [ -s "$f" ] || return 1; done
	! survivors "$@"
}

pipeline sigint <<EOF
services:
- name: db
  commands: [echo \$\$\$\$ > $T/db.pid, sleep 300]
steps:
- name: work
  commands:
  - sleep 300 &
  - echo \$! > $T/bg.pid
  - echo \$\$\$\$ > $T/sigint.pid
  - wait
- name: next
  commands: [touch $T/next]
EOF
interrupt sigint INT
name_="SIGINT stops the run with status 130"
expect test "$rc" = 130 -a ! -e "$T/next"
name_="no process of the interrupted run survives"
expect gone "$T/sigint.pid" "$T/bg.pid" "$T/db.pid"
name_="the interrupted run leaves no directory behind"
expect cleaned "$T/sigint.pid"

# A copy that never ends before a step (here a `tar` on PATH that sleeps
# instead of unpacking the step's archive file): the step's timeout ends
# it, and so does Ctrl-C, killing the tool; the step never runs.
mkdir -p "$T/stallbin"
printf '#!/bin/sh\necho $$ > %s/stalltar.pid\nexec sleep 300\n' "$T" >"$T/stallbin/tar"
chmod +x "$T/stallbin/tar"
cat >"$T/stalltar.yml" <<EOF
{"version": 1, "pipelines": [{"name": "stalltar", "type": "local",
 "files": [{"name": "tree", "data": "AAAA", "archive": true}],
 "steps": [{"name": "unpack", "files": [{"name": "tree", "path": "/tree"}],
  "script": "touch $T/unpacked\\n"}]}]}
EOF
# stall_ended STATUS SECONDS TEXT: the run exited STATUS within SECONDS,
# the tool is gone, the step never ran and the errors say TEXT.
stall_ended() {
	[ "$rc" = "$1" ] && [ "$took" -lt "$2" ] && gone "$T/stalltar.pid" && [ ! -e "$T/unpacked" ] &&
		grep -q "$3" "$T/err"
}
path=$PATH
PATH=$T/stallbin:$path
start=$(date +%s)
run stalltar --step-timeout 2s
took=$(( $(date +%s) - start ))
PATH=$path
name_="a copy that stalls before a step ends at the step's timeout, the tool killed"
expect stall_ended 1 15 "step 'unpack' timed out after 2 s \[step-timeout\]"
name_="... the copy gave up for the step's time"
expect grep -q "the step's time ran out" "$T/err"
name_="... and leaves no directory behind"
expect cleaned "$T/stalltar.pid"
rm -f "$T/stalltar.pid"
PATH=$T/stallbin:$path
interrupt stalltar INT
PATH=$path
name_="SIGINT ends a copy that stalls before a step, the tool killed"
expect stall_ended 130 6 interrupted
name_="... and leaves no directory behind"
expect cleaned "$T/stalltar.pid"

pipeline stubborn <<EOF
steps:
- name: stubborn
  commands:
  - trap '' TERM
  - echo \$\$\$\$ > $T/stubborn.pid
  - while :; do sleep 1; done
EOF
interrupt stubborn TERM --grace 1s
name_="a step ignoring SIGTERM is killed after the grace period"
expect sh -c "[ $rc = 130 ] && [ $took -lt 6 ] && ! kill -0 \$(cat '$T/stubborn.pid') 2>/dev/null"
rm -f "$T/stubborn.pid"
interrupt stubborn "INT INT" --grace 60s
name_="a second interrupt hurries the teardown"
expect sh -c "[ $rc = 130 ] && [ $took -lt 6 ] && ! kill -0 \$(cat '$T/stubborn.pid') 2>/dev/null && [ -z \"\$(ls '$TMPDIR')\" ]"

# ---- secrets and masking -----------------------------------------------------
pipeline mask <<EOF
steps:
- name: leak
  commands:
  - "printf 'start tok'; sleep 0.3; printf 'en-secret end\\n'"
  - printf 'first-line\nsecond-line\n'
  - echo plain text
EOF
printf 'first-line\nsecond-line\n' >"$T/multi"
run mask --secret TOKEN=token-secret --secret-file KEY="$T/multi" --secret EMPTY=
name_="a secret split across two reads is masked"
expect grep -q '^leak | start \*\*\*\*\*\*\*\* end$' "$T/out"
name_="a multi-line secret is masked line by line"
expect sh -c "[ \$(grep -c '^leak | \*\*\*\*\*\*\*\*$' '$T/out') = 2 ]"
name_="an empty secret masks nothing"
expect grep -q '^leak | plain text$' "$T/out"

# A secret at every offset around the 64 KiB break of a long line, in the
# output and the log file, with and without timestamps.
pipeline longline <<EOF
steps:
- name: long
  environment:
    TOKEN: {from_secret: token}
  commands:
  - $LONG_LINE_STEP
EOF
ran_hiding() { [ "$rc" = 0 ] && for f; do hides_long_lines "$f" || return 1; done; }
run longline --secret token="$LONG_LINE_SECRET" --log-dir "$T/longlogs"
name_="a secret straddling the 64 KiB break of a line is hidden whole in the output"
expect ran_hiding "$T/out"
name_="... and in the --log-dir file"
expect ran_hiding "$T/longlogs/longline/long.log"
run longline --secret token="$LONG_LINE_SECRET" --log-dir "$T/longlogs2" --timestamps
name_="... and with --timestamps, in the output and the log file"
expect ran_hiding "$T/out" "$T/longlogs2/longline/long.log"
pipeline short <<'EOF'
steps:
- name: any
  commands: [echo never > /dev/null]
EOF
run short --secret pin=42
name_="a secret shorter than 4 bytes is refused before anything runs"
expect sh -c "[ $rc = 2 ] && grep -q \"secret 'pin' is shorter than 4 bytes.*\\[secret-too-short\\]\" '$T/err'"

# What pipec writes itself hides secrets too: the summary and the report
# (a step's name, its image).
pipeline named <<'EOF'
steps:
- name: uses-s3cr3t-tag
  image: busybox:s3cr3t-tag
  commands: ["true"]
EOF
run named --secret tag=s3cr3t-tag --report "$T/named.json"
name_="the summary and the report's name and image fields hide a secret value"
expect sh -c "[ $rc = 0 ] && grep -q 'uses-\*\*\*\*\*\*\*\*  *success' '$T/err' && grep -q '\"busybox:\*\*\*\*\*\*\*\*\"' '$T/named.json' && ! grep -q s3cr3t '$T/out' '$T/err' '$T/named.json'"

pipeline needs <<EOF
steps:
- name: use
  environment:
    TOKEN: {from_secret: token}
  commands:
  - touch $T/used
  - test "\$TOKEN" = s3cr3t-value
  - tr '\\\\0' ' ' < /proc/\$\$\$\$/cmdline > $T/argv
  - echo \$TOKEN
EOF
run needs
name_="a missing secret is an error before anything starts"
expect sh -c "[ $rc = 2 ] && [ ! -e '$T/used' ] && grep -q \"secret 'token' is not set\" '$T/err'"
printf '# comment\nexport token="s3cr3t-value"\n' >"$T/dotenv"
run needs --secrets "$T/dotenv"
name_="--secrets reads a dotenv file; the value reaches the environment, masked"
expect sh -c "[ $rc = 0 ] && grep -q '^use | \*\*\*\*\*\*\*\*$' '$T/out' && ! grep -q s3cr3t '$T/out'"
name_="the secret is not in the step's argv"
expect sh -c "[ -s '$T/argv' ] && ! grep -q s3cr3t '$T/argv'"
token=s3cr3t-value run needs --secret-env token
name_="--secret-env takes the value from a host variable"
expect sh -c "[ $rc = 0 ] && grep -q '^use | \*\*\*\*\*\*\*\*$' '$T/out'"

# A script that writes a secret's value out without asking for the secret:
# pipec cannot tell, so no script ever reaches an argv.  The step reads its
# own shell's command line while it runs, and the mode of the file it runs.
pipeline quotes <<EOF
steps:
- name: quote
  commands:
  - test s3cr3t-value != ''
  - cat /proc/\$\$\$\$/cmdline > $T/argv2
  - stat -c %a "\$\$0" > $T/mode
EOF
run quotes --secret token=s3cr3t-value
name_="a script quoting a secret's value runs from a file, not from its argv"
expect sh -c "[ $rc = 0 ] && grep -aq '^/bin/sh.*/scripts/' '$T/argv2' && ! grep -aq s3cr3t '$T/argv2'"
name_="a step's script file is readable by its owner only"
expect sh -c "[ \"\$(cat '$T/mode')\" = 600 ]"

# ---- report, log files, workspace, volumes, services -------------------------
pipeline record <<EOF
services:
- name: svc
  commands: [echo \$\$\$\$ > $T/svc.pid, sleep 300]
steps:
- name: check
  volumes: [{name: cache, path: /cache}]
  commands:
  - until [ -s $T/svc.pid ]; do sleep 0.05; done
  - kill -0 \$(cat $T/svc.pid)
  - echo hello > \$PIPEC_VOLUME_CACHE/data
  - pwd > $T/pwd
- name: read
  volumes: [{name: cache, path: /cache}]
  commands: [cat \$PIPEC_VOLUME_CACHE/data]
- name: fail
  commands: [exit 3]
volumes:
- name: cache
  temp: {}
EOF
mkdir -p "$T/ws"
run record --report "$T/report.json" --log-dir "$T/logs" --workspace "$T/ws"
name_="services start first and are stopped at the end"
expect sh -c "grep -q '^check | + kill -0' '$T/out' && ! kill -0 \$(cat '$T/svc.pid') 2>/dev/null"
name_="a temp volume is a directory shared by the steps"
expect grep -q '^read  | hello$' "$T/out"
name_="--workspace is the steps' working directory"
expect test "$(cat "$T/pwd")" = "$T/ws"
name_="--report records steps, states and exit codes"
expect python3 -c "
import json, sys
r = json.load(open('$T/report.json'))
p = r['pipelines'][0]
s = {x['name']: x for x in p['steps']}
ok = (r['status'] == 'failure' and r['backend'] == 'local' and
      s['fail']['exit_code'] == 3 and s['check']['status'] == 'success' and
      'started' in s['read'] and 'finished' in s['read'])
sys.exit(0 if ok else 1)"
name_="--log-dir writes one file per step"
expect grep -qx hello "$T/logs/record/read.log"
name_="the summary names each step with its status"
expect grep -q '^  fail  *failure  *3' "$T/err"
name_="run directories and temp volumes are removed"
expect cleaned "$T/report.json"
run record --timestamps --log-dir "$T/tlogs" --workspace "$T/ws"
name_="--log-dir with --timestamps puts the time before each line, not the step's name"
expect sh -c "grep -Eqx '[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} hello' '$T/tlogs/record/read.log' &&
	grep -Eq '^read  \| [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} hello$' '$T/out'"

cat >"$T/image.yml" <<EOF
kind: pipeline
type: docker
name: image
clone:
  disable: true
services:
- name: redis
  image: redis:7
steps:
- name: ok
  image: busybox:1
  commands: ["true"]
EOF
"$PIPEC" run --backend=local "$T/image.yml" >"$T/out" 2>"$T/err"; rc=$?
name_="an image-only step is invalid input (exit 2) naming it at its position"
expect sh -c "[ $rc = 2 ] && grep -q \"image.yml:7:3: error: service 'redis' has no commands.*\[local-needs-image\]\" '$T/err'"

# ---- artifacts, files, health, masked diagnostics -------------------------
# ir NAME: writes the IR JSON on stdin to $T/NAME.json; irrun runs it like run
ir() { cat >"$T/$1.json"; }
irrun() { name=$1; shift; "$PIPEC" run "$@" "$T/$name.json" >"$T/out" 2>"$T/err"; rc=$?; }

ir share <<'EOF'
{"version": 1, "pipelines": [{"name": "share", "type": "local",
 "files": [{"name": "cfg", "data": "aGVsbG8K"}],
 "steps": [
  {"name": "make", "script": "mkdir -p out/sub && echo one > out/sub/a && echo two > r.txt\n",
   "exports": [{"name": "bin", "path": "out"}, {"name": "rep", "path": "r.txt"}]},
  {"name": "use", "script": "rm -rf out r.txt; cat got/sub/a r2.txt \"$PIPEC_ROOT/etc/cfg\"; stat -c %a \"$PIPEC_ROOT/etc/cfg\"\n",
   "files": [{"name": "cfg", "path": "/etc/cfg", "mode": 384}],
   "imports": [{"name": "bin", "path": "got"}, {"name": "rep", "path": "r2.txt"}]}]}]}
EOF
irrun share --artifacts "$T/art"
name_="exports reach later steps' imports"
expect sh -c "[ $rc = 0 ] && grep -q '^use  | one\$' '$T/out' && grep -q '^use  | two\$' '$T/out'"
name_="--artifacts writes each export to DIR/NAME on the local backend"
expect sh -c "[ \"\$(cat '$T/art/bin/out/sub/a' '$T/art/rep/r.txt')\" = \"\$(printf 'one\ntwo')\" ]"
name_="pipeline files are written with their mode"
expect sh -c "grep -q '^use  | hello\$' '$T/out' && grep -q '^use  | 600\$' '$T/out'"

ir healthy <<'EOF'
{"version": 1, "pipelines": [{"name": "healthy", "type": "local", "steps": [
  {"name": "svc", "detach": true, "script": "sleep 0.3; touch ready; sleep 30\n",
   "health": {"command": ["test", "-e", "ready"], "interval_ms": 50}},
  {"name": "use", "script": "test -e ready && echo saw it\n"}]}]}
EOF
irrun healthy
name_="a step waits for a service's health check"
expect sh -c "[ $rc = 0 ] && grep -q '^use | saw it\$' '$T/out'"

ir unhealthy <<'EOF'
{"version": 1, "pipelines": [{"name": "unhealthy", "type": "local", "steps": [
  {"name": "svc", "detach": true, "script": "sleep 30\n",
   "source": {"file": "u.yml", "line": 4, "column": 3},
   "health": {"command": ["false"], "interval_ms": 20, "retries": 3}},
  {"name": "use", "script": "echo ran\n"}]}]}
EOF
irrun unhealthy
name_="a service never ready is an error at its position; its dependents never run"
expect sh -c "[ $rc = 1 ] && ! grep -q ran '$T/out' && grep -q \"^u.yml:4:3: error: service 'svc' is not ready after 3 tries.*service-not-ready\" '$T/err'"

ir quoted <<'EOF'
{"version": 1, "pipelines": [{"name": "quoted", "type": "local",
 "secrets": [{"name": "token"}], "steps": [
  {"name": "use", "shell": "/nonexistent/s3cr3t-value", "script": "true\n",
   "secrets": [{"name": "token", "env": "TOKEN"}]}]}]}
EOF
irrun quoted --secret token=s3cr3t-value --report "$T/quoted-report.json"
name_="secret values are masked in diagnostics and the report"
expect sh -c "[ $rc = 1 ] && grep -q \"cannot run '/nonexistent/[*]\{8\}'\" '$T/err' && ! grep -q s3cr3t '$T/err' '$T/quoted-report.json'"
name_="no run directory is left in the temp directory"
expect cleaned "$T/quoted-report.json"

# ---- backends -----------------------------------------------------------------
pipeline plug <<EOF
steps:
- name: hello
  environment: {GREETING: hi there}
  commands: [echo not run]
EOF
run plug --backend-plugin="$B/tests/plugin/echo.so" --report "$T/plug.json"
name_="a backend plugin runs the pipeline"
expect sh -c "[ $rc = 0 ] && grep -q \"^hello | plugin ran 'hello': hi there\$\" '$T/out' && grep -q sha256:0123 '$T/plug.json'"
run plug --backend-plugin="$T/nope.so"
name_="a plugin that cannot be loaded is an error"
expect sh -c "[ $rc = 2 ] && grep -q backend-plugin '$T/err'"
run plug --backend=nowhere
name_="an unknown backend is an error"
expect test "$rc" = 2

# Pipelines for Drone's machine runners run their commands here, each
# with one line saying so; their runners' keys name no pipeline secret.
cat >"$TMP/runners.yml" <<'YML'
kind: pipeline
type: ssh
name: deploy
server:
  host: deploy.example.com
  user: ci
  ssh_key:
    from_secret: deploy_key
clone:
  disable: true
steps:
- name: release
  commands:
  - echo released-by-ssh-pipeline
---
kind: pipeline
type: vm
name: smoke
pool:
  use: ubuntu
clone:
  disable: true
steps:
- name: smoke
  commands:
  - echo smoke-on-vm-pipeline
YML
produces "ssh and vm pipelines run on the local backend" "$TMP/out" "$PIPEC" run "$TMP/runners.yml"
check "the ssh pipeline's step ran" grep -q 'released-by-ssh-pipeline' "$TMP/out"
check "the vm pipeline's step ran" grep -q 'smoke-on-vm-pipeline' "$TMP/out"
check "one notice names the ssh runner" grep -qF "pipeline 'deploy' is written for Drone's ssh runner; its steps run here as local processes" "$TMP/err"
check "one notice names the vm runner" grep -qF "pipeline 'smoke' is written for Drone's vm runner" "$TMP/err"
