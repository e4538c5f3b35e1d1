package status

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// MaxUnmanagedListed caps status.unmanagedSlots so a server with thousands
// of foreign slots cannot blow up the object.
const MaxUnmanagedListed = 20

// DefaultUnmanagedBudget is the WAL inactive unmanaged slots may retain
// together when spec.maxUnmanagedRetainedWAL is not set: large enough not
// to fire on a briefly disconnected standby, small enough to page before a
// typical volume fills.
const DefaultUnmanagedBudget = 10 << 30

// viewSlots counts the primary's slots and lists the unmanaged ones,
// largest retention first. Nothing here drops or adopts them.
func viewSlots(snap *observation.Snapshot, p *observation.Member, managed map[string]bool) (*api.SlotCounts, []api.UnmanagedSlot) {
	counts := &api.SlotCounts{}
	var list []api.UnmanagedSlot
	for name, sl := range p.Slots {
		if managed[name] {
			counts.Managed++
			continue
		}
		countUnmanaged(counts, sl)
		list = append(list, viewUnmanaged(snap, sl))
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := deref(list[i].RetainedWALBytes), deref(list[j].RetainedWALBytes)
		if a != b {
			return a > b
		}
		return list[i].Name < list[j].Name
	})
	if len(list) > MaxUnmanagedListed {
		list = list[:MaxUnmanagedListed]
	}
	counts.UnmanagedRetainedWALBytes = observation.QuantizeBytes(counts.UnmanagedRetainedWALBytes)
	counts.InactiveUnmanagedRetainedWALBytes = observation.InactiveUnmanagedBytes(p, managed)
	return counts, list
}

func countUnmanaged(c *api.SlotCounts, sl postgres.Slot) {
	c.Unmanaged++
	c.UnmanagedRetainedWALBytes += deref(sl.RetainedBytes)
	if !sl.Active {
		c.InactiveUnmanaged++
	}
}

func viewUnmanaged(snap *observation.Snapshot, sl postgres.Slot) api.UnmanagedSlot {
	u := api.UnmanagedSlot{Name: sl.Name, Type: api.SlotPhysical, Database: sl.Database,
		Plugin: sl.Plugin, Active: sl.Active, LikelyOwner: likelyOwner(snap, sl)}
	if sl.Type == "logical" {
		u.Type = api.SlotLogical
	}
	if sl.RetainedBytes != nil {
		q := observation.QuantizeBytes(*sl.RetainedBytes)
		u.RetainedWALBytes = &q
	}
	if sl.InactiveSince != nil && !sl.Active {
		t := metav1.NewTime(sl.InactiveSince.Truncate(1e9))
		u.InactiveSince = &t
	}
	return u
}

// likelyOwner combines what the name and plugin suggest with who holds the
// slot now (the walsender's application_name) or which member streams
// through it (its primary_slot_name): a hint for a DBA deciding whether the
// slot is still wanted.
func likelyOwner(snap *observation.Snapshot, sl postgres.Slot) string {
	var seen, names []string
	if c := sl.Consumer; c != nil && c.ApplicationName != "" {
		seen = append(seen, fmt.Sprintf("held by %s (pid %d)", c.ApplicationName, c.PID))
		names = append(names, c.ApplicationName)
	}
	if m := StreamingMember(snap, sl.Name); m != nil {
		seen = append(seen, "primary_slot_name of standby "+m.Addr())
		if app := postgres.ConnInfoParam(m.Identity.Settings.PrimaryConnInfo, "application_name"); app != "" {
			names = append(names, app)
		}
	}
	hint := PostgresOwnSlot(sl.Name)
	if hint == "" && sl.Type == "physical" {
		hint = haMemberSlot(sl.Name, names)
	}
	if hint == "" {
		// The generic physical guess only when nothing better is known.
		hint = OwnerHint(sl.Name, sl.Plugin, sl.Type == "physical" && len(seen) == 0)
	}
	if hint != "" {
		seen = append([]string{hint}, seen...)
	}
	return strings.Join(seen, "; ")
}

// StreamingMember is the standby whose primary_slot_name is name, if any.
func StreamingMember(snap *observation.Snapshot, name string) *observation.Member {
	for i := range snap.Members {
		m := &snap.Members[i]
		if m.Identity != nil && m.Identity.InRecovery && m.Identity.Settings.PrimarySlotName == name {
			return m
		}
	}
	return nil
}

// haMemberSlot recognises the physical slot an HA manager keeps for one of
// its members, from the member's name as its standby announces it
// (application_name, which both Patroni and CloudNativePG set to the
// member's name). CloudNativePG names the slot _cnpg_ plus the instance
// name; Patroni names it after the member, lower case, with '-' and '.' as
// '_'. A slot named exactly like the application_name proves nothing (a
// standby set up by hand is often configured so), so Patroni is only named
// when its renaming shows.
func haMemberSlot(slot string, members []string) string {
	for _, m := range members {
		switch {
		case slot == cnpgHASlotName(m):
			return "CloudNativePG HA slot of instance " + m
		case slot != m && slot == patroniSlotName(m):
			return "Patroni member slot of " + m
		}
	}
	return ""
}

var cnpgInvalidSlotChars = regexp.MustCompile(`[^a-z0-9_]+`)

// cnpgHASlotName is CloudNativePG's HA slot name for an instance with the
// default prefix (spec.replicationSlots.highAvailability.slotPrefix).
func cnpgHASlotName(instance string) string {
	return cnpgInvalidSlotChars.ReplaceAllString(strings.ToLower("_cnpg_"+instance), "_")
}

// patroniSlotName is the slot Patroni keeps for a member: lower case, '-'
// and '.' as '_', any other character outside [a-z0-9_] as u plus its code
// point in four decimal digits, at most 63 bytes.
func patroniSlotName(member string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(member) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		case r == '-', r == '.':
			b.WriteByte('_')
		default:
			fmt.Fprintf(&b, "u%04d", r)
		}
	}
	s := b.String()
	if len(s) > 63 {
		s = s[:63]
	}
	return s
}

// UnmanagedRetention is the UnmanagedWALRetentionHealthy condition, or nil
// while the primary's slots are unknown. top names the largest holders.
func UnmanagedRetention(gen int64, c *api.SlotCounts, top []api.UnmanagedSlot, budget int64) *metav1.Condition {
	if c == nil {
		return nil
	}
	held := c.InactiveUnmanagedRetainedWALBytes
	if held <= budget {
		return &metav1.Condition{Status: metav1.ConditionTrue, Reason: api.ReasonWithinBudget, ObservedGeneration: gen,
			Message: fmt.Sprintf("%d inactive unmanaged slot(s) retain %s of WAL, budget %s",
				c.InactiveUnmanaged, FormatBytes(held), FormatBytes(budget))}
	}
	return &metav1.Condition{Status: metav1.ConditionFalse, Reason: api.ReasonOverBudget, ObservedGeneration: gen,
		Message: fmt.Sprintf("%d inactive unmanaged slot(s) retain %s of WAL, over the budget of %s (spec.maxUnmanagedRetainedWAL): %s. "+
			"slotkeeper never drops them: check with their owner, then SELECT pg_drop_replication_slot('<name>') or manage one with a ReplicationSlot",
			c.InactiveUnmanaged, FormatBytes(held), FormatBytes(budget), inactiveHolders(top))}
}

func inactiveHolders(top []api.UnmanagedSlot) string {
	var out []string
	for _, u := range top {
		if u.Active || len(out) == 3 {
			continue
		}
		s := fmt.Sprintf("%s (%s", u.Name, FormatBytes(deref(u.RetainedWALBytes)))
		if u.LikelyOwner != "" {
			s += ", " + u.LikelyOwner
		}
		out = append(out, s+")")
	}
	return "largest " + strings.Join(out, ", ")
}
