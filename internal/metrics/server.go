package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	serverUp          = gauge("slotkeeper_server_up", "1 when the PostgresServer has exactly one reachable primary.", serverLabels...)
	memberUp          = gauge("slotkeeper_server_member_up", "1 when the member answered the last probe.", memberLabels...)
	memberPrimary     = gauge("slotkeeper_server_member_is_primary", "1 when the member is a primary (not in recovery).", memberLabels...)
	serverTimeline    = gauge("slotkeeper_server_timeline", "Timeline of the current primary.", serverLabels...)
	serverFailovers   = newStatusCounter("slotkeeper_server_failovers_total", "Failovers slotkeeper has seen on the server (status.failovers).", serverLabels...)
	unmanagedSlots    = gauge("slotkeeper_server_unmanaged_slots", "Slots on the primary that no ReplicationSlot manages, by state (active, inactive).", append(serverLabels, "state")...)
	unmanagedRetained = gauge("slotkeeper_server_unmanaged_retained_wal_bytes", "WAL retained by unmanaged slots on the primary, by state (active, inactive).", append(serverLabels, "state")...)
	unmanagedBudget   = gauge("slotkeeper_server_unmanaged_wal_budget_bytes", "spec.maxUnmanagedRetainedWAL: the WAL that inactive unmanaged slots may retain.", serverLabels...)
	probeDuration     = histogram("slotkeeper_server_probe_duration_seconds", "Time one probe of a member took (identity plus the slot query).", memberLabels...)
)

func histogram(name, help string, labels ...string) *prometheus.HistogramVec {
	names = append(names, name)
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help,
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}, labels)
}

// Member is one member's probe result.
type Member struct {
	Addr        string
	Up, Primary bool
}

// Server is one PostgresServer's figures.
type Server struct {
	Namespace, Name string
	Up              bool
	// Timeline is 0 while no primary was ever seen.
	Timeline  int64
	Failovers int32
	Members   []Member
	// Unmanaged counts and retained bytes, nil while the primary's slots
	// are unknown.
	ActiveUnmanaged, InactiveUnmanaged           *int64
	ActiveUnmanagedBytes, InactiveUnmanagedBytes *int64
	UnmanagedBudgetBytes                         *int64
}

// SetServer publishes a server's figures.
func SetServer(s Server) {
	l := prometheus.Labels{"namespace": s.Namespace, "server": s.Name}
	serverUp.With(l).Set(b2f(s.Up))
	if s.Timeline > 0 {
		serverTimeline.With(l).Set(float64(s.Timeline))
	}
	serverFailovers.set(float64(s.Failovers), s.Namespace, s.Name)
	memberUp.DeletePartialMatch(l)
	memberPrimary.DeletePartialMatch(l)
	for _, m := range s.Members {
		ml := with(l, "member", m.Addr)
		memberUp.With(ml).Set(b2f(m.Up))
		memberPrimary.With(ml).Set(b2f(m.Primary))
	}
	setByState(unmanagedSlots, l, s.ActiveUnmanaged, s.InactiveUnmanaged)
	setByState(unmanagedRetained, l, s.ActiveUnmanagedBytes, s.InactiveUnmanagedBytes)
	setOptional(unmanagedBudget, l, s.UnmanagedBudgetBytes)
}

func setByState(v *prometheus.GaugeVec, l prometheus.Labels, active, inactive *int64) {
	setOptional(v, with(l, "state", "active"), active)
	setOptional(v, with(l, "state", "inactive"), inactive)
}

// ObserveProbe records how long one member's probe took.
func ObserveProbe(namespace, server, member string, d time.Duration) {
	probeDuration.With(prometheus.Labels{"namespace": namespace, "server": server, "member": member}).Observe(d.Seconds())
}

// DeleteServer forgets every series of a PostgresServer.
func DeleteServer(namespace, name string) {
	l := prometheus.Labels{"namespace": namespace, "server": name}
	for _, v := range []*prometheus.GaugeVec{serverUp, memberUp, memberPrimary, serverTimeline,
		unmanagedSlots, unmanagedRetained, unmanagedBudget} {
		v.DeletePartialMatch(l)
	}
	probeDuration.DeletePartialMatch(l)
	serverFailovers.deletePrefix(namespace, name)
}

func setOptional(v *prometheus.GaugeVec, l prometheus.Labels, p *int64) {
	if p == nil {
		v.Delete(l)
		return
	}
	v.With(l).Set(float64(*p))
}

func with(l prometheus.Labels, k, v string) prometheus.Labels {
	out := prometheus.Labels{k: v}
	for lk, lv := range l {
		out[lk] = lv
	}
	return out
}
