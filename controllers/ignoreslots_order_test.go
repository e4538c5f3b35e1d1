package controllers_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// orderWatcher stands in for Patroni's REST API to watch the order of
// slotkeeper's writes (the real Patroni is in test/e2e): at each write that
// adds or removes an entry it notes what the API server and PostgreSQL say
// at that moment.
type orderWatcher struct {
	mu     sync.Mutex
	config map[string]any
	seen   []orderNote
	note   func() orderNote
}

type orderNote struct {
	entries     int    // ignore_slots entries after the write
	statusEntry string // the ReplicationSlot's status.ignoreSlotsEntry
	slotExists  bool   // the slot on the primary
}

func (o *orderWatcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer GinkgoRecover()
	o.mu.Lock()
	defer o.mu.Unlock()
	if r.Method == http.MethodPatch {
		var patch map[string]any
		Expect(json.NewDecoder(r.Body).Decode(&patch)).To(Succeed())
		if list, ok := patch["ignore_slots"]; ok {
			o.config["ignore_slots"] = list
			n := o.note()
			n.entries = len(list.([]any))
			o.seen = append(o.seen, n)
		}
	}
	if r.URL.Path == "/patroni" {
		_ = json.NewEncoder(w).Encode(map[string]any{"patroni": map[string]any{"version": "3.0.2", "scope": "order"}})
		return
	}
	_ = json.NewEncoder(w).Encode(o.config)
}

func (o *orderWatcher) notes() []orderNote {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]orderNote(nil), o.seen...)
}

var _ = Describe("ignoreSlots Manage", func() {
	It("records its entry before writing it, and removes it only after the slot is dropped", func() {
		ns := newNamespace()
		createSecret(ns, "pg", opRole, opPassword)
		rs := physicalSlot(ns, "ordered", "db")
		watcher := &orderWatcher{config: map[string]any{"ignore_slots": []any{}}}
		// The key is taken once: the handler runs on the server's goroutine
		// while deleteAndWait reads the object into rs, so rs itself must not
		// be read there. A failed read is noted rather than failed on, so
		// that an entry removed after the object is gone shows as such in
		// the notes compared below.
		key := keyOf(rs)
		watcher.note = func() orderNote {
			cur := &api.ReplicationSlot{}
			if err := k8s.Get(bg, key, cur); err != nil {
				return orderNote{statusEntry: "read failed: " + err.Error(), slotExists: slotExists(primary, "ordered")()}
			}
			return orderNote{statusEntry: cur.Status.IgnoreSlotsEntry, slotExists: slotExists(primary, "ordered")()}
		}
		srv := httptest.NewServer(watcher)
		DeferCleanup(srv.Close)
		createServerWith(ns, "db", "pg", func(ps *api.PostgresServer) {
			ps.Spec.Patroni = &api.PatroniSpec{URLs: []string{srv.URL}, IgnoreSlots: api.IgnoreSlotsManage}
		}, primary, standby)
		Expect(k8s.Create(bg, rs)).To(Succeed())
		waitCondition(rs, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(get(rs).Status.IgnoreSlotsEntry).To(Equal("Added"))
		Expect(watcher.notes()).To(Equal([]orderNote{{entries: 1, statusEntry: "Added", slotExists: false}}),
			"the entry is written after status records it, and before the slot exists")

		deleteAndWait(rs)
		Expect(watcher.notes()).To(HaveLen(2))
		Expect(watcher.notes()[1]).To(Equal(orderNote{entries: 0, statusEntry: "Added", slotExists: false}),
			"the entry goes only once the slot is dropped")
	})
})
