#!/bin/sh
# drone-runtime IR import end to end: the files of both generations in
# tests/drone-runtime validate and compile (all_fields.json of each uses
# every key docs/drone-runtime.md lists), our own files of both
# generations become the IR they mean, secret values never reach the
# output, and broken files fail with exit 2 and pointers instead of
# crashing.
. tests/lib.sh

SAMPLES=tests/drone-runtime

# schema_valid FILE...: every FILE is valid per docs/ir.schema.json.
schema_valid() {
	python3 -c 'import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open("docs/ir.schema.json")))
bad = [(f, e.message) for f in sys.argv[1:] for e in v.iter_errors(json.load(open(f)))]
for f, m in bad[:10]:
    print("#   %s: %s" % (f, m))
sys.exit(1 if bad else 0)' "$@"
}

# json_true FILE EXPR: python's verdict on EXPR over the JSON in FILE (as `d`).
json_true() {
	[ -s "$1" ] && python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}

for f in $(find "$SAMPLES" -name '*.json' | sort); do
	rel=${f#"$SAMPLES"/}
	# Not a pipeline: the registry credentials the runtime's --config read.
	if [ "$(basename "$f")" = docker-config.json ]; then
		expect_exit 2 "sample $rel is refused as not drone-runtime IR" \
			"$PIPEC" validate "$f"
		check "sample $rel names the reason" grep -q 'drone-runtime-not-ir' "$TMP/err"
		continue
	fi
	# --trusted: the samples mount host paths, the Docker socket among them.
	produces "sample $rel validates, and lints to JSON" "$TMP/out" sh -c \
		'"$1" validate --trusted "$2" && "$1" lint --trusted --format=json "$2"' - "$PIPEC" "$f"
	check "sample $rel: every key is known" json_true "$TMP/out" \
		'all(x["rule"] != "drone-runtime-unknown-key" for x in d)'
	rm -f "$TMP/out.json"
	"$PIPEC" --trusted "$f" -o "$TMP/out.json" 2>"$TMP/err"
	check "sample $rel compiles to IR v3" json_true "$TMP/out.json" \
		'd["version"] == 3 and len(d["pipelines"]) == 1 and d["pipelines"][0]["steps"]'
	[ -s "$TMP/out.json" ] && cp "$TMP/out.json" "$TMP/ir-$(echo "$rel" | tr / -)"
done

# all_fields.json: what each documented key becomes.
old=$TMP/ir-legacy-all_fields.json new=$TMP/ir-spec-all_fields.json
step() { echo '[s for s in d["pipelines"][0]["steps"] if s["name"] == "'$1'"][0]'; }
check "old keys: image, pull, entrypoint, command, working_dir, environment" json_true "$old" \
	"$(step compile)['pull'] == 'always' and $(step compile)['entrypoint'] == ['/bin/sh', '-c'] and $(step compile)['command'] == ['go build ./...'] and $(step compile)['working_dir'] == '/go/src/app' and $(step compile)['environment']['GOOS'] == 'linux'"
check "old keys: err_ignore, dns, dns_search, extra_hosts, devices" json_true "$old" \
	"$(step compile)['ignore_error'] and $(step compile)['dns'] == ['127.0.0.53'] and $(step compile)['dns_search'] == ['corp.test'] and $(step compile)['extra_hosts'] == ['mirror.test:127.0.0.1'] and $(step compile)['devices'][0]['path'] == '/dev/fuse'"
check "old keys: mem_limit, shm_size, cpu_quota" json_true "$old" \
	"$(step compile)['resources'] == {'memory': 536870912, 'shm_size': 67108864, 'cpu_millis': 1500}"
check "old keys: detach, privileged, network_mode, on_success + on_failure" json_true "$old" \
	"$(step watch)['detach'] and $(step watch)['privileged'] and $(step watch)['network_mode'] == 'host' and $(step watch)['run_policy'] == 'always'"
check "old keys: backup and restore become an artifact" json_true "$old" \
	"$(step package)['imports'] == [{'name': '/snapshot/bin', 'path': '/go/src/app/bin'}] and $(step package)['run_policy'] == 'on-failure'"
check "old keys: network aliases other than the step's name" json_true "$old" \
	"$(step compile)['aliases'] == ['builder']"
check "old keys: volumes, tmpfs, networks" json_true "$old" \
	"{v['name'] for v in d['pipelines'][0]['volumes']} >= {'cache', 'scratch'} and d['pipelines'][0]['networks'][0]['name'] == 'build_net'"
check "new keys: platform" json_true "$new" \
	"d['pipelines'][0]['platform'] == {'os': 'linux', 'arch': 'arm64', 'variant': 'v8'}"
check "new keys: docker.command, args, pull_policy, privileged, user, networks" json_true "$new" \
	"$(step build)['entrypoint'] == ['/usr/local/bin/entry'] and $(step build)['command'] == ['go', 'test', './...'] and $(step build)['pull'] == 'always' and $(step build)['privileged'] and $(step build)['user'] == '1000:1000' and $(step build)['networks'] == ['backend']"
check "new keys: resources.limits, files, devices, secrets, ignore_err" json_true "$new" \
	"$(step build)['resources'] == {'cpu_millis': 1500, 'memory': 268435456} and $(step build)['files'][0]['mode'] == 493 and $(step build)['devices'][0]['host_path'] == '/dev/fuse' and $(step build)['secrets'][0] == {'name': 'api_token', 'env': 'API_TOKEN'} and $(step build)['ignore_error']"
check "new keys: ports, depends_on, run_policy, network" json_true "$new" \
	"$(step db)['ports'][0]['port'] == 6379 and $(step build)['depends_on'] == ['db'] and $(step report)['run_policy'] == 'on-failure' and $(step report)['network_mode'] == 'host'"
check "all_fields secret values and registry passwords are not in the IR" \
	sh -c "[ -s '$old' ] && [ -s '$new' ] && ! grep -q 'all-fields' '$old' '$new'"

# The 2017-18 format: stages, run policies, backup/restore, a secret.
cat >"$TMP/old.json" <<'EOF'
{
  "version": 1,
  "volumes": [{"name": "cache", "driver": "local"}],
  "pipeline": [
    {"name": "one", "steps": [
      {"name": "c0", "alias": "build", "image": "alpine:3.6", "on_success": true,
       "entrypoint": ["/bin/sh", "-c"], "command": ["echo hi > /out/x"],
       "volumes": [{"name": "cache", "target": "/cache"}],
       "backup": [{"source": "/out", "target": "/snap/out"}],
       "secrets": [{"name": "TOKEN", "value": "old-e2e-secret-value", "mask": true}]},
      {"name": "c1", "alias": "lint", "image": "alpine:3.6", "on_success": true}]},
    {"name": "two", "steps": [
      {"name": "c2", "alias": "test", "image": "alpine:3.6", "on_success": true,
       "on_failure": true, "restore": [{"source": "/snap/out", "target": "/"}]}]}
  ]
}
EOF
produces "old format compiles" "$TMP/old.ir.json" "$PIPEC" "$TMP/old.json" -o "$TMP/old.ir.json"
check "old stages become depends_on" json_true "$TMP/old.ir.json" \
	'[s.get("depends_on") for s in d["pipelines"][0]["steps"] if s["name"] == "test"] == [["build", "lint"]]'
check "old on_success + on_failure is always" json_true "$TMP/old.ir.json" \
	'[s.get("run_policy") for s in d["pipelines"][0]["steps"] if s["name"] == "test"] == ["always"]'
check "old backup and restore are artifacts" json_true "$TMP/old.ir.json" \
	'any(s.get("imports") == [{"name": "/snap/out", "path": "/out"}] for s in d["pipelines"][0]["steps"])'
check "old secret value is not in the IR" sh -c "[ -s '$TMP/old.ir.json' ] && ! grep -q old-e2e-secret-value '$TMP/old.ir.json'"
check "old secret value is warned about" grep -q 'drone-runtime-secret-value' "$TMP/err"

# The 2019 spec format: the command/args swap, a secret, a file, serial order.
cat >"$TMP/new.json" <<'EOF'
{
  "metadata": {"uid": "u", "name": "spec-e2e"},
  "secrets": [{"metadata": {"name": "pw"}, "data": "new-e2e-secret-value"}],
  "files": [{"metadata": {"name": "init"}, "data": "ZWNobyBoaQo="}],
  "steps": [
    {"metadata": {"name": "db"}, "detach": true, "docker": {"image": "postgres:9-alpine"},
     "secrets": [{"name": "pw", "env": "POSTGRES_PASSWORD"}]},
    {"metadata": {"name": "client"}, "run_policy": "on-failure",
     "files": [{"name": "init", "path": "/init", "mode": 493}],
     "docker": {"image": "alpine:3.6", "command": ["/bin/sh"], "args": ["/init"]}}
  ],
  "docker": {}
}
EOF
produces "new format compiles" "$TMP/new.ir.json" "$PIPEC" "$TMP/new.json" -o "$TMP/new.ir.json"
check "new docker.command is the entrypoint, args the command" json_true "$TMP/new.ir.json" \
	'[(s.get("entrypoint"), s.get("command")) for s in d["pipelines"][0]["steps"] if s["name"] == "client"] == [(["/bin/sh"], ["/init"])]'
check "new serial order becomes depends_on" json_true "$TMP/new.ir.json" \
	'[s.get("depends_on") for s in d["pipelines"][0]["steps"] if s["name"] == "client"] == [["db"]]'
check "new secret value is not in the IR" sh -c "[ -s '$TMP/new.ir.json' ] && ! grep -q new-e2e-secret-value '$TMP/new.ir.json'"
check "new secret is declared for run time" json_true "$TMP/new.ir.json" \
	'd["pipelines"][0]["secrets"][0]["name"] == "pw"'
"$PIPEC" "$TMP/new.json" -o "$TMP/again.json" 2>/dev/null
same_file "import output is deterministic" "$TMP/new.ir.json" "$TMP/again.json"

check "imported IR validates against the schema" schema_valid "$TMP"/*.ir.json \
	$(ls "$TMP"/ir-* 2>/dev/null)

# Type errors: every one, each at its JSON Pointer, exit 2.
cat >"$TMP/types.json" <<'EOF'
{"metadata": {"name": 1}, "steps": [{"metadata": {"name": "a"}, "detach": "yes",
 "docker": {"image": 3}}]}
EOF
expect_exit 2 "type errors exit 2" "$PIPEC" validate "$TMP/types.json"
check "type errors name their pointers" sh -c "
	grep -q '/metadata/name: error: expected a string, got a number \[drone-runtime-type\]' '$TMP/err' &&
	grep -q '/steps/0/detach: error: expected a boolean, got a string \[drone-runtime-type\]' '$TMP/err' &&
	grep -q '/steps/0/docker/image: error: expected a string, got a number \[drone-runtime-type\]' '$TMP/err'"

# Keys match case-insensitively, as drone-runtime's decoder did.
printf '%s' '{"METADATA": {"NAME": "loud"}, "Steps": [{"Metadata": {"Name": "a"}, "Docker": {"Image": "alpine:3.6"}}]}' >"$TMP/case.json"
produces "case-insensitive keys compile" "$TMP/case.ir.json" "$PIPEC" "$TMP/case.json" -o "$TMP/case.ir.json"
check "case-insensitive keys keep their values" json_true "$TMP/case.ir.json" \
	'd["pipelines"][0]["name"] == "loud" and d["pipelines"][0]["steps"][0]["image"] == "alpine:3.6"'

# A repeated environment or labels key keeps its last value, as Go's map
# did, with a warning at the key: the IR holds it once, so pipec reads
# back what it wrote.  Both generations read environments the same way.
cat >"$TMP/dupenv.json" <<'EOF'
{"metadata": {"name": "dup"}, "steps": [{"metadata": {"name": "a"},
 "docker": {"image": "alpine:3.6"}, "environment": {"A": "1", "B": "b", "A": "2", "A": "3"}}]}
EOF
cat >"$TMP/dupenv-old.json" <<'EOF'
{"version": 1, "pipeline": [{"name": "one", "steps": [{"name": "a", "alias": "a", "image": "alpine:3.6",
 "on_success": true, "environment": {"A": "1", "A": "2"}, "labels": {"l": "x", "l": "y"}}]}]}
EOF
produces "repeated environment key builds" "$TMP/dupenv.ir.json" "$PIPEC" "$TMP/dupenv.json" -o "$TMP/dupenv.ir.json"
check "repeated environment key is warned about at the key, once per repeat" sh -c "
	[ \$(grep -c 'dupenv.json:/steps/0/environment/A: warning: repeated key .A.: the last value is kept \[drone-runtime-duplicate-key\]' '$TMP/err') -eq 2 ]"
check "repeated environment key keeps the last value, once" json_true "$TMP/dupenv.ir.json" \
	'd["pipelines"][0]["steps"][0]["environment"] == {"A": "3", "B": "b"}'
check "repeated environment key appears once in the IR text" sh -c "[ \$(grep -c '\"A\"' '$TMP/dupenv.ir.json') -eq 1 ]"
accepts "the IR built from a repeated key validates" "$TMP/dupenv.ir.json"
produces "repeated keys in the old format build" "$TMP/dupenv-old.ir.json" \
	"$PIPEC" "$TMP/dupenv-old.json" -o "$TMP/dupenv-old.ir.json"
check "old format: repeated environment key keeps the last value" json_true "$TMP/dupenv-old.ir.json" \
	'd["pipelines"][0]["steps"][0]["environment"] == {"A": "2"}'
check "old format: repeated environment key is warned about" \
	grep -q '/pipeline/0/steps/0/environment/A: warning: .*\[drone-runtime-duplicate-key\]' "$TMP/err"
accepts "old format: the IR built from a repeated key validates" "$TMP/dupenv-old.ir.json"

# A file whose only step never runs skips its pipeline: nothing to build,
# and no IR pipec would refuse for a pipeline without steps.
printf '%s' '{"version": 1, "pipeline": [{"name": "one", "steps": [{"name": "a", "alias": "a", "image": "alpine:3.6"}]}]}' >"$TMP/never.json"
expect_exit 2 "a file whose steps never run builds nothing" "$PIPEC" "$TMP/never.json" -o "$TMP/never.ir.json"
check "it says the step never runs and writes no IR" sh -c "[ ! -e '$TMP/never.ir.json' ] &&
	grep -q 'drone-runtime-never-runs' '$TMP/err' && grep -q 'every pipeline is skipped in this build: no IR to write \[no-pipelines\]' '$TMP/err'"

# A port names a container port: without `port`, or with 0, it is an error.
printf '%s' '{"metadata": {"name": "p"}, "steps": [{"metadata": {"name": "db"}, "docker": {"image": "redis:7",
 "ports": [{"host": 6379}, {"port": 0}, {"port": 6380}]}}]}' >"$TMP/ports.json"
expect_exit 2 "a port without a port number is refused" "$PIPEC" validate "$TMP/ports.json"
check "a port without 'port' is a missing-key error at the port" \
	grep -q "ports.json:/steps/0/docker/ports/0: error: port without 'port': no container port is named \[missing-key\]" "$TMP/err"
check "port 0 is out of range at its pointer" \
	grep -q 'ports.json:/steps/0/docker/ports/1/port: error: integer 0 is out of range \[drone-runtime-type\]' "$TMP/err"
check "the valid port is not reported" sh -c "grep -q 'ports/1/port' '$TMP/err' && ! grep -q 'ports/2' '$TMP/err'"

# Malformed input fails cleanly: exit 2, never a signal.
i=0
for text in '{' '{"steps": [}' '{"steps": 5}' '{"pipeline": [null, 1, {"steps": [1]}]}' \
	'{"steps": [{"docker": 1, "files": [1], "volumes": {}}]}' '{"files": [{"data": "@@"}], "steps": []}'; do
	i=$((i + 1))
	printf '%s' "$text" >"$TMP/bad$i.json"
	expect_exit 2 "malformed input $i fails cleanly" "$PIPEC" validate "$TMP/bad$i.json"
done

# JSON nested deeper than the parser goes says so, not just "malformed".
python3 -c 'print("{\"steps\": [{\"name\": \"a\", \"environment\": " + "[" * 3000 + "]" * 3000 + "}]}")' >"$TMP/deep.json"
expect_exit 2 "nesting too deep fails cleanly" "$PIPEC" validate "$TMP/deep.json"
check "nesting too deep is named" grep -q "deep.json:1:[0-9]*: error: arrays and objects nest deeper than 1000 levels \[drone-runtime-json\]" "$TMP/err"
