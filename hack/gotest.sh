#!/usr/bin/env bash
# go test with the given arguments, its output passed through; when it
# fails, a digest of every failure (Ginkgo's [FAILED] blocks, go test's
# --- FAIL lines and panics) is printed again at the very end. A CI log
# is often read from its tail, and the failures of a long suite are
# otherwise hundreds of lines above it.
set -uo pipefail

log=$(mktemp)
trap 'rm -f "$log"' EXIT
go test "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] && exit 0

echo "== digest of the failures above (go test $*)"
sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
	# Ginkgo: "• [FAILED] [time]", then the spec name on the next line.
	/^• \[(FAILED|PANICKED|TIMEDOUT)\]/ { want_name = 1; next }
	want_name && NF { name = $0; want_name = 0; next }
	# The failure message, from [FAILED] to its location, at most 8 lines.
	/^[[:space:]]*\[(FAILED|PANICKED|TIMEDOUT)\]/ && !/\] in \[/ {
		print "FAILED " name; inblock = 1; n = 0
	}
	inblock {
		if ($0 ~ /^[[:space:]]*In \[/) { print; print ""; inblock = 0; next }
		if (n++ < 8) print
		next
	}
	/^--- FAIL|^panic:|^FAIL[[:space:]]/ { print }
	/^[[:space:]]+[^[:space:]]+_test\.go:[0-9]+: / { if (m++ < 40) print }
' | head -n 200
exit "$rc"
