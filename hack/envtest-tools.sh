#!/usr/bin/env bash
# Builds the envtest control plane (kube-apiserver, etcd, kubectl) from the Go
# modules pinned in hack/tools/envtest, because no prebuilt download works in
# CI. Prints the directory to use as KUBEBUILDER_ASSETS on stdout; everything
# else goes to stderr so callers can capture the path.
#
# The build is slow (many minutes on 2 cores), so it runs only when a binary
# is missing, builds into a temporary directory and moves the binaries into
# place only after all three linked: an interrupted build never looks complete.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
module="$root/hack/tools/envtest"
# The version comes from the tools module so the two can never disagree.
version=$(awk '$1 == "k8s.io/kubernetes" && NF == 2 { print $2; exit }' "$module/go.mod")
dir=${ENVTEST_DIR:-"$root/bin/envtest-$version"}
binaries=(kube-apiserver etcd kubectl)

complete() {
	local b
	for b in "${binaries[@]}"; do
		[[ -x "$dir/$b" ]] || return 1
	done
}

build() {
	# Leftovers of a killed build (we hold the lock, so none is running).
	rm -rf "$dir".tmp.*
	tmp=$(mktemp -d "$dir.tmp.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	trap 'exit 130' INT TERM
	echo "building envtest $version binaries into $dir (kube-apiserver is large: about 5-10 minutes on 2 cores, once; later runs reuse bin/)" >&2
	# GOWORK=off: a go.work further up must not pull this module into a workspace.
	(cd "$module" && GOWORK=off go build -o "$tmp/" \
		k8s.io/kubernetes/cmd/kube-apiserver ./cmd/etcd k8s.io/kubernetes/cmd/kubectl) >&2
	mkdir -p "$dir"
	local b
	for b in "${binaries[@]}"; do
		mv -f "$tmp/$b" "$dir/$b"
	done
}

if ! complete; then
	# Two make invocations at once must not both spend half an hour building.
	mkdir -p "$(dirname "$dir")"
	exec 9>"$dir.lock"
	flock 9
	complete || build
fi
echo "$dir"
