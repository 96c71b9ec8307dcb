#!/bin/sh
# Ingest end to end, in interleaved rounds: a baseline threatgraph binary,
# this one, and Apache Jena TDB2's bulk loader, each on the same N-Quads
# files, into an empty store and into a store that already holds the first
# file. Prints wall time (s) and peak RSS (MB) per run, from /usr/bin/time -v.
#
#   go build -o /tmp/tg-base ./cmd/threatgraph   # at the commit to compare with
#   go build -o /tmp/tg-new ./cmd/threatgraph
#   go run ./internal/testkg/gennq -out /tmp/1M.nq
#   go run ./internal/testkg/gennq -seed 2 -out /tmp/1M-b.nq
#   sh internal/ingestbench/run.sh /tmp/tg-base /tmp/tg-new /tmp/1M.nq /tmp/1M-b.nq 3
#
# Jena runs when `java` and Debian's libapache-jena-java are installed
# (class tdb2.tdbloader, jars in /usr/share/java); JENA=0 leaves it out.
set -eu
base=$1 new=$2 a=$3 b=$4 rounds=${5:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
jena=${JENA:-1}
command -v java >/dev/null 2>&1 || jena=0

measure() { # name, then the command
	name=$1
	shift
	/usr/bin/time -v "$@" >"$work/out" 2>"$work/time" || { echo "$name failed:"; tail -5 "$work/out" "$work/time"; exit 1; }
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$work/time")
	rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$work/time")
	printf '%-28s %8.2f s %7s MB\n' "$name" "$wall" "$rss"
}

# A store holding a (the populated case), made once per tool.
"$new" ingest --store "$work/tg-seed" "$a" >/dev/null
if [ "$jena" = 1 ]; then
	java -cp '/usr/share/java/*' tdb2.tdbloader --loc "$work/jena-seed" "$a" >/dev/null 2>&1
fi

for r in $(seq "$rounds"); do
	echo "round $r"
	for bin in base new; do
		eval exe=\$$bin
		rm -rf "$work/db"
		measure "$bin empty" "$exe" ingest --store "$work/db" "$a"
		rm -rf "$work/db" && cp -r "$work/tg-seed" "$work/db"
		measure "$bin populated" "$exe" ingest --store "$work/db" "$b"
	done
	if [ "$jena" = 1 ]; then
		rm -rf "$work/jena"
		measure "jena empty" java -cp '/usr/share/java/*' tdb2.tdbloader --loc "$work/jena" "$a"
		rm -rf "$work/jena" && cp -r "$work/jena-seed" "$work/jena"
		measure "jena populated" java -cp '/usr/share/java/*' tdb2.tdbloader --loc "$work/jena" "$b"
	fi
done
