#!/bin/sh
# Network aliases on a real Docker engine: a drone-runtime file of the
# 2017-18 format whose client reaches its database by a network alias
# (`database`), not by the service's name, as the published postgres
# sample does.  The postgres image is Debian's postgresql built locally
# (tests/docker/images.sh); trust authentication lets it start.
. tests/lib.sh
. tests/docker/lib.sh
docker_setup

cat >"$TMP/postgres.json" <<'JSON'
{
	"pipeline": [
		{
			"steps": [
				{
					"name": "postgres",
					"alias": "postgres",
					"image": "postgres:latest",
					"detach": true,
					"environment": {
						"POSTGRES_USER": "postgres",
						"POSTGRES_DB": "test",
						"POSTGRES_HOST_AUTH_METHOD": "trust"
					},
					"networks": [
						{"name": "postgres_network", "aliases": ["database", "pg"]}
					],
					"on_success": true
				}
			]
		},
		{
			"steps": [
				{
					"name": "ping",
					"alias": "ping",
					"image": "postgres:latest",
					"entrypoint": ["/bin/sh", "-c"],
					"command": [
						"set -e; for i in $(seq 60); do psql -U postgres -d test -h database -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.5; done; psql -U postgres -d test -h database -c \"CREATE TABLE person( NAME TEXT );\"; psql -U postgres -d test -h pg -c \"INSERT INTO person VALUES('jane doe');\"; psql -U postgres -d test -h database -c \"SELECT * FROM person;\""
					],
					"networks": [
						{"name": "postgres_network", "aliases": ["ping"]}
					],
					"on_success": true
				}
			]
		}
	],
	"networks": [{"name": "postgres_network", "driver": "bridge"}],
	"volumes": [],
	"secrets": []
}
JSON

produces "postgres alias: compiles without a finding about aliases or secrets" "$TMP/out" \
	"$PIPEC" build "$TMP/postgres.json"
check "postgres alias: the IR keeps both aliases" grep -q '"database",' "$TMP/out"
check "postgres alias: no unknown-key warning for 'secrets'" \
	sh -c '[ -s "$1" ] && ! grep -q drone-runtime-unknown-key "$2"' - "$TMP/out" "$TMP/err"
prun "$TMP/postgres.json" --trusted
check "postgres alias: exits 0" exited 0 $?
check "postgres alias: the client reached 'database'" has "$TMP/out" "CREATE TABLE"
check "postgres alias: and 'pg'" has "$TMP/out" "INSERT 0 1"
check "postgres alias: the row reads back" has "$TMP/out" "jane doe"
leak_check "postgres alias"
