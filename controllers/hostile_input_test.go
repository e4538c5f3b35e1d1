package controllers_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// hostileCase is one manifest with hostile content. Either the API server
// refuses it (refused is a substring of the error), or it is accepted and
// the object named by on ("slot" or "server") ends up Ready=False with
// reason and a message containing each of message. Either way no slot
// appears in PostgreSQL, the canary table and the roles are intact, and no
// reconciler panics.
type hostileCase struct {
	// server changes the PostgresServer spec; a case with server set is
	// about the server, with its own namespace and credentials.
	server func(*api.PostgresServer)
	// username replaces the operator's role in the credentials Secret.
	username string
	// slot changes a logical ReplicationSlot "hostile-slot" on a working
	// server (or on the hostile one, as a probe, when server is set).
	slot func(*api.ReplicationSlot)
	// raw edits the JSON object sent to the API server, for values the Go
	// types cannot express (port 0 is omitempty).
	raw func(map[string]any)

	refused string

	on string
	// reason is the Ready reason to wait for; "" accepts any reason once
	// the attempt has settled (not "creating", not "waiting").
	reason string
	// stalled requires Stalled=True: retrying cannot fix this input.
	stalled bool
	message []string
}

const hostileSQL = "x'; DROP TABLE hostile_canary; --"

var _ = Describe("hostile input", func() {
	var (
		slotsBefore  []string
		panicsBefore float64
	)
	BeforeEach(func() {
		ensureCanaries()
		slotsBefore = primarySlotNames()
		panicsBefore = reconcilePanics()
		// Registered first, so it runs last: after the spec's objects are
		// deleted (their finalizers must not drop anything either).
		DeferCleanup(func() {
			By("no slot appeared, the canaries and roles are intact and no reconcile panicked")
			Expect(newSlots(slotsBefore, primarySlotNames())).To(BeEmpty(), "slots created by hostile input")
			expectCanariesIntact()
			Expect(reconcilePanics()).To(Equal(panicsBefore), "a reconciler panicked")
		})
	})

	DescribeTable("is refused by the API server or reported, never executed",
		func(c hostileCase) {
			objs := applyHostile(c)
			if c.refused != "" {
				return
			}
			target := objs[c.on]
			Expect(target).NotTo(BeNil(), "no %s object in this case", c.on)
			cond := waitReadyFalse(target, c.reason)
			for _, m := range c.message {
				Expect(cond.Message).To(ContainSubstring(m), "Ready message of the %s", c.on)
			}
			if c.stalled {
				Expect(meta.IsStatusConditionTrue(conditionsOf(target), api.ConditionStalled)).To(BeTrue(),
					"retrying cannot fix this input, so the %s should be Stalled: %s: %s", c.on, cond.Reason, cond.Message)
			}
			if probe := objs["slot"]; c.on == "server" && probe != nil {
				// The slot on that server says why it cannot proceed.
				pc := waitReadyFalse(probe, "")
				Expect(pc.Message).To(ContainSubstring("PostgresServer"))
			}
		},

		// --- ReplicationSlot: names and strings that reach SQL ---
		Entry("SQL in spec.slotName", hostileCase{
			slot:    func(r *api.ReplicationSlot) { r.Spec.SlotName = hostileSQL },
			refused: "spec.slotName",
		}),
		Entry("SQL in spec.plugin", hostileCase{
			slot:    func(r *api.ReplicationSlot) { r.Spec.Plugin = hostileSQL },
			refused: "spec.plugin",
		}),
		Entry("a plugin name that does not exist", hostileCase{
			slot: func(r *api.ReplicationSlot) { r.Spec.Plugin = "no_such_plugin" },
			on:   "slot", reason: api.ReasonPluginMissing,
			message: []string{"no_such_plugin", "PluginMissing"},
		}),
		Entry("SQL in spec.database", hostileCase{
			slot: func(r *api.ReplicationSlot) { r.Spec.Database = hostileSQL },
			on:   "slot", reason: api.ReasonInvalidSpec,
			message: []string{hostileSQL, "does not exist"},
		}),
		Entry("Cyrillic spec.slotName", hostileCase{
			slot:    func(r *api.ReplicationSlot) { r.Spec.SlotName = "слот" },
			refused: "spec.slotName",
		}),
		Entry("emoji spec.slotName", hostileCase{
			slot:    func(r *api.ReplicationSlot) { r.Spec.SlotName = "slot_\U0001F642" },
			refused: "spec.slotName",
		}),
		Entry("Cyrillic metadata.name", hostileCase{
			slot:    func(r *api.ReplicationSlot) { r.Name = "слот" },
			refused: "metadata.name",
		}),
		Entry("emoji metadata.name", hostileCase{
			slot:    func(r *api.ReplicationSlot) { r.Name = "slot-\U0001F642" },
			refused: "metadata.name",
		}),
		Entry("64-character spec.slotName", hostileCase{
			slot:    func(r *api.ReplicationSlot) { r.Spec.SlotName = strings.Repeat("a", 64) },
			refused: "spec.slotName",
		}),
		Entry("64-character metadata.name without spec.slotName", hostileCase{
			slot:    func(r *api.ReplicationSlot) { r.Name = strings.Repeat("a", 64) },
			refused: "set spec.slotName",
		}),
		Entry("uppercase spec.slotName", hostileCase{
			slot:    func(r *api.ReplicationSlot) { r.Spec.SlotName = "Orders_CDC" },
			refused: "spec.slotName",
		}),
		Entry("uppercase metadata.name", hostileCase{
			slot:    func(r *api.ReplicationSlot) { r.Name = "Orders-CDC" },
			refused: "metadata.name",
		}),
		Entry("NUL byte in spec.slotName", hostileCase{
			slot:    func(r *api.ReplicationSlot) { r.Spec.SlotName = "orders\x00cdc" },
			refused: "spec.slotName",
		}),
		// spec.plugin is a library name: the CRD refuses NUL bytes and paths
		// (PostgreSQL would load a plugin name with a slash as a file).
		Entry("NUL byte in spec.plugin", hostileCase{
			slot:    func(r *api.ReplicationSlot) { r.Spec.Plugin = "pgoutput\x00evil" },
			refused: "spec.plugin",
		}),
		Entry("a path in spec.plugin", hostileCase{
			slot:    func(r *api.ReplicationSlot) { r.Spec.Plugin = "/tmp/evil" },
			refused: "spec.plugin",
		}),
		// A NUL byte passes the CRD schema of spec.database; it cannot be
		// sent to PostgreSQL, so it is a spec error, not a retry.
		Entry("NUL byte in spec.database is Stalled as InvalidSpec naming the database", hostileCase{
			slot: func(r *api.ReplicationSlot) { r.Spec.Database = "orders\x00user\x00postgres" },
			on:   "slot", reason: api.ReasonInvalidSpec, stalled: true,
			message: []string{"database"},
		}),
		Entry("injection in spec.location.host", hostileCase{
			slot: func(r *api.ReplicationSlot) {
				r.Spec.Location = &api.SlotLocation{Role: api.LocationStandby, Host: "127.0.0.1 dbname=postgres"}
			},
			on: "slot", reason: api.ReasonInvalidSpec,
			message: []string{"127.0.0.1 dbname=postgres", "is not one of"},
		}),
		Entry("10 MB annotation", hostileCase{
			slot: func(r *api.ReplicationSlot) {
				r.Annotations = map[string]string{"example.com/blob": strings.Repeat("x", 10<<20)}
			},
			refused: "Request entity too large",
		}),
		Entry("300 KiB annotation (over the 256 KiB limit)", hostileCase{
			slot: func(r *api.ReplicationSlot) {
				r.Annotations = map[string]string{"example.com/blob": strings.Repeat("x", 300<<10)}
			},
			refused: "metadata.annotations: Too long: may not be more than 262144 bytes",
		}),

		// --- PostgresServer: connection parameters ---
		Entry("host with a connection-string keyword", hostileCase{
			server: hostOnPrimary("127.0.0.1 dbname=postgres"),
			on:     "server", reason: api.ReasonServerUnavailable,
			message: []string{"127.0.0.1 dbname=postgres"},
		}),
		Entry("host with SQL quoting", hostileCase{
			server: hostOnPrimary("host' OR '1'='1"),
			on:     "server", reason: api.ReasonServerUnavailable,
			message: []string{"host' OR '1'='1"},
		}),
		Entry("host that looks like a command-line option", hostileCase{
			server: hostOnPrimary("-oProxyCommand=x"),
			on:     "server", reason: api.ReasonServerUnavailable,
			message: []string{"-oProxyCommand=x"},
		}),
		Entry("host with a NUL byte is Stalled as InvalidSpec", hostileCase{
			server: hostOnPrimary("127.0.0.1\x00evil"),
			on:     "server", reason: api.ReasonInvalidSpec, stalled: true,
			message: []string{"the host contains a NUL byte"},
		}),
		Entry("port 0", hostileCase{
			server:  func(*api.PostgresServer) {},
			raw:     setPort(0),
			refused: "should be greater than or equal to 1",
		}),
		Entry("port 70000", hostileCase{
			server:  func(*api.PostgresServer) {},
			raw:     setPort(70000),
			refused: "should be less than or equal to 65535",
		}),
		Entry("database name with quotes", hostileCase{
			server: func(ps *api.PostgresServer) { ps.Spec.Database = `post"gres' OR '1'='1` },
			on:     "server", reason: "DatabaseMissing",
			message: []string{`post"gres' OR '1'='1`, "does not exist"},
		}),
		// Only fixing the Secret helps, so it is Stalled, not retried.
		Entry("NUL byte in the Secret's username is Stalled", hostileCase{
			server:   func(*api.PostgresServer) {},
			username: opRole + "\x00database\x00orders",
			on:       "server", reason: api.ReasonInvalidSpec, stalled: true,
			message: []string{"user"},
		}),
	)

	It("leaves the operator working after the hostile input", func() {
		ns, ps := defaultServer()
		rs := physicalSlot(ns, "after-hostile", ps.Name)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(slotExists(primary, "after_hostile")()).To(BeTrue())
		deleteAndWait(rs)
		Expect(slotExists(primary, "after_hostile")()).To(BeFalse())
	})
})

// applyHostile creates the objects of a case and returns them by role. A
// refused case asserts the API error here.
func applyHostile(c hostileCase) map[string]client.Object {
	objs := map[string]client.Object{}
	var ns string
	var target client.Object
	if c.server != nil {
		ns = newNamespace()
		user := opRole
		if c.username != "" {
			user = c.username
		}
		createSecret(ns, "pg", user, opPassword)
		ps := &api.PostgresServer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"},
			Spec: api.PostgresServerSpec{
				Hosts:                []api.HostPort{{Host: primary.Host, Port: int32(primary.Port)}},
				CredentialsSecretRef: api.LocalObjectReference{Name: "pg"},
				TLS:                  &api.TLSSpec{Mode: api.TLSDisable},
				PollInterval:         api.NewDuration(time.Second),
			}}
		c.server(ps)
		objs["server"], target = ps, ps
	} else {
		var ps *api.PostgresServer
		ns, ps = defaultServer()
		objs["server"] = ps
	}
	rs := logicalSlot(ns, "hostile-slot", "db")
	if c.slot != nil {
		c.slot(rs)
	}
	if c.server == nil {
		target = rs
	}
	err := createRaw(target, c.raw)
	if c.refused != "" {
		Expect(err).To(HaveOccurred(), "the API server accepted it")
		Expect(apierrors.IsInvalid(err) || apierrors.IsRequestEntityTooLargeError(err) || apierrors.IsBadRequest(err)).
			To(BeTrue(), "want a validation error, got %v", err)
		Expect(err.Error()).To(ContainSubstring(c.refused))
		return objs
	}
	Expect(err).NotTo(HaveOccurred())
	if c.server != nil {
		DeferCleanup(deleteAndWait, target)
		// A probe slot on the hostile server.
		Expect(k8s.Create(bg, rs)).To(Succeed())
	}
	// Cleanups run last in, first out: the slot goes before its server.
	DeferCleanup(deleteAndWait, rs)
	objs["slot"] = rs
	return objs
}

// createRaw creates obj through its JSON form, edited by raw, and reads the
// stored object back into obj.
func createRaw(obj client.Object, raw func(map[string]any)) error {
	if raw == nil {
		return k8s.Create(bg, obj)
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	Expect(err).NotTo(HaveOccurred())
	u := &unstructured.Unstructured{Object: m}
	gvk, err := apiutil.GVKForObject(obj, k8s.Scheme())
	Expect(err).NotTo(HaveOccurred())
	u.SetGroupVersionKind(gvk)
	raw(u.Object)
	if err := k8s.Create(bg, u); err != nil {
		return err
	}
	return k8s.Get(bg, client.ObjectKeyFromObject(obj), obj)
}

func hostOnPrimary(host string) func(*api.PostgresServer) {
	return func(ps *api.PostgresServer) {
		ps.Spec.Hosts = []api.HostPort{{Host: host, Port: int32(primary.Port)}}
	}
}

func setPort(port int64) func(map[string]any) {
	return func(m map[string]any) {
		hosts := m["spec"].(map[string]any)["hosts"].([]any)
		hosts[0].(map[string]any)["port"] = port
	}
}

// waitReadyFalse waits for Ready=False with the reason, or with any reason
// once the first attempt is over ("" : not creating, not probing, not
// waiting for the first observation), and returns the condition.
func waitReadyFalse(obj client.Object, reason string) metav1.Condition {
	var found metav1.Condition
	EventuallyWithOffset(1, func(g Gomega) {
		g.Expect(k8s.Get(bg, client.ObjectKeyFromObject(obj), obj)).To(Succeed())
		c := meta.FindStatusCondition(conditionsOf(obj), api.ConditionReady)
		g.Expect(c).NotTo(BeNil(), "no Ready condition")
		g.Expect(c.Status).To(Equal(metav1.ConditionFalse), c.Message)
		if reason != "" {
			g.Expect(c.Reason).To(Equal(reason), c.Message)
		} else {
			g.Expect(c.Reason).NotTo(BeElementOf(api.ReasonCreating, api.ReasonProgressing), c.Message)
			g.Expect(c.Message).NotTo(HavePrefix("waiting for the first observation"))
		}
		found = *c
	}).Should(Succeed())
	return found
}

func primarySlotNames() []string {
	conn, err := primary.Connect(bg, "postgres")
	Expect(err).NotTo(HaveOccurred())
	defer conn.Close(bg)
	rows, err := conn.Query(bg, `SELECT slot_name FROM pg_replication_slots ORDER BY 1`)
	Expect(err).NotTo(HaveOccurred())
	var names []string
	for rows.Next() {
		var n string
		Expect(rows.Scan(&n)).To(Succeed())
		names = append(names, n)
	}
	Expect(rows.Err()).NotTo(HaveOccurred())
	return names
}

func newSlots(before, after []string) []string {
	seen := map[string]bool{}
	for _, n := range before {
		seen[n] = true
	}
	var out []string
	for _, n := range after {
		if !seen[n] {
			out = append(out, n)
		}
	}
	return out
}

// The canary table exists in both databases slots are made in, with one
// row; the roles and databases are counted too.
var canaryDatabases = []string{"postgres", "orders"}

var roleAndDatabaseCount [2]int

func ensureCanaries() {
	for _, db := range canaryDatabases {
		conn, err := primary.Connect(bg, db)
		Expect(err).NotTo(HaveOccurred())
		_, err = conn.Exec(bg, `CREATE TABLE IF NOT EXISTS hostile_canary (id int PRIMARY KEY, note text);
			INSERT INTO hostile_canary VALUES (1, 'still here') ON CONFLICT DO NOTHING`)
		Expect(err).NotTo(HaveOccurred())
		if db == "postgres" {
			Expect(conn.QueryRow(bg, `SELECT (SELECT count(*) FROM pg_roles), (SELECT count(*) FROM pg_database)`).
				Scan(&roleAndDatabaseCount[0], &roleAndDatabaseCount[1])).To(Succeed())
		}
		Expect(conn.Close(bg)).To(Succeed())
	}
}

func expectCanariesIntact() {
	for _, db := range canaryDatabases {
		conn, err := primary.Connect(bg, db)
		Expect(err).NotTo(HaveOccurred())
		var n int
		Expect(conn.QueryRow(bg, `SELECT count(*) FROM hostile_canary WHERE note = 'still here'`).Scan(&n)).To(Succeed())
		Expect(n).To(Equal(1), "canary row in %s", db)
		if db == "postgres" {
			var counts [2]int
			Expect(conn.QueryRow(bg, `SELECT (SELECT count(*) FROM pg_roles), (SELECT count(*) FROM pg_database)`).
				Scan(&counts[0], &counts[1])).To(Succeed())
			Expect(counts).To(Equal(roleAndDatabaseCount), "roles and databases")
		}
		Expect(conn.Close(bg)).To(Succeed())
	}
}

// reconcilePanics is controller-runtime's count of recovered reconcile
// panics over all controllers.
func reconcilePanics() float64 {
	families, err := crmetrics.Registry.Gather()
	Expect(err).NotTo(HaveOccurred())
	total := 0.0
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_panics_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			total += m.GetCounter().GetValue()
		}
	}
	return total
}
