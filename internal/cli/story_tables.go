package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

func (s Story) conditions(w io.Writer) error {
	fmt.Fprintln(w, "Conditions:")
	t := &Table{Headers: []string{"  TYPE", "STATUS", "REASON", "SINCE", "MESSAGE"}}
	for _, c := range s.Slot.Status.Conditions {
		t.Add(LevelOK, "  "+c.Type, string(c.Status), c.Reason, conditionAge(s.Now, c), c.Message)
	}
	if t.Len() == 0 {
		fmt.Fprintln(w, "  none yet")
		return nil
	}
	return t.Write(w, false)
}

func (s Story) blockers(w io.Writer) error {
	bs := s.Slot.Status.Blockers
	if len(bs) == 0 {
		fmt.Fprintln(w, "Blockers:   none (nothing holds up the slot's creation)")
		return nil
	}
	fmt.Fprintln(w, "Blockers (transactions the slot's creation waits for):")
	t := &Table{Headers: []string{"  PID", "XID", "APPLICATION", "STATE", "FOR", "QUERY"}}
	for _, b := range bs {
		t.Add(LevelOK, fmt.Sprintf("  %d", b.PID), orNone(b.XID), orNone(b.ApplicationName), orNone(b.State),
			age(s.Now, b.XactStart), orNone(truncate(b.Query, 60)))
	}
	return t.Write(w, false)
}

func (s Story) standbys(w io.Writer) error {
	rs := s.Slot
	if !rs.Spec.Failover {
		fmt.Fprintln(w, "Standbys:   failover is off: after a failover slotkeeper recreates the slot on the new primary"+
			gapHint(rs.Spec.Type))
		return nil
	}
	fmt.Fprintln(w, "Standbys (failover: true; "+failoverCondition(rs)+"):")
	if len(rs.Status.Standbys) == 0 {
		fmt.Fprintln(w, "  no standby reported")
		return nil
	}
	t := &Table{Headers: []string{"  STANDBY", "PRESENT", "SYNCED", "PERSISTENT", "READY", "LAG", "MESSAGE"}}
	for _, sb := range rs.Status.Standbys {
		t.Add(LevelOK, fmt.Sprintf("  %s:%d", sb.Host, sb.Port), yesNo(sb.Present), yesNo(sb.Synced),
			yesNo(sb.Persistent), yesNo(sb.Ready), bytesOr(sb.LagBytes, none), orNone(sb.Message))
	}
	return t.Write(w, false)
}

func gapHint(t api.SlotType) string {
	if t == api.SlotLogical {
		return ", and its consumer loses the changes in between (a data gap)"
	}
	return ""
}

func failoverCondition(rs *api.ReplicationSlot) string {
	for _, c := range rs.Status.Conditions {
		if c.Type == api.ConditionFailoverReady {
			return fmt.Sprintf("FailoverReady=%s %s", c.Status, c.Reason)
		}
	}
	return "FailoverReady not reported yet"
}

func (s Story) copies(w io.Writer) error {
	cs := s.Slot.Status.Copies
	if len(cs) == 0 {
		fmt.Fprintln(w, "Copies:     none kept by slotkeeper on other members")
		return nil
	}
	fmt.Fprintln(w, "Copies (kept by slotkeeper on other members):")
	t := &Table{Headers: []string{"  MEMBER", "START LSN", "CONSISTENT", "NOTE"}}
	for _, c := range cs {
		t.Add(LevelOK, "  "+copyMember(c), orNone(c.StartLSN), yesNo(c.Consistent), copyNote(c))
	}
	return t.Write(w, false)
}

// copyMember is the record's address, with the Pod it belongs to when
// spec.hostsFrom named one.
func copyMember(c api.SlotCopy) string {
	m := fmt.Sprintf("%s:%d", c.Host, c.Port)
	if c.Pod != "" {
		m += " (Pod " + c.Pod + ")"
	}
	return m
}

func copyNote(c api.SlotCopy) string {
	switch {
	case c.UnlistedSince != nil:
		return "member not listed since " + c.UnlistedSince.UTC().Format(time.RFC3339) + "; forgotten an hour after that"
	case c.Former:
		return "left on a former primary; dropped once it runs as a standby"
	case c.Pending:
		return "being created"
	}
	return none
}

// gap tells the open window, or the last acknowledged one as history.
func (s Story) gap(w io.Writer) error {
	st := &s.Slot.Status
	_, open := conditionIs(st.Conditions, api.ConditionDataGap, metav1.ConditionTrue)
	switch {
	case st.LastDataGap == nil:
		fmt.Fprintln(w, "Data gap:   none ever recorded")
		return nil
	case !open:
		fmt.Fprintf(w, "Data gap:   none open; the last one (at %s, %s) was acknowledged; %s lost in all\n",
			ackValue(st.LastDataGap.At), st.LastDataGap.Reason, formatBytes(st.DataGapBytesTotal))
		return nil
	}
	fmt.Fprintln(w, "Data gap (unacknowledged: the consumer never received the changes in this window):")
	for _, l := range DescribeWindow(*st.LastDataGap, s.Now) {
		fmt.Fprintln(w, "  "+l)
	}
	if len(st.DataGaps) < 2 {
		return nil
	}
	return indent(w, gapTable(st.DataGaps))
}

// indent writes a table two spaces in, under its section title.
func indent(w io.Writer, t *Table) error {
	var b strings.Builder
	if err := t.Write(&b, false); err != nil {
		return err
	}
	for _, l := range strings.SplitAfter(b.String(), "\n") {
		if l != "" {
			fmt.Fprint(w, "  "+l)
		}
	}
	return nil
}

func (s Story) events(w io.Writer) error {
	evs := recentEvents(s.Events, maxEvents)
	if len(evs) == 0 {
		fmt.Fprintln(w, "Events:     none (Events expire after an hour by default)")
		return nil
	}
	fmt.Fprintf(w, "Events (last %d, oldest first):\n", len(evs))
	t := &Table{Headers: []string{"  LAST SEEN", "TYPE", "REASON", "COUNT", "MESSAGE"}}
	for i := range evs {
		e := &evs[i]
		seen := metav1.NewTime(eventTime(e))
		t.Add(LevelOK, "  "+age(s.Now, &seen), e.Type, e.Reason, fmt.Sprint(eventCount(e)), e.Message)
	}
	return t.Write(w, false)
}

// truncate shortens free text such as a blocker's query.
func truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
