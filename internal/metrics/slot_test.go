package metrics

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
)

// countSeries is how many series of one family the slot collector exports.
func countSeries(t *testing.T, name string) int {
	t.Helper()
	n, err := testutil.GatherAndCount(gathererOf(slots), name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func gathererOf(c prometheus.Collector) prometheus.Gatherer {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	return reg
}

// A deleted object's series must all go, counters included, and a renamed
// slot must not leave its old series behind.
func TestSlotSeriesLifecycle(t *testing.T) {
	b := int64(5)
	SetSlot(Slot{Namespace: "ns", Name: "obj", SlotName: "a", Server: "db", Recreations: 2, DataGapBytesTotal: 9,
		RetainedBytes: &b, WALStatus: "reserved", InvalidationReason: "wal_removed"})
	if n := countSeries(t, slotRecreated.name); n != 1 {
		t.Fatalf("recreations series = %d, want 1", n)
	}
	SetSlot(Slot{Namespace: "ns", Name: "obj", SlotName: "b", Server: "db"})
	if n := countSeries(t, slotRetained.name); n != 0 {
		t.Fatalf("retained series after rename without figure = %d, want 0", n)
	}
	if n := countSeries(t, slotInvalid.name); n != 0 {
		t.Fatalf("invalidated series after rename = %d, want 0", n)
	}
	if n := countSeries(t, slotRecreated.name); n != 1 {
		t.Fatalf("recreations series after rename = %d, want 1 (the new name only)", n)
	}
	DeleteSlot("ns", "obj")
	left := 0
	for _, f := range families {
		left += countSeries(t, f.name)
	}
	if left != 0 {
		t.Fatalf("%d series left after DeleteSlot", left)
	}
}

func TestServerSeriesLifecycle(t *testing.T) {
	n := int64(1)
	SetServer(Server{Namespace: "ns", Name: "db", Up: true, Timeline: 2, Failovers: 1,
		Members: []Member{{Addr: "h:1", Up: true, Primary: true}}, ActiveUnmanaged: &n, InactiveUnmanaged: &n})
	ObserveProbe("ns", "db", "h:1", 0)
	DeleteServer("ns", "db")
	left := testutil.CollectAndCount(serverUp) + testutil.CollectAndCount(serverFailovers) +
		testutil.CollectAndCount(memberUp) + testutil.CollectAndCount(unmanagedSlots) + testutil.CollectAndCount(probeDuration)
	if left != 0 {
		t.Fatalf("%d series left after DeleteServer", left)
	}
}

// The slot collector must export exactly what the GaugeVecs it replaced
// exported, after any sequence of updates and deletions: legacySlots below
// is that code, verbatim but for living in a struct.
func TestSlotSeriesAsGaugeVecs(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for run := range 50 {
		got, want := newSlotCollector(), newLegacySlots()
		gotReg, wantReg := gathererOf(got), want.registry()
		for step := range 60 {
			obj := fmt.Sprintf("obj-%d", r.IntN(4))
			if r.IntN(8) == 0 {
				got.drop("ns", obj)
				want.DeleteSlot("ns", obj)
			} else {
				s := randomSlot(r, obj)
				got.set(s)
				want.SetSlot(s)
			}
			g, w := gatherText(t, gotReg), gatherText(t, wantReg)
			if g != w {
				t.Fatalf("run %d step %d: exported\n%s\nwant\n%s", run, step, g, w)
			}
		}
	}
}

func randomSlot(r *rand.Rand, obj string) Slot {
	opt := func() *int64 {
		if r.IntN(3) == 0 {
			return nil
		}
		v := r.Int64N(1 << 40)
		return &v
	}
	s := Slot{Namespace: "ns", Name: obj, SlotName: []string{"a", "b"}[r.IntN(2)], Server: []string{"db", "db2"}[r.IntN(2)],
		Ready: r.IntN(2) == 0, Active: r.IntN(2) == 0, DataGap: r.IntN(4) == 0,
		RetainedBytes: opt(), BudgetBytes: opt(), LagBytes: opt(), SafeWALSizeBytes: opt(),
		WALStatus:          []string{"", "reserved", "extended", "unreserved", "lost", "new_in_pg99"}[r.IntN(6)],
		InvalidationReason: []string{"", "", "wal_removed", "rows_removed"}[r.IntN(4)],
		BlockedSeconds:     float64(r.IntN(3)) * 1.5, Recreations: int32(r.IntN(3)), DataGapBytesTotal: int64(r.IntN(3)) << 20,
		GapWindowBytes: opt(), GapRecreations: int32(r.IntN(3)), Vanished: int32(r.IntN(3))}
	if r.IntN(2) == 0 {
		v := float64(1700000000 + r.IntN(100))
		s.InactiveSince = &v
	}
	if r.IntN(3) > 0 {
		v := r.IntN(2) == 0
		s.FailoverReady = &v
	}
	return s
}

func gatherText(t *testing.T, g prometheus.Gatherer) string {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// BenchmarkSlotSeries2000 sets 2,000 slots' figures, as many reconciles do,
// and reports the heap they hold.
func BenchmarkSlotSeries2000(b *testing.B) {
	for _, impl := range []string{"collector", "gaugevecs"} {
		b.Run(impl, func(b *testing.B) {
			for b.Loop() {
				var set func(Slot)
				if impl == "collector" {
					set = newSlotCollector().set
				} else {
					set = newLegacySlots().SetSlot
				}
				v := int64(1 << 20)
				for i := range 2000 {
					set(Slot{Namespace: "scale", Name: fmt.Sprintf("slot-%04d", i), SlotName: fmt.Sprintf("scale_slot_%04d", i),
						Server: "db", Ready: true, RetainedBytes: &v, SafeWALSizeBytes: &v, LagBytes: &v, WALStatus: "reserved"})
				}
			}
		})
	}
}

// legacySlots is the GaugeVec implementation the collector replaced.
type legacySlots struct {
	slotReady, slotActive, slotRetained, slotBudget, slotLag, slotSafeWAL, slotWALStatus,
	slotInvalid, slotInactiveAt, slotFailover, slotBlocked, slotDataGap, slotGapWindow, slotGapCount *prometheus.GaugeVec
	slotRecreated, slotGapBytes, slotVanished *statusCounter
	plainSlotGauges                           []*prometheus.GaugeVec
	seen                                      *legacySeen
}

func newLegacySlots() *legacySlots {
	g := func(f *family, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: f.name, Help: f.help}, labels)
	}
	c := func(f *family) *statusCounter {
		return &statusCounter{desc: f.desc, vals: map[string]counterValue{}}
	}
	l := &legacySlots{
		slotReady: g(slotReady, slotLabels...), slotActive: g(slotActive, slotLabels...), slotRetained: g(slotRetained, slotLabels...),
		slotBudget: g(slotBudget, slotLabels...), slotLag: g(slotLag, slotLabels...), slotSafeWAL: g(slotSafeWAL, slotLabels...),
		slotWALStatus: g(slotWALStatus, append(slotLabels, "status")...), slotInvalid: g(slotInvalid, append(slotLabels, "reason")...),
		slotInactiveAt: g(slotInactiveAt, slotLabels...), slotFailover: g(slotFailover, slotLabels...),
		slotBlocked: g(slotBlocked, slotLabels...), slotDataGap: g(slotDataGap, slotLabels...),
		slotGapWindow: g(slotGapWindow, slotLabels...), slotGapCount: g(slotGapCount, slotLabels...),
		slotRecreated: c(slotRecreated), slotGapBytes: c(slotGapBytes), slotVanished: c(slotVanished),
	}
	l.plainSlotGauges = []*prometheus.GaugeVec{l.slotReady, l.slotActive, l.slotRetained, l.slotBudget, l.slotLag,
		l.slotSafeWAL, l.slotInactiveAt, l.slotFailover, l.slotBlocked, l.slotDataGap, l.slotGapWindow, l.slotGapCount}
	l.seen = &legacySeen{last: map[[2]string]legacySeenEntry{}, slotInvalid: l.slotInvalid}
	return l
}

func (l *legacySlots) registry() prometheus.Gatherer {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(l.slotReady, l.slotActive, l.slotRetained, l.slotBudget, l.slotLag, l.slotSafeWAL, l.slotWALStatus,
		l.slotInvalid, l.slotInactiveAt, l.slotFailover, l.slotBlocked, l.slotDataGap, l.slotRecreated, l.slotGapBytes,
		l.slotGapWindow, l.slotGapCount, l.slotVanished)
	return reg
}

func (l *legacySlots) SetSlot(s Slot) {
	lb := prometheus.Labels{"namespace": s.Namespace, "name": s.Name, "slot": s.SlotName, "server": s.Server}
	if last := l.seen.swap(s.Namespace, s.Name, lb, s.InvalidationReason); last != nil {
		l.forget(last)
	}
	l.slotReady.With(lb).Set(b2f(s.Ready))
	l.slotActive.With(lb).Set(b2f(s.Active))
	l.slotDataGap.With(lb).Set(b2f(s.DataGap))
	l.slotBlocked.With(lb).Set(s.BlockedSeconds)
	setOptional(l.slotRetained, lb, s.RetainedBytes)
	setOptional(l.slotBudget, lb, s.BudgetBytes)
	setOptional(l.slotLag, lb, s.LagBytes)
	setOptional(l.slotSafeWAL, lb, s.SafeWALSizeBytes)
	setOptional(l.slotGapWindow, lb, s.GapWindowBytes)
	l.slotGapCount.With(lb).Set(float64(s.GapRecreations))
	legacySetOptionalFloat(l.slotInactiveAt, lb, s.InactiveSince)
	l.setFailover(lb, s.FailoverReady)
	l.setWALStatus(lb, s.WALStatus)
	l.setInvalidated(lb, s.InvalidationReason)
	values := []string{s.Namespace, s.Name, s.SlotName, s.Server}
	l.slotRecreated.set(float64(s.Recreations), values...)
	l.slotGapBytes.set(float64(s.DataGapBytesTotal), values...)
	l.slotVanished.set(float64(s.Vanished), values...)
}

func (l *legacySlots) DeleteSlot(namespace, name string) {
	l.seen.drop(namespace, name)
	l.forget(prometheus.Labels{"namespace": namespace, "name": name})
}

func (l *legacySlots) forget(lb prometheus.Labels) {
	for _, v := range append(l.plainSlotGauges, l.slotWALStatus, l.slotInvalid) {
		v.DeletePartialMatch(lb)
	}
	prefix := []string{lb["namespace"], lb["name"]}
	if lb["slot"] != "" || lb["server"] != "" {
		prefix = append(prefix, lb["slot"], lb["server"])
	}
	l.slotRecreated.deletePrefix(prefix...)
	l.slotGapBytes.deletePrefix(prefix...)
	l.slotVanished.deletePrefix(prefix...)
}

func (l *legacySlots) setWALStatus(lb prometheus.Labels, current string) {
	if current == "" {
		l.slotWALStatus.DeletePartialMatch(lb)
		return
	}
	for _, st := range WALStatuses {
		l.slotWALStatus.With(with(lb, "status", st)).Set(b2f(st == current))
	}
}

func (l *legacySlots) setInvalidated(lb prometheus.Labels, reason string) {
	if reason != "" {
		l.slotInvalid.With(with(lb, "reason", reason)).Set(1)
	}
}

func (l *legacySlots) setFailover(lb prometheus.Labels, ready *bool) {
	if ready == nil {
		l.slotFailover.Delete(lb)
		return
	}
	l.slotFailover.With(lb).Set(b2f(*ready))
}

func legacySetOptionalFloat(v *prometheus.GaugeVec, l prometheus.Labels, p *float64) {
	if p == nil {
		v.Delete(l)
		return
	}
	v.With(l).Set(*p)
}

type legacySeen struct {
	mu          sync.Mutex
	last        map[[2]string]legacySeenEntry
	slotInvalid *prometheus.GaugeVec
}

type legacySeenEntry struct {
	labels prometheus.Labels
	reason string
}

func (s *legacySeen) swap(namespace, name string, l prometheus.Labels, reason string) prometheus.Labels {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := [2]string{namespace, name}
	prev, ok := s.last[key]
	s.last[key] = legacySeenEntry{labels: maps.Clone(l), reason: reason}
	switch {
	case !ok:
		return nil
	case !maps.Equal(prev.labels, l):
		return prev.labels
	case prev.reason != "" && prev.reason != reason:
		s.slotInvalid.Delete(with(prev.labels, "reason", prev.reason))
	}
	return nil
}

func (s *legacySeen) drop(namespace, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.last, [2]string{namespace, name})
}

// A label value that is not UTF-8 (a hostile server's invalidation reason)
// must not make the whole scrape fail.
func TestSlotSeriesInvalidUTF8(t *testing.T) {
	c := newSlotCollector()
	c.set(Slot{Namespace: "ns", Name: "obj", SlotName: "a", Server: "db", InvalidationReason: "bad\xff"})
	if _, err := gathererOf(c).Gather(); err != nil {
		t.Fatal(err)
	}
}

// Reconciles set figures while Prometheus scrapes (run with -race).
func TestSlotSeriesConcurrentScrape(t *testing.T) {
	c := newSlotCollector()
	g := gathererOf(c)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for range 200 {
				obj := fmt.Sprintf("obj-%d", r.IntN(8))
				if r.IntN(10) == 0 {
					c.drop("ns", obj)
				} else {
					c.set(randomSlot(r, obj))
				}
			}
		}()
	}
	for range 20 {
		if _, err := g.Gather(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}

// The idle-timeout deadline is a series only while there is one.
func TestSlotIdleInvalidationSeries(t *testing.T) {
	at := float64(1764842400)
	SetSlot(Slot{Namespace: "ns", Name: "idle", SlotName: "idle", Server: "db", IdleInvalidationAt: &at})
	defer DeleteSlot("ns", "idle")
	if n := countSeries(t, slotIdleAt.name); n != 1 {
		t.Fatalf("idle invalidation series = %d, want 1", n)
	}
	SetSlot(Slot{Namespace: "ns", Name: "idle", SlotName: "idle", Server: "db", Active: true})
	if n := countSeries(t, slotIdleAt.name); n != 0 {
		t.Fatalf("idle invalidation series for an active slot = %d, want 0", n)
	}
}

// The left-behind series exists while the object has slots left behind.
func TestSlotLeftBehindSeries(t *testing.T) {
	SetSlot(Slot{Namespace: "ns", Name: "moved", SlotName: "m", Server: "db", LeftBehind: 1})
	if n := countSeries(t, slotLeft.name); n != 1 {
		t.Fatalf("left-behind series with one slot left = %d, want 1", n)
	}
	SetSlot(Slot{Namespace: "ns", Name: "moved", SlotName: "m", Server: "db"})
	if n := countSeries(t, slotLeft.name); n != 0 {
		t.Fatalf("left-behind series once dropped = %d, want 0", n)
	}
	SetSlot(Slot{Namespace: "ns", Name: "moved", SlotName: "m", Server: "db", LeftBehind: 2})
	DeleteSlot("ns", "moved")
	if n := countSeries(t, slotLeft.name); n != 0 {
		t.Fatalf("left-behind series after DeleteSlot = %d, want 0", n)
	}
}
