#!/bin/sh
# seeds.sh TARGET DIR: fills DIR with a fuzz target's first inputs, taken
# from the repository's own test inputs and samples where it reads files
# of a kind the repository has, else written here.  Nothing is kept in
# the repository: the seeds are made again on every run.
set -eu
target=$1 dir=$2
mkdir -p "$dir"
n=0
# put: the rest of the arguments (printf format and values) as one seed.
put() {
	n=$((n + 1))
	# shellcheck disable=SC2059
	printf "$@" >"$dir/seed-$n"
}
copy() {
	for f in "$@"; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		cp "$f" "$dir/seed-$n"
	done
}

case $target in
yaml_build)
	copy samples/*.yml tests/golden/drone/*.yml tests/diag/*/*.yml
	put ':' ;;                # a key-value pair before any collection
drone_runtime)
	copy tests/drone-runtime/*/*.json ;;
ir_read)
	copy tests/golden/ir/*.json tests/golden/drone/*.ir.json ;;
subst)
	# each line of the YAML inputs that substitutes, as a scalar
	grep -h '\${' samples/*.yml tests/golden/drone/*.yml tests/diag/*/*.yml |
	while IFS= read -r line; do put '\001%s' "$line"; done
	put '\000${A:-x}${B=y}${A:1:2}${A#al}${A%%a*}${A/l/L}${A^^}${A,}$$${#A}' ;;
docker_ref)
	grep -rhoE 'image: *[a-z0-9][^ ]*' samples tests --include='*.yml' | sed 's/image: *//' |
	sort -u | while IFS= read -r img; do put '%s' "$img"; done
	put 'localhost:5000/team/app:1.2@sha256:%064d' 0 ;;
docker_auth)
	put 'docker.io\n{"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpwYXNz"}}}'
	put 'reg.test:5000\n{"auths":{"reg.test:5000":{"username":"u","password":"p"}},"credsStore":"pass"}'
	put 'ghcr.io\n{"credHelpers":{"ghcr.io":"gh"},"auths":{"ghcr.io":{"identitytoken":"t"}}}' ;;
docker_demux)
	put '\001\001\000\000\000\000\000\006hello\n\002\000\000\000\000\000\000\004err\n'
	put '\003\003\000\000\000\000\000\005oops!\001\000\000\000\000\000\000\000' ;;
docker_progress)
	put '{"status":"Pulling from library/app","id":"1"}\n{"status":"Downloading","id":"a1b2c3","progressDetail":{"current":10,"total":100}}\n'
	put '{"status":"Pull complete","id":"a1b2c3"}\n{"status":"Digest: sha256:%064d"}\n{"error":"denied"}' 0 ;;
mask)
	put '\002\000\005\006hunter\014s3cr3t-value\nhunter2 and s3cr3t-value\nhun'
	put '\001\100\377\006abcdefxxxxabcdef\n'
	# no text after the filler: an output buffer asked for nothing before its first byte
	put '\001\001\000\004\000\000\000\000' ;;
lsp_frame)
	for f in '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}' \
		 '{"jsonrpc":"2.0","method":"exit"}'; do
		put '\007Content-Length: %d\r\n\r\n%s' "${#f}" "$f"
	done
	put '\001Content-Type: x\r\n\r\nContent-Length: 2\r\n\r\n{}' ;;
*)
	echo "seeds.sh: no seeds for $target" >&2
	exit 1 ;;
esac
