package metrics

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// WALStatuses are the values pg_replication_slots.wal_status takes.
var WALStatuses = []string{"reserved", "extended", "unreserved", "lost"}

// slots holds the figures of every ReplicationSlot.
var slots = newSlotCollector()

// Slot is one ReplicationSlot's figures; nil pointers are unknown and
// remove the series rather than report a false zero.
type Slot struct {
	Namespace, Name, SlotName, Server string
	Ready, Active, DataGap            bool
	RetainedBytes, BudgetBytes        *int64
	LagBytes, SafeWALSizeBytes        *int64
	WALStatus, InvalidationReason     string
	// IdleInvalidationAt: when idle_replication_slot_timeout lets a
	// checkpoint invalidate the slot (Unix time); nil when it cannot.
	InactiveSince, IdleInvalidationAt *float64
	FailoverReady                     *bool
	BlockedSeconds                    float64
	Recreations                       int32
	DataGapBytesTotal                 int64
	// GapWindowBytes and GapRecreations describe the unacknowledged
	// window: nil bytes is a window of unknown size.
	GapWindowBytes *int64
	GapRecreations int32
	// AheadBytes is the window's ConsumerAhead size: nil is unknown.
	AheadBytes *int64
	Vanished   int32
	// LeftBehind counts the slots left on other members, not dropped yet;
	// its series exists only while there are some.
	LeftBehind int32
}

// SetSlot publishes a slot's figures. Series are updated in place, never
// deleted and re-added, so a scrape cannot catch an alert's series missing;
// a change of slot name, server, wal_status or invalidation reason replaces
// the outdated series at once.
func SetSlot(s Slot) { slots.set(s) }

// DeleteSlot forgets every series of a ReplicationSlot.
func DeleteSlot(namespace, name string) { slots.drop(namespace, name) }

type metricKind int

const (
	gaugeKind metricKind = iota
	counterKind
)

// family is one slot metric family. Its index orders the values of a
// slotRecord; the families with an extra label (status, reason) take none.
type family struct {
	name  string
	help  string
	desc  *prometheus.Desc
	kind  metricKind
	index int
}

var families []*family

func slotFamily(name, help string, kind metricKind, extra ...string) *family {
	names = append(names, name)
	f := &family{name: name, help: help, kind: kind, index: len(families),
		desc: prometheus.NewDesc(name, help, append(append([]string(nil), slotLabels...), extra...), nil)}
	families = append(families, f)
	return f
}

// slotRecord is what one ReplicationSlot exports. labels are its four
// label pairs in the order Prometheus wants them (by name: name, namespace,
// server, slot), shared by all its series.
type slotRecord struct {
	labels    []*dto.LabelPair
	values    [20]float64
	present   uint32 // bit f.index: the series of family f exists
	walStatus string // "" when unknown: no wal_status series
	reason    string // "" when not invalidated
}

func (r *slotRecord) put(f *family, v float64) {
	r.values[f.index] = v
	r.present |= 1 << f.index
}

func putOptional[T int64 | float64](r *slotRecord, f *family, p *T) {
	if p != nil {
		r.put(f, float64(*p))
	}
}

type slotCollector struct {
	mu    sync.RWMutex
	slots map[[2]string]*slotRecord // by namespace, name
}

func newSlotCollector() *slotCollector {
	return &slotCollector{slots: map[[2]string]*slotRecord{}}
}

func (c *slotCollector) set(s Slot) {
	// A label value must be UTF-8, or the whole scrape fails (a GaugeVec
	// panicked instead). Kubernetes names and PostgreSQL's slot names and
	// reasons always are; a hostile server's text need not be.
	s.Namespace, s.Name, s.SlotName, s.Server = validUTF8(s.Namespace), validUTF8(s.Name), validUTF8(s.SlotName), validUTF8(s.Server)
	s.InvalidationReason = validUTF8(s.InvalidationReason)
	r := &slotRecord{walStatus: s.WALStatus, reason: s.InvalidationReason}
	r.put(slotReady, b2f(s.Ready))
	r.put(slotActive, b2f(s.Active))
	r.put(slotDataGap, b2f(s.DataGap))
	r.put(slotBlocked, s.BlockedSeconds)
	putOptional(r, slotRetained, s.RetainedBytes)
	putOptional(r, slotBudget, s.BudgetBytes)
	putOptional(r, slotLag, s.LagBytes)
	putOptional(r, slotSafeWAL, s.SafeWALSizeBytes)
	putOptional(r, slotInactiveAt, s.InactiveSince)
	putOptional(r, slotIdleAt, s.IdleInvalidationAt)
	if s.FailoverReady != nil {
		r.put(slotFailover, b2f(*s.FailoverReady))
	}
	r.put(slotRecreated, float64(s.Recreations))
	r.put(slotGapBytes, float64(s.DataGapBytesTotal))
	putOptional(r, slotGapWindow, s.GapWindowBytes)
	r.put(slotGapCount, float64(s.GapRecreations))
	putOptional(r, slotAhead, s.AheadBytes)
	r.put(slotVanished, float64(s.Vanished))
	if s.LeftBehind > 0 {
		r.put(slotLeft, float64(s.LeftBehind))
	}
	key := [2]string{s.Namespace, s.Name}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.slots[key]; old != nil && old.labels[2].GetValue() == s.Server && old.labels[3].GetValue() == s.SlotName {
		r.labels = old.labels
	} else {
		r.labels = []*dto.LabelPair{pair("name", s.Name), pair("namespace", s.Namespace),
			pair("server", s.Server), pair("slot", s.SlotName)}
	}
	c.slots[key] = r
}

func (c *slotCollector) drop(namespace, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.slots, [2]string{namespace, name})
}

func (c *slotCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range families {
		ch <- f.desc
	}
}

// statusPairs are the wal_status label pairs, shared by every slot.
var statusPairs = func() map[string]*dto.LabelPair {
	out := map[string]*dto.LabelPair{}
	for _, st := range WALStatuses {
		out[st] = pair("status", st)
	}
	return out
}()

func (c *slotCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, r := range c.slots {
		for _, f := range families {
			if r.present&(1<<f.index) != 0 {
				ch <- &slotMetric{f: f, labels: r.labels, value: r.values[f.index]}
			}
		}
		if r.walStatus != "" {
			for _, st := range WALStatuses {
				// "status" sorts after every slot label.
				labels := append(append(make([]*dto.LabelPair, 0, 5), r.labels...), statusPairs[st])
				ch <- &slotMetric{f: slotWALStatus, labels: labels, value: b2f(st == r.walStatus)}
			}
		}
		if r.reason != "" {
			// "reason" sorts between "namespace" and "server".
			labels := append(append(append(make([]*dto.LabelPair, 0, 5), r.labels[:2]...), pair("reason", r.reason)), r.labels[2:]...)
			ch <- &slotMetric{f: slotInvalid, labels: labels, value: 1}
		}
	}
}

// slotMetric is one series at scrape time.
type slotMetric struct {
	f      *family
	labels []*dto.LabelPair
	value  float64
}

func (m *slotMetric) Desc() *prometheus.Desc { return m.f.desc }

// Write fills out as a GaugeVec's or a constant counter's child would. The
// label pairs are shared, which Prometheus allows: they are immutable.
func (m *slotMetric) Write(out *dto.Metric) error {
	v := m.value
	out.Label = m.labels
	if m.f.kind == counterKind {
		out.Counter = &dto.Counter{Value: &v}
	} else {
		out.Gauge = &dto.Gauge{Value: &v}
	}
	return nil
}

func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func pair(name, value string) *dto.LabelPair {
	return &dto.LabelPair{Name: &name, Value: &value}
}
