package controllers_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

var bg = context.Background()

func createSecret(ns, name, user, password string) {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Type: corev1.SecretTypeBasicAuth,
		StringData: map[string]string{"username": user, "password": password}}
	Expect(k8s.Create(bg, s)).To(Succeed())
}

// createServer declares a PostgresServer for the given members, with the
// suite's credentials unless secret is set to another Secret.
func createServer(ns, name, secret string, members ...*pgtest.Server) *api.PostgresServer {
	return createServerWith(ns, name, secret, func(*api.PostgresServer) {}, members...)
}

// createServerWith is createServer with a change to the spec before creation.
func createServerWith(ns, name, secret string, mutate func(*api.PostgresServer), members ...*pgtest.Server) *api.PostgresServer {
	ps := &api.PostgresServer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: api.PostgresServerSpec{
			CredentialsSecretRef: api.LocalObjectReference{Name: secret},
			TLS:                  &api.TLSSpec{Mode: api.TLSDisable},
			PollInterval:         api.NewDuration(time.Second),
		}}
	for _, m := range members {
		ps.Spec.Hosts = append(ps.Spec.Hosts, api.HostPort{Host: m.Host, Port: int32(m.Port)})
	}
	mutate(ps)
	Expect(k8s.Create(bg, ps)).To(Succeed())
	return ps
}

// defaultServer is a server for the suite's primary and standby with working
// credentials, in a new namespace.
func defaultServer() (string, *api.PostgresServer) {
	return serverOn(primary, standby)
}

// serverOn is a new namespace with the suite's credentials and a server
// "db" for the given members.
func serverOn(members ...*pgtest.Server) (string, *api.PostgresServer) {
	ns := newNamespace()
	createSecret(ns, "pg", opRole, opPassword)
	return ns, createServer(ns, "db", "pg", members...)
}

// startServer starts a primary of its own for one spec or container, with
// the operator's role and the orders database, removed at its end.
func startServer(name string, settings map[string]string) *pgtest.Server {
	s, err := pgtest.StartPrimary(context.Background(), pgtest.Options{Major: major, Name: name, Settings: settings})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(s.Cleanup)
	Expect(s.CreateRole(bg, opRole, opPassword, true)).To(Succeed())
	Expect(s.CreateDatabase(bg, "orders")).To(Succeed())
	return s
}

func logicalSlot(ns, name, server string) *api.ReplicationSlot {
	return &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: api.ReplicationSlotSpec{ServerRef: api.LocalObjectReference{Name: server},
			Type: api.SlotLogical, Database: "orders"}}
}

func physicalSlot(ns, name, server string) *api.ReplicationSlot {
	return &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: api.ReplicationSlotSpec{ServerRef: api.LocalObjectReference{Name: server}, Type: api.SlotPhysical}}
}

func get[T client.Object](obj T) T {
	Expect(k8s.Get(bg, client.ObjectKeyFromObject(obj), obj)).To(Succeed())
	return obj
}

func conditionsOf(obj client.Object) []metav1.Condition {
	switch o := obj.(type) {
	case *api.ReplicationSlot:
		return o.Status.Conditions
	case *api.PostgresServer:
		return o.Status.Conditions
	}
	return nil
}

// waitCondition waits until obj has condition t with the status and reason,
// and returns the condition.
func waitCondition(obj client.Object, t string, status metav1.ConditionStatus, reason string) metav1.Condition {
	var found metav1.Condition
	EventuallyWithOffset(1, func(g Gomega) {
		g.Expect(k8s.Get(bg, client.ObjectKeyFromObject(obj), obj)).To(Succeed())
		c := meta.FindStatusCondition(conditionsOf(obj), t)
		g.Expect(c).NotTo(BeNil(), "condition %s missing", t)
		g.Expect(c.Status).To(Equal(status), c.Message)
		g.Expect(c.Reason).To(Equal(reason), c.Message)
		found = *c
	}).Should(Succeed())
	return found
}

// slotRow reads a slot straight from PostgreSQL as the superuser.
type slotRow struct {
	Type, Plugin, Database string
	Active                 bool
}

func readSlot(s *pgtest.Server, name string) *slotRow {
	conn, err := s.Connect(bg, "postgres")
	Expect(err).NotTo(HaveOccurred())
	defer conn.Close(bg)
	var r slotRow
	var plugin, db *string
	err = conn.QueryRow(bg, `SELECT slot_type, plugin, database, active FROM pg_replication_slots WHERE slot_name = $1`, name).
		Scan(&r.Type, &plugin, &db, &r.Active)
	if err != nil {
		return nil
	}
	if plugin != nil {
		r.Plugin = *plugin
	}
	if db != nil {
		r.Database = *db
	}
	return &r
}

func slotExists(s *pgtest.Server, name string) func() bool {
	return func() bool { return readSlot(s, name) != nil }
}

func deleteAndWait(obj client.Object) {
	Expect(k8s.Delete(bg, obj)).To(Succeed())
	EventuallyWithOffset(1, func() bool {
		return client.IgnoreNotFound(k8s.Get(bg, client.ObjectKeyFromObject(obj), obj)) == nil &&
			k8s.Get(bg, client.ObjectKeyFromObject(obj), obj) != nil
	}).Should(BeTrue())
}

func keyOf(obj client.Object) client.ObjectKey { return client.ObjectKeyFromObject(obj) }

// eventNotes returns the notes of the Events with a reason in a namespace.
func eventNotes(ns, reason string) func() []string {
	return func() []string {
		var list eventsv1.EventList
		Expect(k8s.List(bg, &list, client.InNamespace(ns))).To(Succeed())
		var out []string
		for _, e := range list.Items {
			if e.Reason == reason {
				out = append(out, e.Note)
			}
		}
		return out
	}
}
