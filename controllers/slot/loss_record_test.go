package slot

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

func TestLossRecordRoundTrip(t *testing.T) {
	rs := &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "s", UID: "u1"}}
	rs.Status.Loss = &api.SlotLoss{Member: "db:5432", Timeline: 3, Reason: api.ReasonMissing,
		Since: metav1.NewTime(time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)), FromLSN: "0/16B3748", FromTimeline: 2, Attempted: true}
	l, ok := lostFromStatus(rs)
	if !ok || l.uid != rs.UID {
		t.Fatalf("lostFromStatus = %+v, %v", l, ok)
	}
	if got := l.record(); !sameLoss(got, rs.Status.Loss) {
		t.Errorf("round trip: %+v, want %+v", got, *rs.Status.Loss)
	}
}

// A loss is taken from status by a process that has none noted (after a
// restart), and never from another object's entry under the same name.
func TestLoadLossFromStatus(t *testing.T) {
	var r Reconciler
	rs := &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "s", UID: "u2"}}
	if _, ok := r.loadLoss(rs); ok {
		t.Fatal("a loss found where status records none")
	}
	r.lost.Store(client.ObjectKeyFromObject(rs), lostSlot{uid: "u1", member: "old:5432"})
	rs.Status.Loss = &api.SlotLoss{Member: "db:5432", Timeline: 1, Reason: api.ReasonMissing}
	l, ok := r.loadLoss(rs)
	if !ok || l.member != "db:5432" {
		t.Fatalf("loadLoss = %+v, %v: want the status's loss over a former object's", l, ok)
	}
	rs.Status.Loss = nil
	if l, ok := r.loadLoss(rs); !ok || l.member != "db:5432" {
		t.Errorf("loadLoss = %+v, %v: want the loss noted in memory", l, ok)
	}
}

type lossWriteCase struct {
	name      string
	noted     *lostSlot
	told      bool
	onServer  *api.SlotLoss // status.loss as the API has it
	changed   bool          // something else in status changes
	want      *api.SlotLoss
	wantWrite bool
}

func TestLossToWrite(t *testing.T) {
	noted := lostSlot{uid: "u", member: "db:5432", timeline: 1, loss: loss{reason: api.ReasonMissing, from: "0/10"}}
	marked := noted
	marked.uncertain = true
	for _, c := range []lossWriteCase{
		{"no loss", nil, false, nil, false, nil, false},
		{"a loss noted is written", &noted, false, nil, true, noted.record(), true},
		{"a loss told goes", &noted, true, marked.record(), true, nil, true},
		{"a mark that made nothing stays when nothing else is written", &noted, false, marked.record(), false, marked.record(), false},
		{"... and goes with a write made anyway", &noted, false, marked.record(), true, noted.record(), true},
		{"an attempt under way keeps its mark", &marked, false, marked.record(), true, marked.record(), true},
	} {
		t.Run(c.name, func(t *testing.T) { checkLossToWrite(t, c) })
	}
}

func checkLossToWrite(t *testing.T, c lossWriteCase) {
	var r Reconciler
	rs := &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "s", UID: "u"}}
	rs.Status.Loss = c.onServer
	if c.noted != nil {
		r.lost.Store(client.ObjectKeyFromObject(rs), *c.noted)
	}
	base := rs.DeepCopy()
	if c.changed {
		rs.Status.Vanished++
	}
	got := r.lossToWrite(&slotScope{rs: rs, base: base, lossTold: c.told})
	if !lossEqual(got, c.want) {
		t.Fatalf("lossToWrite = %+v, want %+v", got, c.want)
	}
	rs.Status.Loss = got
	if write := !onlyLossDiffers(&base.Status, &rs.Status) || !lossEqual(base.Status.Loss, got); write != c.wantWrite {
		t.Errorf("status written: %v, want %v", write, c.wantWrite)
	}
}

func lossEqual(a, b *api.SlotLoss) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// A loss found beside a Ready that turned True after it was seen was told
// by an operator that does not know status.loss (a rollback): it is not
// taken up again.
func TestLossOutlived(t *testing.T) {
	since := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name  string
		ready metav1.ConditionStatus
		at    time.Time
		want  bool
	}{
		{"Ready before the loss", metav1.ConditionTrue, since.Add(-time.Hour), false},
		{"Ready in the loss's second", metav1.ConditionTrue, since, false},
		{"Ready after the loss", metav1.ConditionTrue, since.Add(time.Second), true},
		{"not Ready since", metav1.ConditionFalse, since.Add(time.Minute), false},
	} {
		rs := &api.ReplicationSlot{}
		rs.Status.Loss = &api.SlotLoss{Since: metav1.NewTime(since)}
		rs.Status.Conditions = []metav1.Condition{{Type: api.ConditionReady, Status: c.ready, LastTransitionTime: metav1.NewTime(c.at)}}
		if got := lossOutlived(rs); got != c.want {
			t.Errorf("%s: lossOutlived = %v, want %v", c.name, got, c.want)
		}
		if _, ok := lostFromStatus(rs); ok == c.want {
			t.Errorf("%s: lostFromStatus took up an outlived loss, or dropped a live one", c.name)
		}
	}
}
