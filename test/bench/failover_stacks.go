package main

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"
)

// stackSampler takes every goroutine's stack at a fixed interval and counts
// what the slot reconciles, and the background logical creations, were
// doing: a wall-clock picture that a CPU profile cannot give, since a
// reconcile spends most of its time waiting on PostgreSQL or kube-apiserver.
type stackSampler struct {
	stop, done chan struct{}
	samples    int
	counts     map[string]int // "worker: state" or "creation: state" -> goroutine-samples
}

func startStackSampler(every time.Duration) *stackSampler {
	s := &stackSampler{stop: make(chan struct{}), done: make(chan struct{}), counts: map[string]int{}}
	go func() {
		defer close(s.done)
		buf := make([]byte, 8<<20)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.sample(string(buf[:runtime.Stack(buf, true)]))
			}
		}
	}()
	return s
}

func (s *stackSampler) sample(all string) {
	s.samples++
	for _, g := range strings.Split(all, "\n\n") {
		role := ""
		switch {
		case strings.Contains(g, "controllers/slot.(*Reconciler).Reconcile"):
			role = "worker"
		case strings.Contains(g, "internal/creator.(*job).run"):
			role = "creation"
		default:
			continue
		}
		s.counts[role+": "+stackState(g)]++
	}
}

// stackWaits maps a function name fragment to what a goroutine whose
// innermost matching frame it is waits for; the first match walking out
// from the innermost frame decides.
var stackWaits = []struct{ frag, state string }{
	{"client-go/util/flowcontrol", "client-go rate limiter"},
	{"golang.org/x/time/rate", "client-go rate limiter"},
	{"jackc/puddle", "PostgreSQL pool: waiting for a connection"},
	{"jackc/pgx", "PostgreSQL: query under way"},
	{"net/http", "kube-apiserver: request under way"},
	{"internal/creator.(*Creator).Await", "awaiting the background creation"},
	{"sync.(*Mutex)", "mutex"},
	{"sync.(*RWMutex)", "mutex"},
	{"time.Sleep", "sleep"},
}

// stackState classifies one goroutine's stack (runtime.Stack's text).
func stackState(g string) string {
	lines := strings.Split(g, "\n")
	if strings.Contains(lines[0], "[running]") || strings.Contains(lines[0], "[runnable]") {
		return "on CPU or runnable"
	}
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "\t") {
			continue // file:line
		}
		for _, w := range stackWaits {
			if strings.Contains(l, w.frag) {
				return w.state
			}
		}
	}
	return "other: " + firstOwnFrame(lines)
}

// firstOwnFrame names the goroutine's wait state and innermost frame
// outside the runtime, for the states stackWaits does not know.
func firstOwnFrame(lines []string) string {
	state := lines[0]
	if i := strings.Index(state, "["); i >= 0 {
		state = strings.TrimSuffix(state[i:], ":")
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "\t") && !strings.HasPrefix(l, "runtime.") && !strings.HasPrefix(l, "internal/") {
			if i := strings.LastIndex(l, "("); i > 0 {
				l = l[:i]
			}
			return state + " " + l
		}
	}
	return state
}

// finish stops sampling and returns a summary: per state, the mean number
// of goroutines in it.
func (s *stackSampler) finish() string {
	close(s.stop)
	<-s.done
	type row struct {
		k string
		n int
	}
	var rows []row
	for k, n := range s.counts {
		rows = append(rows, row{k, n})
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.k, b.k)) })
	var b strings.Builder
	fmt.Fprintf(&b, "failover: %d stack samples; mean goroutines per state:\n", s.samples)
	for _, r := range rows {
		fmt.Fprintf(&b, "  %5.2f  %s\n", float64(r.n)/float64(max(s.samples, 1)), r.k)
	}
	return b.String()
}
