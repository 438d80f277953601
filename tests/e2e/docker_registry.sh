#!/bin/sh
# Pulls and registry credentials against a private registry with
# htpasswd auth: no credentials, wrong ones, config.json `auths`, a
# credential helper (and one that never answers), and image_pull_secrets.
. tests/lib.sh
. tests/docker/lib.sh
. tests/docker/registry.sh
trap 'registry_down; engine_down; rm -rf "$TMP"' EXIT
docker_setup
if ! registry_up; then
	fail "registry: starts and holds the private image"
	exit 1
fi

cat >"$TMP/pull.yml" <<YML
kind: pipeline
type: docker
name: pull
clone:
  disable: true
steps:
- name: private
  image: $REG_IMAGE
  pull: always
  commands:
  - echo pulled-and-ran
YML

# config DIR USER PASS: a config.json with an auths entry in DIR.
config() {
	mkdir -p "$1"
	auth=$(printf '%s:%s' "$2" "$3" | base64 | tr -d '\n')
	printf '{"auths": {"http://%s": {"auth": "%s"}, "odd:key:": {"auth": "%%%%"}}}\n' \
		"$REGISTRY" "$auth" >"$1/config.json"
}

# pulled: the run succeeded and the image is now on the engine.
gone() { docker rmi -f "$REG_IMAGE" >/dev/null 2>&1; true; }

gone
mkdir -p "$TMP/empty"
DOCKER_CONFIG=$TMP/empty "$PIPEC" run --backend=docker "$TMP/pull.yml" >"$TMP/out" 2>"$TMP/err"
check "no credentials: the run fails" exited 1 $?
check "no credentials: the pull failure is reported" has "$TMP/err" "[image-pull-failed]"
leak_check "no credentials"

config "$TMP/wrong" "$REG_USER" wrong-password
DOCKER_CONFIG=$TMP/wrong "$PIPEC" run --backend=docker "$TMP/pull.yml" >"$TMP/out" 2>"$TMP/err"
check "wrong password: the run fails" exited 1 $?
leak_check "wrong password"

config "$TMP/right" "$REG_USER" "$REG_PASS"
DOCKER_CONFIG=$TMP/right "$PIPEC" run --backend=docker "$TMP/pull.yml" >"$TMP/out" 2>"$TMP/err"
check "config.json auths: the run succeeds" exited 0 $?
check "config.json auths: the step ran" has "$TMP/out" "pulled-and-ran"
check "config.json auths: pull progress is shown" has "$TMP/err" "pulled image $REG_IMAGE"
leak_check "config.json auths"

# A secret value that is part of the image's name is hidden in the pull
# progress, the summary's messages and the report like everywhere else.
gone
DOCKER_CONFIG=$TMP/right "$PIPEC" run --backend=docker --secret part=private/hello \
	--report "$TMP/pull-report.json" "$TMP/pull.yml" >"$TMP/out" 2>"$TMP/err"
check "masked pull: the run succeeds" exited 0 $?
check "masked pull: the pull lines hide the secret" sh -c "grep -qF 'pulling image $REGISTRY/********:1' '$TMP/err' &&
	grep -qF 'pulled image $REGISTRY/********:1' '$TMP/err'"
check "masked pull: the report's image hides the secret" has "$TMP/pull-report.json" "\"$REGISTRY/********:1\""
check "masked pull: the value appears nowhere" \
	sh -c "[ -s '$TMP/err' ] && [ -s '$TMP/pull-report.json' ] && ! grep -q private/hello '$TMP/out' '$TMP/err' '$TMP/pull-report.json'"
leak_check "masked pull"

gone
mkdir -p "$TMP/bin" "$TMP/helper"
cat >"$TMP/bin/docker-credential-pipectest" <<SH
#!/bin/sh
read server
[ "\$1" = get ] && [ "\$server" = "$REGISTRY" ] || exit 1
printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\n' "\$server" "$REG_USER" "$REG_PASS"
SH
chmod +x "$TMP/bin/docker-credential-pipectest"
printf '{"credHelpers": {"%s": "pipectest"}}\n' "$REGISTRY" >"$TMP/helper/config.json"
PATH=$TMP/bin:$PATH DOCKER_CONFIG=$TMP/helper "$PIPEC" run --backend=docker "$TMP/pull.yml" >"$TMP/out" 2>"$TMP/err"
check "credential helper: the run succeeds" exited 0 $?
leak_check "credential helper"

# A credential helper that never answers (a keyring waiting to be
# unlocked): the step's timeout ends the wait, and so does Ctrl-C; the
# helper is killed and the step never runs.
cat >"$TMP/bin/docker-credential-pipechang" <<SH
#!/bin/sh
echo \$\$ > $TMP/helper.pid
exec sleep 300
SH
chmod +x "$TMP/bin/docker-credential-pipechang"
mkdir -p "$TMP/hang"
printf '{"credHelpers": {"%s": "pipechang"}}\n' "$REGISTRY" >"$TMP/hang/config.json"
helper_gone() { [ -s "$TMP/helper.pid" ] && ! kill -0 "$(cat "$TMP/helper.pid")" 2>/dev/null; }
never_ran() { lacks "$TMP/out" pulled-and-ran; }
gone
t0=$(date +%s)
PATH=$TMP/bin:$PATH DOCKER_CONFIG=$TMP/hang timeout -s KILL 120 "$PIPEC" run --backend=docker \
	--step-timeout 5s "$TMP/pull.yml" >"$TMP/out" 2>"$TMP/err"
rc=$? took=$(($(date +%s) - t0))
check "silent credential helper, step timeout: exits 1" exited 1 $rc
check "silent credential helper, step timeout: reported as the step's timeout" \
	has "$TMP/err" "step 'private' timed out after 5 s [step-timeout]"
check "silent credential helper, step timeout: the helper was killed" helper_gone
check "silent credential helper, step timeout: the step never ran" never_ran
check "silent credential helper, step timeout: over within 25 s (took ${took}s)" [ "$rc" -eq 1 -a "$took" -le 25 ]
leak_check "silent credential helper, step timeout"

rm -f "$TMP/helper.pid"
PATH=$TMP/bin:$PATH DOCKER_CONFIG=$TMP/hang "$PIPEC" run --backend=docker "$TMP/pull.yml" \
	>"$TMP/out" 2>"$TMP/err" &
pid=$!
i=0
while [ ! -s "$TMP/helper.pid" ] && [ $i -lt 600 ] && kill -0 $pid 2>/dev/null; do
	sleep 0.1; i=$((i + 1))
done
sleep 1
interrupt_pid $pid
check "silent credential helper: pipec was still waiting when interrupted" [ "$alive" = yes ]
check "silent credential helper: SIGINT exits 130" exited 130 $rc
check "silent credential helper: the helper was killed" helper_gone
check "silent credential helper: the step never ran" never_ran
check "silent credential helper: over within 20 s of SIGINT (took ${took}s)" [ "$alive" = yes -a "$took" -le 20 ]
leak_check "silent credential helper"

gone
cat >"$TMP/secret.yml" <<YML
kind: pipeline
type: docker
name: secret-pull
clone:
  disable: true
image_pull_secrets:
- dockerconfig
steps:
- name: private
  image: $REG_IMAGE
  pull: always
  commands:
  - echo pulled-with-secret
YML
DOCKER_CONFIG=$TMP/empty "$PIPEC" run --backend=docker --secret-file "dockerconfig=$TMP/right/config.json" \
	"$TMP/secret.yml" >"$TMP/out" 2>"$TMP/err"
check "image_pull_secrets: the run succeeds" exited 0 $?
check "image_pull_secrets: the step ran" has "$TMP/out" "pulled-with-secret"
leak_check "image_pull_secrets"

"$PIPEC" run --backend=docker --report "$TMP/report.json" "$TMP/secret.yml" \
	--secret-file "dockerconfig=$TMP/right/config.json" >/dev/null 2>&1
check "report: the image digest is recorded" grep -q '"image_digest":[[:space:]]*"sha256:' "$TMP/report.json"
leak_check "report" [ -s "$TMP/report.json" ]
gone
