#!/bin/sh
# pipec emit --format=argo: every sample and golden input that compiles
# is written (exit 0, not empty) and every object passes the checks the
# API server makes (tests/kube-objects.js: @kubernetes-models/argo-workflows
# and kubernetes-models, unknown fields refused, each container template
# as a Pod, every DAG reference resolved); then what the mapping promises:
# a DAG task per step with `depends` from depends_on and the run policy,
# services as daemons reached by name, secrets as secretKeyRefs.
. tests/lib.sh

check_emit_inputs argo

if ! sh tests/npm-deps.sh; then
	ok "emit argo: @kubernetes-models/argo-workflows # SKIP npm or the registry is unavailable"
	exit 0
fi
check "emit argo: every object passes the argo and kubernetes models, unknown fields refused" \
	node tests/kube-objects.js "$TMP"/emit-*.out
# The checker is no yes-man: an unknown field and a task after no task fail.
sed 's/^  entrypoint: \(.*\)$/  entrypoint: \1\n  colour: red/; s/^        depends: .*/        depends: nothing/' \
	"$TMP/emit-1.out" >"$TMP/broken.yml"
node tests/kube-objects.js "$TMP/broken.yml" >"$TMP/out" 2>&1
check "emit argo: the checker refuses a broken Workflow" [ $? -eq 1 -a -s "$TMP/emit-1.out" ]
check "emit argo: an unknown field, named" grep -q 'workflow.spec.colour: field not declared' "$TMP/out"

# emit FILE [OPTIONS]: the objects of FILE as JSON in $TMP/a.json, checked.
emit() {
	f=$1; shift
	# shellcheck disable=SC2086
	"$PIPEC" emit --format=argo $EMIT_CONTEXT "$@" "$f" -o "$TMP/a.yml" 2>"$TMP/err" &&
		[ -s "$TMP/a.yml" ] && node tests/kube-objects.js "$TMP/a.yml" &&
		python3 -c 'import json, sys, yaml; json.dump(list(yaml.safe_load_all(open(sys.argv[1]))), open(sys.argv[2], "w"))' \
			"$TMP/a.yml" "$TMP/a.json"
}
# q EXPR: true when the Python expression over `o` (the objects) and
# `t` (the Workflow's templates by name) holds.
q() {
	python3 -c 'import json, sys
o = json.load(open(sys.argv[1]))
t = {x["name"]: x for x in [d for d in o if d["kind"] == "Workflow"][0]["spec"]["templates"]}
sys.exit(0 if eval(sys.argv[2]) else 1)' "$TMP/a.json" "$1"
}
# tasks DAG: {task name: depends} of the DAG template DAG.
tasks() { echo "{k['name']: k.get('depends') for k in t['$1']['dag']['tasks']}"; }

check "emit argo: dag sample written" emit samples/dag.yml
check "emit argo: a task per step, depends from depends_on" \
	q "$(tasks dag) == {'fetch': None, 'lint': 'fetch', 'unit': 'fetch', 'package': 'lint && unit'}"
check "emit argo: on-failure sample written" emit samples/on-failure.yml
check "emit argo: run policies in depends" \
	q "$(tasks on-failure) == {'test': None, 'deploy': 'test', 'notify': '(deploy.Failed || deploy.Errored || deploy.Omitted)', 'cleanup': '(notify.Succeeded || notify.Failed || notify.Errored || notify.Skipped || notify.Omitted || notify.Daemoned)'}"
check "emit argo: redis-service sample written" emit samples/redis-service.yml
check "emit argo: a service is a daemon the step waits for" \
	q "t['redis-cache']['daemon'] is True and $(tasks redis)['ping'] == 'cache'"
check "emit argo: and reaches by name, through the daemon's IP" \
	q "json.loads(t['redis-ping']['podSpecPatch'])['hostAliases'] == [{'ip': '{{inputs.parameters.ip-cache}}', 'hostnames': ['cache']}]"
check "emit argo: the workspace is a claim of the workflow" \
	q "t['redis-ping']['container']['volumeMounts'][0] == {'name': 'pipec-workspace', 'mountPath': '/drone', 'subPath': 'workspace'}"
check "emit argo: volumes sample written" emit samples/volumes.yml
check "emit argo: the claim is the Workflow's one volumeClaimTemplates entry, ReadWriteOnce" \
	q "[(c['metadata']['name'], c['spec']['accessModes']) for c in [d for d in o if d['kind'] == 'Workflow'][0]['spec']['volumeClaimTemplates']] == [('pipec-workspace', ['ReadWriteOnce'])]"
mounts="{k: [(m['mountPath'], m.get('subPath')) for m in v['container']['volumeMounts'] if m['name'] == 'pipec-workspace'] for k, v in t.items() if 'container' in v}"
check "emit argo: every step mounts it, the workspace and a temp volume in folders of it" \
	q "$mounts == {'volumes-write': [('/drone', 'workspace'), ('/cache', 'volumes/cache')], 'volumes-read': [('/drone', 'workspace'), ('/cache', 'volumes/cache')]}"
check "emit argo: and no template declares it as a volume of its own" \
	q "not any(v['name'] == 'pipec-workspace' for x in t.values() for v in x.get('volumes', []))"
PIPEC_SAMPLE_TOKEN=sample-token-value
export PIPEC_SAMPLE_TOKEN
check "emit argo: secrets sample written" emit samples/secrets.yml --secret-name=ci-secrets
check "emit argo: a secret is a secretKeyRef into --secret-name" \
	q "{'name': 'API_TOKEN', 'valueFrom': {'secretKeyRef': {'name': 'ci-secrets', 'key': 'api_token'}}} in t['secrets-use']['container']['env']"
check "emit argo: no secret value in the objects" sh -c "[ -s '$TMP/a.yml' ] && ! grep -q sample-token-value '$TMP/a.yml'"
check "emit argo: multi-pipeline sample written" emit samples/multi-pipeline.yml
check "emit argo: pipelines are tasks of one DAG, after their depends_on" \
	q "$(tasks pipelines) == {'test': None, 'deploy': 'test', 'docs': None}"
