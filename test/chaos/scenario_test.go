package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// serverName is every scenario's PostgresServer.
const serverName = "db"

// scenario is one fault story: a namespace with a PostgresServer "db" that
// reaches pg at member (the proxy, unless the story needs a direct server),
// a PostgreSQL role of its own (so its sessions are countable) and two
// canary slots no object declares.
type scenario struct {
	name     string // lowercase letters: namespace suffix, role and slot prefix
	ns       string
	role     string
	password string
	pg       *pgtest.Server // the current primary, read directly by the checks
	member   string         // "host:port" in spec.hosts
	canaries []string
	// baseline is the operator's goroutine count before the fault.
	baseline int
	// slack extends the convergence bound, for retries the operator
	// deliberately delays.
	slack time.Duration
}

// newScenario prepares a scenario on the shared primary behind the proxy.
func newScenario(name string) *scenario {
	GinkgoHelper()
	return newScenarioOn(name, primary, proxy.Host(), proxy.Port())
}

// newScenarioOn prepares a scenario whose server reaches pg at host:port,
// waits until the server is Ready and measures the goroutine baseline. Its
// clean-up deletes the objects (dropping their slots) and the canaries.
func newScenarioOn(name string, pg *pgtest.Server, host string, port int) *scenario {
	GinkgoHelper()
	s := &scenario{name: name, ns: "chaos-" + name, role: "chaos_" + name, password: "pw-" + name,
		pg: pg, member: fmt.Sprintf("%s:%d", host, port)}
	createRole(pg, s.role, s.password)
	s.canaries = createCanaries(pg, s.prefix())
	DeferCleanup(func() { Expect(dropSlots(s.pg, s.canaries)).To(Succeed()) })
	s.createNamespace()
	s.createSecret()
	s.createServer(host, port)
	DeferCleanup(s.deleteObjects)
	s.waitServerReady()
	s.baseline = steadyGoroutines()
	report(name+": goroutine baseline", s.baseline)
	return s
}

// prefix starts the name of every slot of the scenario.
func (s *scenario) prefix() string { return s.name + "_" }

func (s *scenario) createNamespace() {
	GinkgoHelper()
	create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: s.ns}})
}

func (s *scenario) createSecret() {
	GinkgoHelper()
	create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "pg", Namespace: s.ns},
		Type: corev1.SecretTypeBasicAuth,
		Data: map[string][]byte{"username": []byte(s.role), "password": []byte(s.password)}})
}

func (s *scenario) createServer(host string, port int) {
	GinkgoHelper()
	create(serverObject(s.ns, serverName, host, port))
}

func serverObject(ns, name, host string, port int) *api.PostgresServer {
	return &api.PostgresServer{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: api.PostgresServerSpec{
			Hosts:                []api.HostPort{{Host: host, Port: int32(port)}},
			CredentialsSecretRef: api.LocalObjectReference{Name: "pg"},
			TLS:                  &api.TLSSpec{Mode: api.TLSDisable},
			PollInterval:         api.NewDuration(pollInterval),
		},
	}
}

func create(obj client.Object) {
	GinkgoHelper()
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	Expect(k8s.Create(ctx, obj)).To(Succeed())
}

// waitServerReady waits until the PostgresServer is Ready=True.
func (s *scenario) waitServerReady() {
	GinkgoHelper()
	Eventually(s.serverReady).Should(Equal(metav1.ConditionTrue), "PostgresServer %s/%s Ready", s.ns, serverName)
}

// serverReady is the PostgresServer's Ready status ("" before the first).
func (s *scenario) serverReady() (metav1.ConditionStatus, error) {
	ps, err := s.server()
	if err != nil {
		return "", err
	}
	if c := meta.FindStatusCondition(ps.Status.Conditions, api.ConditionReady); c != nil {
		return c.Status, nil
	}
	return "", nil
}

func (s *scenario) server() (*api.PostgresServer, error) {
	ctx, cancel := ctxFor(15 * time.Second)
	defer cancel()
	var ps api.PostgresServer
	err := k8s.Get(ctx, client.ObjectKey{Namespace: s.ns, Name: serverName}, &ps)
	return &ps, err
}

// slotType says which type the i-th slot of a batch gets: logical and
// physical alternate.
func slotType(i int) api.SlotType {
	if i%2 == 0 {
		return api.SlotLogical
	}
	return api.SlotPhysical
}

// slotObject is a ReplicationSlot of the scenario's server.
func (s *scenario) slotObject(name string, t api.SlotType) *api.ReplicationSlot {
	rs := &api.ReplicationSlot{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.ns},
		Spec:       api.ReplicationSlotSpec{ServerRef: api.LocalObjectReference{Name: serverName}, Type: t},
	}
	if t == api.SlotLogical {
		rs.Spec.Database = database
	}
	return rs
}

// declare creates n ReplicationSlots named <scenario>-<tag>-NNN, types
// alternating, and returns their names.
func (s *scenario) declare(tag string, n int) []string {
	GinkgoHelper()
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("%s-%s-%03d", s.name, tag, i)
		create(s.slotObject(names[i], slotType(i)))
	}
	return names
}

// slots lists the scenario's ReplicationSlots.
func (s *scenario) slots() ([]api.ReplicationSlot, error) {
	return slotsIn(s.ns)
}

func slotsIn(ns string) ([]api.ReplicationSlot, error) {
	ctx, cancel := ctxFor(15 * time.Second)
	defer cancel()
	var list api.ReplicationSlotList
	err := k8s.List(ctx, &list, client.InNamespace(ns))
	return list.Items, err
}

// readyCount counts the ReplicationSlots among names that are Ready.
func (s *scenario) readyCount(names []string) (int, error) {
	items, err := s.slots()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	n := 0
	for i := range items {
		if want[items[i].Name] && isReady(&items[i]) {
			n++
		}
	}
	return n, err
}

func isReady(rs *api.ReplicationSlot) bool {
	c := meta.FindStatusCondition(rs.Status.Conditions, api.ConditionReady)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == rs.Generation
}

// slotNameOf is the slot's name in PostgreSQL, as the operator derives it.
func slotNameOf(rs *api.ReplicationSlot) string {
	if rs.Spec.SlotName != "" {
		return rs.Spec.SlotName
	}
	return strings.ReplaceAll(rs.Name, "-", "_")
}

// deleteObjects deletes the slots (the operator drops them), then the
// server, and waits until both are gone: envtest has no namespace
// controller, and a server left polling would count against later
// scenarios' connection and goroutine checks.
func (s *scenario) deleteObjects() {
	GinkgoHelper()
	deleteAllIn(s.ns)
}

func deleteAllIn(ns string) {
	GinkgoHelper()
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	Expect(client.IgnoreNotFound(k8s.DeleteAllOf(ctx, &api.ReplicationSlot{}, client.InNamespace(ns)))).To(Succeed())
	Eventually(func() ([]api.ReplicationSlot, error) { return slotsIn(ns) }).WithTimeout(3*time.Minute).
		Should(BeEmpty(), "ReplicationSlots of %s deleted", ns)
	Expect(client.IgnoreNotFound(k8s.DeleteAllOf(ctx, &api.PostgresServer{}, client.InNamespace(ns)))).To(Succeed())
	Eventually(func() (int, error) {
		var list api.PostgresServerList
		err := k8s.List(context.Background(), &list, client.InNamespace(ns))
		return len(list.Items), err
	}).WithTimeout(time.Minute).Should(BeZero(), "PostgresServers of %s deleted", ns)
}

// declareAsync is declare in the background, so a fault can land while the
// objects are still being created; wait on the channel before checking.
func (s *scenario) declareAsync(tag string, n int) ([]string, <-chan struct{}) {
	return s.declareAsyncWith(tag, n, func(name string, i int) *api.ReplicationSlot {
		return s.slotObject(name, slotType(i))
	})
}

// declareAsyncWith is declareAsync with the i-th object made by object.
func (s *scenario) declareAsyncWith(tag string, n int, object func(name string, i int) *api.ReplicationSlot) ([]string, <-chan struct{}) {
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("%s-%s-%03d", s.name, tag, i)
	}
	done := make(chan struct{})
	go func() {
		defer GinkgoRecover()
		defer close(done)
		for i, name := range names {
			create(object(name, i))
		}
	}()
	return names, done
}

// createdCount counts how many of names' slots exist in PostgreSQL.
func (s *scenario) createdCount(names []string) (int, error) {
	slots, err := pgSlots(s.pg)
	n := 0
	for _, name := range names {
		if _, ok := slots[strings.ReplaceAll(name, "-", "_")]; ok {
			n++
		}
	}
	return n, err
}

// midCreation declares a batch of n slots and returns once a random number
// of them (from 0 to n-1) exists in PostgreSQL: the moment for a fault. It
// describes the moment for the report.
func (s *scenario) midCreation(tag string, n int) ([]string, <-chan struct{}, string) {
	GinkgoHelper()
	names, done := s.declareAsync(tag, n)
	at := rand.IntN(n)
	Eventually(s.createdCount).WithArguments(names).WithPolling(20 * time.Millisecond).
		Should(BeNumerically(">=", at))
	created, _ := s.createdCount(names)
	return names, done, fmt.Sprintf("%d/%d created (aimed at %d)", created, n, at)
}
