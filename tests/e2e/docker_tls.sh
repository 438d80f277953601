#!/bin/sh
# pipec run on a Docker engine over tcp:// with TLS: a throwaway CA signs
# the engine's certificate (for 127.0.0.1) and a client's; the engine
# also listens on a free 127.0.0.1 port with --tlsverify.  A run with
# the client certificate succeeds; one without it, or trusting another
# CA, fails with the backend's error.  Each run ends with a leak check.
. tests/lib.sh
. tests/docker/lib.sh

if ! command -v openssl >/dev/null 2>&1; then
	fail "tls: openssl is installed"
	exit 1
fi

# cert NAME CA USAGE [SAN]: NAME-key.pem and NAME-cert.pem in $TMP/pki,
# signed by CA (its -cert.pem and -key.pem), for USAGE (serverAuth, clientAuth).
cert() {
	printf 'extendedKeyUsage = %s\n%s\n' "$3" "${4:+subjectAltName = $4}" >"$TMP/pki/$1.ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$TMP/pki/$1-key.pem" -subj "/CN=$1" -out "$TMP/pki/$1.csr" 2>/dev/null &&
	openssl x509 -req -in "$TMP/pki/$1.csr" -days 1 -set_serial "$(date +%s%N)" \
		-CA "$TMP/pki/$2-cert.pem" -CAkey "$TMP/pki/$2-key.pem" \
		-extfile "$TMP/pki/$1.ext" -out "$TMP/pki/$1-cert.pem" 2>/dev/null
}

# ca NAME: a self-signed CA, NAME-cert.pem and NAME-key.pem in $TMP/pki.
ca() {
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$TMP/pki/$1-key.pem" -subj "/CN=$1" -days 1 \
		-out "$TMP/pki/$1-cert.pem" 2>/dev/null
}

# certdir DIR CA CLIENT: a DOCKER_CERT_PATH trusting CA, with CLIENT's
# certificate and key when CLIENT is not empty.
certdir() {
	mkdir -p "$1"
	cp "$TMP/pki/$2-cert.pem" "$1/ca.pem"
	[ -z "$3" ] && return 0
	cp "$TMP/pki/$3-cert.pem" "$1/cert.pem"
	cp "$TMP/pki/$3-key.pem" "$1/key.pem"
}

mkdir -p "$TMP/pki"
if ! { ca ca && ca other-ca && cert server ca serverAuth IP:127.0.0.1 &&
	cert client ca clientAuth && cert stranger other-ca clientAuth; }; then
	fail "tls: certificates are made"
	exit 1
fi
certdir "$TMP/good" ca client
certdir "$TMP/nocert" ca ""
certdir "$TMP/wrongca" other-ca client
certdir "$TMP/strange" ca stranger

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ENGINE_ARGS="-H tcp://127.0.0.1:$port --tlsverify --tlscacert $TMP/pki/ca-cert.pem
	--tlscert $TMP/pki/server-cert.pem --tlskey $TMP/pki/server-key.pem"
docker_setup

cat >"$TMP/tls.yml" <<'YML'
kind: pipeline
type: docker
name: tls
clone:
  disable: true
steps:
- name: hello
  image: busybox:1.35
  commands:
  - echo over-tls
YML

# trun CERTDIR: runs tls.yml over TLS with CERTDIR; the exit code in $rc.
trun() {
	DOCKER_HOST=tcp://127.0.0.1:$port DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$1 \
		"$PIPEC" run --backend=docker "$TMP/tls.yml" >"$TMP/out" 2>"$TMP/err"
	rc=$?
}

trun "$TMP/good"
check "tls: a run with the client certificate exits 0" exited 0 $rc
check "tls: the step's output is streamed" has "$TMP/out" "| over-tls"
check "tls: the header names the docker backend" has "$TMP/err" "docker backend"
leak_check "tls"

trun "$TMP/nocert"
check "tls without a client certificate: exits 2" exited 2 $rc
check "tls without a client certificate: the engine is unreachable" has "$TMP/err" "[docker-unreachable]"
check "tls without a client certificate: names the missing file" has "$TMP/err" "$TMP/nocert/cert.pem"
check "tls without a client certificate: points at the certificates" has "$TMP/err" "check ca.pem, cert.pem and key.pem in DOCKER_CERT_PATH"
leak_check "tls without a client certificate"

trun "$TMP/wrongca"
check "tls trusting another CA: exits 2" exited 2 $rc
check "tls trusting another CA: the engine is unreachable" has "$TMP/err" "[docker-unreachable]"
check "tls trusting another CA: says TLS failed" has "$TMP/err" "TLS failed: SSL certificate problem"
leak_check "tls trusting another CA"

trun "$TMP/strange"
check "tls with a client certificate from another CA: exits 2" exited 2 $rc
check "tls with a client certificate from another CA: points at the certificates" has "$TMP/err" "in DOCKER_CERT_PATH"
leak_check "tls with a client certificate from another CA"

DOCKER_HOST=tcp://127.0.0.1:$port "$PIPEC" run --backend=docker "$TMP/tls.yml" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "plain http to the TLS port: exits 2" exited 2 $rc
check "plain http to the TLS port: the engine is unreachable" has "$TMP/err" "[docker-unreachable]"
check "plain http to the TLS port: suggests TLS" has "$TMP/err" "set DOCKER_TLS_VERIFY=1"
leak_check "plain http to the TLS port"
