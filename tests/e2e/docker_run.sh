#!/bin/sh
# pipec run on a real Docker engine: steps, workspace, volumes, services,
# artifacts, failures, interrupts and prune, each followed by a leak check.
. tests/lib.sh
. tests/docker/lib.sh
docker_setup

cat >"$TMP/basic.yml" <<'YML'
kind: pipeline
type: docker
name: basic
clone:
  disable: true
steps:
- name: write
  image: busybox:1.35
  commands:
  - echo to-stdout
  - echo to-stderr >&2
  - pwd
  - echo shared > file.txt
- name: read
  image: busybox:1.35
  commands:
  - cat file.txt
  - nslookup write 2>/dev/null | grep -q Name || nslookup read >/dev/null && echo dns-ok
YML
prun "$TMP/basic.yml"
check "basic: exits 0" exited 0 $?
check "basic: stdout and stderr are streamed" sh -c "has() { grep -qF -- \"\$2\" \"\$1\"; }; has '$TMP/out' 'to-stdout' && has '$TMP/out' 'to-stderr'"
check "basic: steps run in the workspace path" has "$TMP/out" "/drone/src"
check "basic: the workspace is shared" has "$TMP/out" "| shared"
check "basic: step names resolve on the run network" has "$TMP/out" "dns-ok"
check "basic: the header names the docker backend" has "$TMP/err" "docker backend"
leak_check basic

cat >"$TMP/fail.yml" <<'YML'
kind: pipeline
type: docker
name: fail
clone:
  disable: true
steps:
- name: bad
  image: busybox:1.35
  commands:
  - exit 3
- name: after
  image: busybox:1.35
  commands:
  - echo never
- name: cleanup
  image: busybox:1.35
  commands:
  - echo on-failure-ran
  when:
    status: [failure]
YML
prun "$TMP/fail.yml"
check "failure: exits 1" exited 1 $?
check "failure: the exit status is reported" has "$TMP/err" "exited with status 3"
check "failure: on-failure step runs" has "$TMP/out" "on-failure-ran"
check "failure: later step does not run" lacks "$TMP/out" never
leak_check failure

cat >"$TMP/vol.yml" <<YML
kind: pipeline
type: docker
name: vol
clone:
  disable: true
steps:
- name: write
  image: busybox:1.35
  volumes:
  - {name: cache, path: /cache}
  - {name: mem, path: /mem}
  - {name: hostdir, path: /hostdir}
  commands:
  - echo kept > /cache/data
  - echo host > /hostdir/from-step
  - grep -q ' /mem tmpfs' /proc/mounts && echo mem-is-tmpfs
- name: read
  image: busybox:1.35
  volumes:
  - {name: cache, path: /cache}
  commands:
  - cat /cache/data
volumes:
- name: cache
  temp: {}
- name: mem
  temp: {medium: memory, size_limit: 16MiB}
- name: hostdir
  host: {path: $TMP/hostdir}
YML
prun "$TMP/vol.yml" --trusted
check "volumes: exits 0" exited 0 $?
check "volumes: temp volume shared" has "$TMP/out" "| kept"
check "volumes: memory volume is a tmpfs" has "$TMP/out" "mem-is-tmpfs"
check "volumes: host bind written" has "$TMP/hostdir/from-step" "host"
leak_check volumes

cat >"$TMP/svc.yml" <<'YML'
kind: pipeline
type: docker
name: svc
clone:
  disable: true
services:
- name: cache
  image: redis:7
- name: db
  image: postgres:15
  environment:
    POSTGRES_USER: ci
    POSTGRES_PASSWORD: secret
    POSTGRES_DB: app
steps:
- name: ping
  image: redis:7
  commands:
  - for i in $(seq 1 50); do redis-cli -h cache ping >/dev/null 2>&1 && break; sleep 0.2; done
  - redis-cli -h cache set greeting hello
  - redis-cli -h cache get greeting
- name: query
  image: postgres:15
  environment:
    PGPASSWORD: secret
  commands:
  - for i in $(seq 1 60); do pg_isready -q -h db -U ci && break; sleep 0.5; done
  - psql -h db -U ci -d app -t -c "create table t (v int); insert into t values (40), (2); select sum(v) from t"
YML
prun "$TMP/svc.yml"
check "services: exits 0" exited 0 $?
check "services: redis answers by name" has "$TMP/out" "| hello"
check "services: a step queries postgres" has "$TMP/out" "42"
leak_check services

# Readiness and artifacts have no YAML spelling: IR JSON.
cat >"$TMP/ready.json" <<'JSON'
{"version": 1, "pipelines": [{"name": "ready", "type": "docker",
 "workspace": {"base": "/drone", "path": "src"},
 "steps": [
  {"name": "cache", "image": "redis:7", "detach": true,
   "entrypoint": ["sh", "-c", "sleep 2; exec redis-server --protected-mode no"],
   "health": {"command": ["redis-cli", "ping"], "interval_ms": 300, "retries": 100}},
  {"name": "ping", "image": "redis:7", "script": "redis-cli -h cache ping\n"},
  {"name": "make", "image": "busybox:1.35", "depends_on": ["ping"],
   "script": "mkdir -p out/sub && echo built > out/sub/bin.txt\n",
   "exports": [{"name": "bin", "path": "out"}]},
  {"name": "use", "image": "busybox:1.35", "depends_on": ["make"],
   "script": "cat /import/out/sub/bin.txt\n",
   "imports": [{"name": "bin", "path": "/import/out"}]}
 ]}]}
JSON
prun "$TMP/ready.json" --artifacts "$TMP/art"
check "readiness: exits 0" exited 0 $?
check "readiness: the step waited for the health command" has "$TMP/out" "PONG"
check "artifacts: imported into a later step" has "$TMP/out" "| built"
check "artifacts: written to --artifacts DIR" has "$TMP/art/bin/out/sub/bin.txt" "built"
leak_check readiness

cat >"$TMP/notready.json" <<'JSON'
{"version": 1, "pipelines": [{"name": "notready", "type": "docker",
 "steps": [
  {"name": "svc", "image": "busybox:1.35", "detach": true, "command": ["sleep", "60"],
   "health": {"command": ["false"], "interval_ms": 200}},
  {"name": "step", "image": "busybox:1.35", "script": "echo ran\n"}
 ]}]}
JSON
prun "$TMP/notready.json" --service-timeout 2s
check "readiness: --service-timeout fails the dependent step" exited 1 $?
check "readiness: the timeout is explained" has "$TMP/err" "service-not-ready"
leak_check notready

cat >"$TMP/oom.yml" <<'YML'
kind: pipeline
type: docker
name: oom
clone:
  disable: true
steps:
- name: hog
  image: busybox:1.35
  resources:
    limits:
      memory: 8MiB
  commands:
  - dd if=/dev/zero of=/dev/null bs=64M count=1
YML
prun "$TMP/oom.yml" --report "$TMP/oom.report"
check "oom: exits 1" exited 1 $?
check "oom: reported as killed for memory" grep -q '"oom_killed":[[:space:]]*true' "$TMP/oom.report"
check "oom: said at the step under out-of-memory" has "$TMP/err" "oom.yml:7:3: error: step 'hog' ran out of memory [out-of-memory]"
leak_check oom

cat >"$TMP/never.yml" <<'YML'
kind: pipeline
type: docker
name: never
clone:
  disable: true
steps:
- name: s
  image: pipec-test/absent:1
  pull: never
  commands: [true]
YML
prun "$TMP/never.yml"
check "pull never: missing image fails" exited 1 $?
check "pull never: the rule is named" has "$TMP/err" "image-pull-failed"
leak_check pull-never

# Two runs of one file side by side never collide.
prun "$TMP/basic.yml" & p1=$!
"$PIPEC" run --backend=docker "$TMP/basic.yml" >"$TMP/out2" 2>&1 & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
check "side by side: both runs succeed" [ $r1 -eq 0 -a $r2 -eq 0 -a -s "$TMP/err" -a -s "$TMP/out2" ]
leak_check side-by-side

cat >"$TMP/slow.yml" <<'YML'
kind: pipeline
type: docker
name: slow
clone:
  disable: true
services:
- name: bg
  image: busybox:1.35
  commands: [sleep 300]
steps:
- name: sleeper
  image: busybox:1.35
  commands:
  - echo started
  - sleep 300
YML
# wait_started PID: until the step printed, or the run ended.
wait_started() {
	i=0
	while ! grep -q started "$TMP/out" 2>/dev/null && kill -0 "$1" 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.1; i=$((i + 1))
	done
}
"$PIPEC" run --backend=docker "$TMP/slow.yml" >"$TMP/out" 2>"$TMP/err" & pid=$!
wait_started $pid
kill -INT $pid
wait $pid
check "sigint: exits 130" exited 130 $?
leak_check sigint

"$PIPEC" run --backend=docker "$TMP/slow.yml" >"$TMP/out" 2>"$TMP/err" & pid=$!
wait_started $pid
kill -KILL $pid
wait $pid 2>/dev/null
check "sigkill: the killed run left containers" [ -n "$(labelled container)" ]
"$PIPEC" prune --dry-run >"$TMP/prune" 2>&1
check "prune --dry-run: lists them" has "$TMP/prune" "would remove container"
check "prune --dry-run: removes nothing" [ -n "$(labelled container)" ]
"$PIPEC" prune >"$TMP/prune" 2>&1
check "prune: exits 0" exited 0 $? "$TMP/prune"
leak_check "sigkill and prune"

DOCKER_HOST=unix://$TMP/no.sock "$PIPEC" run --backend=docker "$TMP/basic.yml" >"$TMP/out" 2>"$TMP/err"
check "no engine: fails" exited 2 $?
check "no engine: says how to go on" has "$TMP/err" "--backend=local"
DOCKER_HOST=unix://$TMP/no.sock "$PIPEC" run "$TMP/basic.yml" >"$TMP/out" 2>"$TMP/err"
check "no engine: the default falls back to local with a notice" has "$TMP/err" "running on the local backend"

cat >"$TMP/timeout.yml" <<'YML'
kind: pipeline
type: docker
name: timeout
clone:
  disable: true
steps:
- name: forever
  image: busybox:1.35
  commands: [sleep 300]
YML
prun "$TMP/timeout.yml" --step-timeout 2s --grace 1s
check "step timeout: the run fails" exited 1 $?
leak_check "step timeout"

# A secret at every offset around the 64 KiB break of a long line, in the
# output and the --log-dir file, with timestamps.
cat >"$TMP/longline.yml" <<YML
kind: pipeline
type: docker
name: longline
clone:
  disable: true
steps:
- name: long
  image: busybox:1.35
  environment:
    TOKEN: {from_secret: token}
  commands:
  - $LONG_LINE_STEP
YML
prun "$TMP/longline.yml" --secret token="$LONG_LINE_SECRET" --log-dir "$TMP/longlogs" --timestamps
check "masking: the long-line run exits 0" exited 0 $?
check "masking: a secret straddling the 64 KiB break is hidden whole in the output" hides_long_lines "$TMP/out"
check "masking: ... and in the --log-dir file" hides_long_lines "$TMP/longlogs/longline/long.log"
leak_check masking

# tcp://: the engine's socket behind a TCP forwarder on 127.0.0.1.
sock=${DOCKER_HOST#unix://}
python3 - "$sock" >"$TMP/port" 2>/dev/null <<'PY' &
import socket, sys, threading
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(16)
print(srv.getsockname()[1], flush=True)
def pipe(a, b):
    try:
        while (d := a.recv(65536)):
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try: s.shutdown(socket.SHUT_RDWR)
        except OSError: pass
while True:
    c, _ = srv.accept()
    u = socket.socket(socket.AF_UNIX); u.connect(sys.argv[1])
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
PY
fwd=$!
i=0; while [ ! -s "$TMP/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
DOCKER_HOST=tcp://127.0.0.1:$(cat "$TMP/port") "$PIPEC" run --backend=docker "$TMP/basic.yml" >"$TMP/out" 2>"$TMP/err"
check "tcp://: a run over TCP succeeds" exited 0 $?
kill $fwd 2>/dev/null; wait $fwd 2>/dev/null
leak_check "tcp://"
