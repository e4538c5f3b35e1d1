package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// The patroni scenario: a real Patroni cluster (Debian's package, Raft DCS,
// two PostgreSQL 15 members and a witness, ttl 30 and loop_wait 10 as
// Patroni ships them) whose PostgresServer has ignoreSlots: Manage, with
// logical and physical slots declared, and a permanent physical slot of
// Patroni's own. Each switchover measures, from the moment the new leader
// first accepts a write, when every declared slot is Ready there and when
// Patroni has put its own permanent slot back there.

const (
	patroniName      = "patroni"
	patroniHeading   = "## Beside Patroni: slots back after a switchover"
	patroniSlotsEach = 5 // logical and physical
	patroniRuns      = 5
	patroniPermanent = "patroni_permanent"
)

type patroniRun struct {
	From, To   string
	Slotkeeper time.Duration // new leader writable -> every declared slot Ready on it
	Patroni    time.Duration // new leader writable -> Patroni's permanent slot on it
	// StaleGone: new leader writable -> none of the declared slots left on
	// the former leader. Patroni leaves them alone there (ignore_slots), so
	// slotkeeper drops them once that member runs as a standby.
	StaleGone time.Duration
	Err       string
}

func (h *harness) patroniBench(ctx context.Context, out string) error {
	started := time.Now()
	pc, err := pgtest.StartPatroni(ctx, pgtest.PatroniOptions{Scope: "bench",
		DynamicConfig: map[string]any{"slots": map[string]any{patroniPermanent: map[string]any{"type": "physical"}}}})
	if err != nil {
		return fmt.Errorf("patroni: %w", err)
	}
	defer pc.Stop()
	ns, err := h.patroniNamespace(ctx, pc)
	if err != nil {
		return err
	}
	var runs []patroniRun
	for i := range patroniRuns {
		fmt.Printf("patroni: switchover %d\n", i+1)
		r := h.patroniSwitchover(ctx, pc, ns)
		runs = append(runs, r)
		if r.Err != "" {
			fmt.Println("patroni:", r.Err)
			break
		}
	}
	recreations, vanished, err := h.slotCounts(ctx, ns)
	if err != nil {
		return err
	}
	section := patroniSection(started, runs, recreations, vanished)
	fmt.Print(section)
	return spliceSection(out, patroniHeading, section)
}

// patroniNamespace declares the slots on a server with spec.patroni Manage
// and waits until all are Ready.
func (h *harness) patroniNamespace(ctx context.Context, pc *pgtest.PatroniCluster) (string, error) {
	leader, err := pc.WaitLeader(ctx)
	if err != nil {
		return "", err
	}
	if err := pc.Exec(ctx, leader, "CREATE ROLE "+role+" LOGIN REPLICATION PASSWORD '"+password+"' IN ROLE pg_monitor"); err != nil {
		return "", err
	}
	if err := pc.Settle(ctx); err != nil {
		return "", err
	}
	spec := api.PostgresServerSpec{Patroni: &api.PatroniSpec{IgnoreSlots: api.IgnoreSlotsManage}}
	for _, m := range pc.Members() {
		spec.Hosts = append(spec.Hosts, api.HostPort{Host: m.PGHost, Port: int32(m.PGPort)})
		spec.Patroni.URLs = append(spec.Patroni.URLs, m.RESTURL)
	}
	ns, err := h.namespaceFor(ctx, spec)
	if err != nil {
		return "", err
	}
	for i := range patroniSlotsEach {
		for _, rs := range []*api.ReplicationSlot{
			{Spec: api.ReplicationSlotSpec{Type: api.SlotLogical, Database: "postgres"}},
			{Spec: api.ReplicationSlotSpec{Type: api.SlotPhysical}},
		} {
			rs.ObjectMeta = metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("%s-%d", strings.ToLower(string(rs.Spec.Type)), i)}
			rs.Spec.ServerRef = api.LocalObjectReference{Name: "db"}
			if err := h.c.Create(ctx, rs); err != nil {
				return "", err
			}
		}
	}
	return ns, h.waitReady(ctx, ns, "", 2*patroniSlotsEach, 2*time.Minute)
}

// patroniSwitchover watches the candidate from before the switchover is
// asked for, so nothing that happens during it is missed.
func (h *harness) patroniSwitchover(ctx context.Context, pc *pgtest.PatroniCluster, ns string) patroniRun {
	leader, err := pc.WaitLeader(ctx)
	if err != nil {
		return patroniRun{Err: err.Error()}
	}
	to := otherMember(pc, leader)
	addr := memberAddr(pc, to)
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	slotsAt, permanentAt := make(chan time.Time, 1), make(chan time.Time, 1)
	go pollUntil(wctx, slotsAt, func() bool {
		n, err := h.readyOn(wctx, ns, addr)
		return err == nil && n == 2*patroniSlotsEach
	})
	go pollUntil(wctx, permanentAt, func() bool {
		var n int
		err := pc.QueryRow(wctx, to, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1 AND NOT pg_is_in_recovery()",
			[]any{patroniPermanent}, &n)
		return err == nil && n == 1
	})
	sw, err := pc.Switchover(ctx, to)
	if err != nil {
		return patroniRun{From: leader, To: to, Err: err.Error()}
	}
	r := patroniRun{From: sw.From, To: sw.To}
	for _, w := range []struct {
		ch  chan time.Time
		d   *time.Duration
		wat string
	}{{slotsAt, &r.Slotkeeper, "declared slots"}, {permanentAt, &r.Patroni, "Patroni's permanent slot"}} {
		select {
		case t := <-w.ch:
			*w.d = t.Sub(sw.WritableAt)
		case <-wctx.Done():
			r.Err = fmt.Sprintf("%s not back on %s within 2 minutes", w.wat, to)
		}
	}
	if r.Err == "" {
		r.StaleGone, r.Err = staleGone(wctx, pc, sw)
	}
	// The next switchover needs a streaming replica and no pending re-read.
	if err := pc.Settle(ctx); err != nil && r.Err == "" {
		r.Err = err.Error()
	}
	return r
}

// staleGone waits until the former leader holds none of the declared slots.
func staleGone(ctx context.Context, pc *pgtest.PatroniCluster, sw pgtest.SwitchoverResult) (time.Duration, string) {
	at := make(chan time.Time, 1)
	go pollUntil(ctx, at, func() bool {
		var n int
		err := pc.QueryRow(ctx, sw.From, "SELECT count(*) FROM pg_replication_slots WHERE slot_name ~ '^(logical|physical)_[0-9]+$'", nil, &n)
		return err == nil && n == 0
	})
	select {
	case t := <-at:
		return t.Sub(sw.WritableAt), ""
	case <-ctx.Done():
		return 0, "the former leader " + sw.From + " still holds declared slots after 2 minutes"
	}
}

// pollUntil sends the time at which cond first held (polled every 10 ms).
func pollUntil(ctx context.Context, at chan<- time.Time, cond func() bool) {
	for ctx.Err() == nil {
		if cond() {
			at <- time.Now()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func otherMember(pc *pgtest.PatroniCluster, name string) string {
	for _, m := range pc.Members() {
		if m.Name != name {
			return m.Name
		}
	}
	return ""
}

func memberAddr(pc *pgtest.PatroniCluster, name string) string {
	m, _ := pc.Member(name)
	return m.PGAddr()
}

// slotCounts adds up recreations and vanishings over the namespace's slots.
func (h *harness) slotCounts(ctx context.Context, ns string) (recreations, vanished int32, err error) {
	var list api.ReplicationSlotList
	if err := h.c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return 0, 0, err
	}
	for i := range list.Items {
		recreations += list.Items[i].Status.Recreations
		vanished += list.Items[i].Status.Vanished
	}
	return recreations, vanished, nil
}

func patroniSection(started time.Time, runs []patroniRun, recreations, vanished int32) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", patroniHeading)
	fmt.Fprintf(&b, "Measured %s on %s (`go run ./test/bench -only %s`).\n\n", started.UTC().Format("2006-01-02"), machine(), patroniName)
	fmt.Fprintf(&b, "Debian's Patroni with its Raft DCS, two PostgreSQL 15 members and a witness, ttl 30 s, loop_wait 10 s; "+
		"the PostgresServer has `spec.patroni.ignoreSlots: Manage` and the default pollInterval (5 s); %d logical and %d physical "+
		"slots are declared, and Patroni keeps one permanent physical slot of its own. %d switchovers through `POST /switchover`; "+
		"times are from the first write the new leader accepted (polled every 50 ms) to every declared slot Ready on it "+
		"(slotkeeper), and to Patroni's permanent slot present on it (Patroni), both polled every 10 ms.\n\n",
		patroniSlotsEach, patroniSlotsEach, len(runs))
	b.WriteString("| run | from → to | slotkeeper: all declared slots Ready | Patroni: its permanent slot back | former leader's stale slots dropped |\n|---|---|---|---|---|\n")
	var sk, pt, sg []time.Duration
	for i, r := range runs {
		if r.Err != "" {
			fmt.Fprintf(&b, "| %d | %s → %s | %s | | |\n", i+1, r.From, r.To, r.Err)
			continue
		}
		sk, pt, sg = append(sk, r.Slotkeeper), append(pt, r.Patroni), append(sg, r.StaleGone)
		fmt.Fprintf(&b, "| %d | %s → %s | %s | %s | %s |\n", i+1, r.From, r.To, signedMS(r.Slotkeeper), signedMS(r.Patroni), signedMS(r.StaleGone))
	}
	fmt.Fprintf(&b, "| median | | %s | %s | %s |\n\n", signedMS(medianDuration(sk)), signedMS(medianDuration(pt)), signedMS(medianDuration(sg)))
	fmt.Fprintf(&b, "Over the %d switchovers the %d slots were recreated %d times in all (PostgreSQL 15 has no failover slots, so "+
		"every slot is recreated at every switchover: %d expected) and vanished behind slotkeeper's back %d times (Patroni dropped none). "+
		"With the slots in ignore_slots Patroni no longer drops the former leader's copies when it demotes it; slotkeeper drops them "+
		"once that member runs as a standby (last column), and each switchover here waits for that first.\n\n",
		len(sk), 2*patroniSlotsEach, recreations, len(sk)*2*patroniSlotsEach, vanished)
	return b.String()
}

// signedMS shows a time that can fall before the reference point.
func signedMS(d time.Duration) string {
	if d < 0 {
		return "-" + ms(-d) + " (before)"
	}
	return ms(d)
}

func medianDuration(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
