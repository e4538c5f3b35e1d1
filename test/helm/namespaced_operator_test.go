package helm_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slotkeeper/slotkeeper/test/harness"
)

// unwatched is a namespace the namespace-scoped operator must leave alone.
const unwatched = "team-c"

// TestOperatorWithNamespaceRoles runs the operator binary on a real
// kube-apiserver (RBAC on) as the chart's ServiceAccount, holding only what
// the chart grants with watchNamespaces: the Roles in the watched namespaces
// and the leader election Role. It must reconcile PostgresServers there,
// ignore those of another namespace, and never be refused a request (a
// cluster-wide list or watch would be Forbidden and stall its cache). No
// PostgreSQL: the servers point at a closed port, which gives a condition
// quickly. Its metrics are secure, as the chart has them: a scraper bound to
// the chart's metrics-reader ClusterRole must get them, which proves the
// metrics-auth ClusterRole lets the operator check callers.
func TestOperatorWithNamespaceRoles(t *testing.T) {
	needHelm(t)
	assets, kubectl := needKube(t)
	manager := needPath(t, "SLOTKEEPER_MANAGER_BIN", "the operator binary; make build writes bin/manager")
	c := startCluster(t, assets, kubectl)
	for _, ns := range append([]string{namespace, unwatched}, watched...) {
		c.run(t, nil, "create", "namespace", ns)
	}
	manifests := helm(t, "template", release, chartDir(), "--namespace", namespace, "--include-crds", "--set", watchNamespacesFlag,
		"--set", "finalizerPolicy.enabled=true")
	c.apply(t, manifests)
	r := splitManifests(t, manifests)
	wantEstablished(t, c.client, slotkeeperCRDs...)
	wantFinalizerPolicyScoped(t, c.client)
	for _, ns := range append([]string{unwatched}, watched...) {
		c.apply(t, []byte(unreachableServer(ns)))
	}
	before := wantCreatedWithFinalizer(t, c.client)
	kubeconfig := serviceAccountKubeconfig(t, c, r.one(t, "ServiceAccount").Name)
	wantOnlyNamespaceRights(t, c, kubeconfig)

	_, container := deployment(t, r)
	metricsAddr := freeLocalAddr(t)
	op := startOperator(t, manager, kubeconfig, operatorArgs(container.Args, metricsAddr))
	for _, ns := range watched {
		wantReconciled(t, c.client, op, ns)
	}
	// Had the unwatched server been seen, it would have been reconciled
	// along with the others; a little more time rules out a slow queue.
	time.Sleep(3 * time.Second)
	wantUntouched(t, c.client, before)
	wantSecureScrape(t, c, metricsAddr)
	wantNoForbidden(t, op)
	if op.Exited() {
		t.Errorf("the operator exited: %v", op.Err())
	}
}

// wantFinalizerPolicyScoped: the chart's finalizer policy applies in the
// watched namespaces and not in the unwatched one, whose objects nobody
// would ever finalize.
func wantFinalizerPolicyScoped(t *testing.T, cl client.Client) {
	t.Helper()
	for _, ns := range watched {
		if err := harness.WaitFinalizerPolicy(t.Context(), cl, ns, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := harness.WaitFinalizerPolicy(t.Context(), cl, unwatched, false); err != nil {
		t.Fatal(err)
	}
}

// wantCreatedWithFinalizer: before the operator has started, the servers
// of the watched namespaces hold slotkeeper's finalizer (the policy's) and
// the unwatched one holds none. It returns the unwatched server.
func wantCreatedWithFinalizer(t *testing.T, cl client.Client) *unstructured.Unstructured {
	t.Helper()
	var out *unstructured.Unstructured
	for _, ns := range append([]string{unwatched}, watched...) {
		ps := getServer(t, cl, ns)
		got, want := slices.Contains(ps.GetFinalizers(), "pg.slotkeeper.dev/server"), ns != unwatched
		if got != want {
			t.Errorf("PostgresServer %s/pg created with the finalizer: %v, want %v (finalizers %v)",
				ns, got, want, ps.GetFinalizers())
		}
		if !want {
			out = ps
		}
	}
	return out
}

// unreachableServer is a PostgresServer and its Secret in ns, pointing at a
// port nothing listens on.
func unreachableServer(ns string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata: {name: pg-credentials, namespace: %[1]s}
stringData: {username: slotkeeper, password: secret}
---
apiVersion: pg.slotkeeper.dev/v1alpha1
kind: PostgresServer
metadata: {name: pg, namespace: %[1]s}
spec:
  hosts: [{host: 127.0.0.1, port: 1}]
  credentialsSecretRef: {name: pg-credentials}
`, ns)
}

// serviceAccountKubeconfig writes a kubeconfig that authenticates as the
// chart's ServiceAccount with a token from the TokenRequest API, as a pod's
// projected token would: RBAC then sees exactly the chart's bindings.
func serviceAccountKubeconfig(t *testing.T, c cluster, sa string) string {
	t.Helper()
	token := requestToken(t, c, sa)
	kc, err := clientcmd.LoadFromFile(c.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for name := range kc.AuthInfos {
		kc.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: token}
	}
	path := filepath.Join(t.TempDir(), "operator-kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// requestToken gets an hour's token of the ServiceAccount sa of the release
// namespace from the TokenRequest API.
func requestToken(t *testing.T, c cluster, sa string) string {
	t.Helper()
	account := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa, Namespace: namespace}}
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(3600))}}
	if err := c.client.SubResource("token").Create(t.Context(), account, tr); err != nil {
		t.Fatalf("requesting a token for ServiceAccount %s/%s: %v", namespace, sa, err)
	}
	return tr.Status.Token
}

// wantOnlyNamespaceRights makes sure the test proves something: the
// ServiceAccount may read Secrets in a watched namespace, and nowhere else.
func wantOnlyNamespaceRights(t *testing.T, c cluster, kubeconfig string) {
	t.Helper()
	for _, tc := range []struct {
		scope []string
		want  string
	}{
		{[]string{"-n", watched[0]}, "yes"},
		{[]string{"-n", unwatched}, "no"},
		{[]string{"--all-namespaces"}, "no"},
	} {
		args := append([]string{"--kubeconfig", kubeconfig, "auth", "can-i", "list", "secrets"}, tc.scope...)
		if got := canI(t, c.kubectl, args...); got != tc.want {
			t.Fatalf("ServiceAccount can list secrets %v: %q, want %q", tc.scope, got, tc.want)
		}
	}
}

// canI runs kubectl auth can-i, which says "no" with exit status 1.
func canI(t *testing.T, kubectl string, args ...string) string {
	t.Helper()
	out, err := run(t.Context(), nil, nil, kubectl, args...)
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 {
		return "no"
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// operatorArgs are the Deployment's flags, --metrics-secure included, but
// for the listeners (the harness turns the health probes off; metrics go to
// metricsAddr, a free loopback port, so they never collide with ports in
// use) and with the Lease's namespace, which outside a pod the operator
// cannot guess.
func operatorArgs(deployment []string, metricsAddr string) []string {
	var out []string
	for _, a := range deployment {
		if !strings.HasPrefix(a, "--metrics-bind-address=") && !strings.HasPrefix(a, "--health-probe-bind-address=") {
			out = append(out, a)
		}
	}
	return append(out, "--metrics-bind-address="+metricsAddr, "--leader-election-namespace="+namespace)
}

// startOperator starts the binary; it is stopped when the test ends, and
// its log shown when the test failed.
func startOperator(t *testing.T, bin, kubeconfig string, args []string) *harness.Operator {
	t.Helper()
	op, err := harness.StartOperator(bin, kubeconfig, filepath.Join(t.TempDir(), "operator.log"), args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// An operator whose caches never synced may hang on SIGTERM (see
		// main.go's exitIfStuck); that is a consequence, not the failure.
		if killed := op.Stop(10 * time.Second); killed && !t.Failed() {
			t.Error("the operator did not stop on SIGTERM")
		}
		if t.Failed() {
			t.Logf("operator log tail:\n%s", strings.Join(op.Tail(40), "\n"))
		}
	})
	return op
}

// wantReconciled waits for the PostgresServer of ns to get conditions.
func wantReconciled(t *testing.T, cl client.Client, op *harness.Operator, ns string) {
	t.Helper()
	ctx, cancel := op.Guard(t.Context())
	defer cancel()
	ps := unstructuredOf("pg.slotkeeper.dev/v1alpha1", "PostgresServer", ns, "pg")
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		if err := cl.Get(ctx, client.ObjectKeyFromObject(ps), ps); err != nil {
			return false, err
		}
		conds, _, _ := unstructured.NestedSlice(ps.Object, "status", "conditions")
		return len(conds) > 0, nil
	})
	if cause := context.Cause(ctx); cause != nil {
		err = cause // the operator exited: say so, not "context canceled"
	}
	if err != nil {
		t.Fatalf("PostgresServer %s/pg in a watched namespace got no conditions: %v", ns, err)
	}
}

// getServer reads the PostgresServer "pg" of ns.
func getServer(t *testing.T, cl client.Client, ns string) *unstructured.Unstructured {
	t.Helper()
	ps := unstructuredOf("pg.slotkeeper.dev/v1alpha1", "PostgresServer", ns, "pg")
	if err := cl.Get(t.Context(), client.ObjectKeyFromObject(ps), ps); err != nil {
		t.Fatal(err)
	}
	return ps
}

// wantUntouched: the operator wrote nothing to an object of an unwatched
// namespace (no status, finalizer or anything else: the same
// resourceVersion). Its status is not empty as created: the CRD defaults
// observedGeneration to 0.
func wantUntouched(t *testing.T, cl client.Client, before *unstructured.Unstructured) {
	t.Helper()
	now := getServer(t, cl, before.GetNamespace())
	if now.GetResourceVersion() != before.GetResourceVersion() {
		status, _, _ := unstructured.NestedMap(now.Object, "status")
		t.Errorf("PostgresServer %s/pg in an unwatched namespace was written to: finalizers %v, status %v",
			now.GetNamespace(), now.GetFinalizers(), status)
	}
}

// forbidden is how the API server's refusals show in client-go's and
// controller-runtime's logs ("... is forbidden: User ... cannot list ...").
var forbidden = regexp.MustCompile(`(?i)forbidden`)

func wantNoForbidden(t *testing.T, op *harness.Operator) {
	t.Helper()
	log, err := op.Log()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(log, "\n") {
		if forbidden.MatchString(line) {
			t.Errorf("the operator was refused a request: %s", line)
		}
	}
}

func ptr[T any](v T) *T { return &v }
