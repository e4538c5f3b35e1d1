package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// maxEvents is how many recent Events explain shows.
const maxEvents = 10

// Story is everything explain tells about one slot; Server is nil when the
// PostgresServer could not be read.
type Story struct {
	Slot   *api.ReplicationSlot
	Server *api.PostgresServer
	Events []corev1.Event
	Now    time.Time
}

// Write tells the story: the facts in sentences first, then the tables
// (conditions, blockers, standbys, copies, gaps, events), then what to do.
func (s Story) Write(w io.Writer) error {
	for _, l := range s.facts() {
		fmt.Fprintln(w, l)
	}
	sections := []func(io.Writer) error{s.conditions, s.blockers, s.standbys, s.copies, s.gap, s.events}
	for _, section := range sections {
		fmt.Fprintln(w)
		if err := section(w); err != nil {
			return err
		}
	}
	fmt.Fprintln(w, "\nNext:")
	for i, step := range NextSteps(s.Slot, s.Server) {
		fmt.Fprintf(w, "  %d. %s\n", i+1, step)
	}
	return nil
}

// facts are the key: value lines at the top, as in kubectl describe.
func (s Story) facts() []string {
	rs := s.Slot
	risk := SlotRisk(rs)
	return []string{
		"Name:       " + rs.Name,
		"Namespace:  " + rs.Namespace,
		"What:       " + s.what(),
		"Where:      " + s.where(),
		"Ownership:  " + ownership(rs),
		"State:      " + state(rs),
		"Consumer:   " + s.consumerFact(),
		"WAL:        " + walFact(rs),
		"Risk:       " + risk.Level.String() + ": " + risk.Why(),
	}
}

func (s Story) what() string {
	rs := s.Slot
	name := rs.Spec.SlotName
	if rs.Status.SlotName != "" {
		name = rs.Status.SlotName
	}
	kind := "a physical replication slot"
	if rs.Spec.Type == api.SlotLogical {
		kind = fmt.Sprintf("a logical replication slot in database %s (plugin %s)", rs.Spec.Database, orDefault(rs.Spec.Plugin, "pgoutput"))
	}
	return fmt.Sprintf("%s named %q, declared on PostgresServer %s", kind, orNone(name), rs.Spec.ServerRef.Name)
}

// where says which member holds it and how that relates to the primary.
func (s Story) where() string {
	rs := s.Slot
	role := "the primary"
	if l := rs.Spec.Location; l != nil && l.Role == api.LocationStandby {
		role = fmt.Sprintf("standby %s:%d (spec.location)", l.Host, l.Port)
	}
	out := fmt.Sprintf("on %s, member %s", role, orDefault(rs.Status.Host, "not known yet"))
	if ps := s.Server; ps != nil {
		out += fmt.Sprintf("; the server's primary is %s on timeline %d", orNone(ps.Status.Primary), ps.Status.Timeline)
	}
	if c := rs.Status.CreatedAt; c != nil {
		out += fmt.Sprintf("; created %s (%s ago) on timeline %d", ackValue(*c), age(s.Now, c), rs.Status.CreatedOnTimeline)
	}
	if n := rs.Status.Recreations; n > 0 {
		out += ", recreated " + times(n)
	}
	return out
}

func ownership(rs *api.ReplicationSlot) string {
	if !rs.Status.Owned {
		return "slotkeeper has not created or adopted the slot (yet), so it will never drop it"
	}
	how := "slotkeeper created the slot"
	if rs.Status.Origin != api.OriginCreated {
		how = "slotkeeper adopted the slot"
	}
	return how + "; deletionPolicy " + string(rs.Spec.DeletionPolicy) + ": deleting the object " + deletionEffect(rs)
}

// deletionEffect says what deleting the object does to the slot.
func deletionEffect(rs *api.ReplicationSlot) string {
	switch {
	case rs.Spec.DeletionPolicy == api.DeletionRetain:
		return "leaves the slot"
	case rs.Spec.DeletionPolicy == api.DeletionDelete || rs.Status.Origin == api.OriginCreated:
		return "drops the slot"
	}
	return "leaves the slot (it was adopted; deletionPolicy Delete would drop it)"
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// state is the Ready condition in one line.
func state(rs *api.ReplicationSlot) string {
	for _, c := range rs.Status.Conditions {
		if c.Type == api.ConditionReady {
			return fmt.Sprintf("Ready=%s (%s): %s", c.Status, c.Reason, c.Message)
		}
	}
	return "no Ready condition yet: the operator has not reconciled this object"
}

func (s Story) consumerFact() string {
	st := &s.Slot.Status
	switch {
	case st.Active == nil:
		return "not known yet"
	case !*st.Active && st.InactiveSince != nil:
		return fmt.Sprintf("none connected, since %s (%s ago)", ackValue(*st.InactiveSince), age(s.Now, st.InactiveSince))
	case !*st.Active:
		return "none connected"
	}
	return holder(st)
}

// holder describes the connected consumer.
func holder(st *api.ReplicationSlotStatus) string {
	c := st.Consumer
	if c == nil {
		return fmt.Sprintf("pid %d", st.ActivePID)
	}
	parts := []string{fmt.Sprintf("pid %d", st.ActivePID)}
	for _, p := range [][2]string{{"application ", c.ApplicationName}, {"client ", c.ClientAddr}, {"state ", c.State}} {
		if p[1] != "" {
			parts = append(parts, p[0]+p[1])
		}
	}
	out := strings.Join(parts, ", ")
	if c.Stale {
		out += "; it looks stale (see State)"
	}
	return out
}

// walFact is the retained WAL against the budget and PostgreSQL's view.
func walFact(rs *api.ReplicationSlot) string {
	st := &rs.Status
	out := "retains " + bytesOr(st.RetainedWALBytes, "an unknown amount")
	if rs.Spec.MaxRetainedWAL != nil {
		out += " (budget " + budget(rs) + ")"
	} else {
		out += " (no budget: spec.maxRetainedWAL unset)"
	}
	out += "; wal_status " + orNone(st.WALStatus)
	if st.RestartLSN != "" {
		out += "; restart LSN " + st.RestartLSN
	}
	if st.ConfirmedFlushLSN != "" {
		out += "; confirmed flush LSN " + st.ConfirmedFlushLSN
	}
	return out
}

// conditionAge is how long a condition has held its status.
func conditionAge(now time.Time, c metav1.Condition) string {
	return age(now, &c.LastTransitionTime)
}
