#!/usr/bin/env bash
# Runs every native Go fuzz target of the repository (func FuzzXxx(f *testing.F)
# in a *_test.go file) for FUZZTIME each, one after the other, and prints one
# line per target. Plain `go test` already runs each target's seed corpus
# (f.Add and testdata/fuzz/FuzzXxx); this explores beyond it.
#
#   hack/fuzz.sh                      # every target, 10s each
#   FUZZTIME=1m hack/fuzz.sh FuzzParseLSN FuzzConnConfig
#   FUZZTIME=20000x hack/fuzz.sh      # a count of inputs: no clock involved
#
# A failing input is written by Go to <package>/testdata/fuzz/FuzzXxx/<hash>;
# from then on `go test` replays it. The full output of each run is kept in
# FUZZLOGDIR (default: a temporary directory, printed at the end).
set -euo pipefail

FUZZTIME=${FUZZTIME:-10s}
cd "$(dirname "$0")/.."
logdir=${FUZZLOGDIR:-$(mktemp -d "${TMPDIR:-/tmp}/slotkeeper-fuzz.XXXXXX")}
mkdir -p "$logdir"

# "<package dir> <target>" for every fuzz target, bin/ and .git left out.
mapfile -t targets < <(
	find . \( -path ./bin -o -path ./.git \) -prune -o -name '*_test.go' -print0 |
		xargs -0 grep -H -o -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' |
		sed -E 's|^(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*$|\1 \2|' | sort -u
)
if [[ $# -gt 0 ]]; then
	want=" $* "
	filtered=()
	for t in "${targets[@]}"; do
		[[ $want == *" ${t##* } "* ]] && filtered+=("$t")
	done
	targets=("${filtered[@]}")
fi
if [[ ${#targets[@]} -eq 0 ]]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi

fuzz_one() { # pkg name log
	go test -run='^$' -fuzz="^${2}\$" -fuzztime="$FUZZTIME" "$1/" >"$3" 2>&1
}

failed=()
for t in "${targets[@]}"; do
	pkg=${t% *} name=${t##* }
	log="$logdir/$name.log"
	start=$SECONDS
	result=ok
	if ! fuzz_one "$pkg" "$name" "$log"; then
		# Go 1.26's coordinator can report its own -fuzztime deadline as a
		# failure (go.dev/issue/75804): "context deadline exceeded" and no
		# input written. That says nothing about the target, so run it once
		# more; a real finding always writes its input and fails at once.
		if grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written to' "$log"; then
			mv "$log" "$log.deadline"
			fuzz_one "$pkg" "$name" "$log" || result=FAIL
		else
			result=FAIL
		fi
	fi
	[[ $result == ok ]] || failed+=("$name")
	# The last progress line says how many inputs were tried.
	execs=$(grep -o 'execs: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2 || true)
	printf 'fuzz: %-4s %-32s %-22s %8s execs  %3ds\n' "$result" "$name" "$pkg" "${execs:-?}" $((SECONDS - start))
	if [[ $result == FAIL ]]; then
		grep -E -- '--- FAIL|Failing input written to|_fuzz_test\.go:[0-9]+:|panic:|fatal error:|go test -run=' "$log" | head -n 20 | sed 's/^/      /' || true
	fi
done

echo "fuzz: logs in $logdir"
if [[ ${#failed[@]} -gt 0 ]]; then
	echo "fuzz: FAILED: ${failed[*]}" >&2
	exit 1
fi
echo "fuzz: all ${#targets[@]} targets passed ($FUZZTIME each)"
