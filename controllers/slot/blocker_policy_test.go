package slot

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

func TestEffectiveTerminateAfter(t *testing.T) {
	slot := &api.ReplicationSlot{Spec: api.ReplicationSlotSpec{TerminateBlockersAfter: api.NewDuration(time.Minute)}}
	server := func(b *api.BlockersSpec) *api.PostgresServer {
		return &api.PostgresServer{ObjectMeta: metav1.ObjectMeta{Name: "db"}, Spec: api.PostgresServerSpec{Blockers: b}}
	}
	cases := []struct {
		name string
		ps   *api.PostgresServer
		want time.Duration
	}{
		{"no server", nil, 0},
		{"blockers unset (default Never)", server(nil), 0},
		{"Never", server(&api.BlockersSpec{Terminate: api.TerminateNever}), 0},
		{"Allowed", server(&api.BlockersSpec{Terminate: api.TerminateAllowed}), time.Minute},
	}
	for _, c := range cases {
		if got := effectiveTerminateAfter(slot, c.ps); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
		note := terminationNote(slot, c.ps, "")
		if (c.want == 0) != strings.Contains(note, "does not allow terminating blockers") {
			t.Errorf("%s: note %q", c.name, note)
		}
	}
	if note := terminationNote(&api.ReplicationSlot{}, server(nil), ""); note != "" {
		t.Errorf("a slot without terminateBlockersAfter got the note %q", note)
	}
}

func TestBlockerView(t *testing.T) {
	bs := []postgres.Blocker{
		{PID: 1, Database: "orders", ApplicationName: "shop", Query: "UPDATE stock SET n = n - 1"},
		{PID: 2, Database: "billing", ApplicationName: "other-tenant", Query: "SELECT secret FROM cards"},
		{PID: 3, Database: "", Query: "VACUUM"},
	}
	own, others := blockerView(bs, "orders", false)
	if len(own) != 1 || own[0].PID != 1 || own[0].Query != "" || own[0].ApplicationName != "shop" || others != 2 {
		t.Fatalf("hidden: own %+v, others %d", own, others)
	}
	own, _ = blockerView(bs, "orders", true)
	if own[0].Query != "UPDATE stock SET n = n - 1" {
		t.Fatalf("shown: query %q", own[0].Query)
	}
	if bs[0].Query == "" {
		t.Fatal("blockerView changed its input")
	}
}

func TestCreationBlockedMessage(t *testing.T) {
	now := time.Now()
	own := []postgres.Blocker{{PID: 7, ApplicationName: "shop"}}
	cases := []struct {
		name       string
		c          status.Creation
		others     int
		note       string
		wantReason string
		want, not  []string
	}{
		{"nothing waits", status.Creation{}, 0, "a note", "", nil, []string{"a note"}},
		{"only other databases", status.Creation{Waited: 5 * time.Second}, 2, "",
			api.ReasonWaitingForTransactions, []string{"waited 5s", "2 transaction(s) in other databases"}, []string{"pid"}},
		{"own and others", status.Creation{Blockers: own, Waited: time.Second}, 1, "terminateBlockersAfter is ignored",
			api.ReasonWaitingForTransactions, []string{"pid 7 (shop)", "1 transaction(s) in other databases", "terminateBlockersAfter is ignored"}, nil},
		{"standby, none listed", status.Creation{OnStandby: true}, 0, "",
			api.ReasonWaitingForStandbySnapshot, []string{"running-xacts"}, []string{"other databases"}},
	}
	for _, c := range cases {
		reason, msg := creationBlocked(c.c, c.others, c.note, now)
		if reason != c.wantReason {
			t.Errorf("%s: reason %q, want %q (%s)", c.name, reason, c.wantReason, msg)
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q lacks %q", c.name, msg, w)
			}
		}
		for _, n := range c.not {
			if strings.Contains(msg, n) {
				t.Errorf("%s: %q has %q", c.name, msg, n)
			}
		}
	}
}
