package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Profiling the operator (-scale-profile-dir): after each window the
// operator's memory statistics and heap profile are written to the
// directory, for `go tool pprof -top -sample_index=inuse_space`. The
// statistics are read twice: as the window left them, then after the
// forced collection that /debug/pprof/heap?gc=1 runs, which tells live
// memory from garbage not yet collected.

// setOperatorEnv sets the KEY=VALUE pairs of env (comma-separated) in this
// process's environment, which the operator process inherits, and returns
// what undoes it. This process's own runtime read GOMEMLIMIT and GOGC when
// it started and is not affected.
func setOperatorEnv(env string) (func(), error) {
	var undo []func()
	restore := func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	for kv := range strings.SplitSeq(env, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			restore()
			return nil, fmt.Errorf("-scale-operator-env: %q is not KEY=VALUE", kv)
		}
		old, had := os.LookupEnv(k)
		if err := os.Setenv(k, v); err != nil {
			restore()
			return nil, err
		}
		undo = append(undo, func() {
			if had {
				_ = os.Setenv(k, old)
			} else {
				_ = os.Unsetenv(k)
			}
		})
	}
	return restore, nil
}

// memStatNames are the go_memstats_* and process series worth keeping.
var memStatNames = []string{
	"go_memstats_heap_inuse_bytes", "go_memstats_heap_idle_bytes", "go_memstats_heap_released_bytes",
	"go_memstats_heap_alloc_bytes", "go_memstats_heap_objects", "go_memstats_stack_inuse_bytes",
	"go_memstats_sys_bytes", "go_memstats_next_gc_bytes", "go_memstats_mspan_inuse_bytes",
	"go_memstats_buck_hash_sys_bytes", "go_memstats_gc_sys_bytes", "go_memstats_other_sys_bytes",
	"go_goroutines", "process_resident_memory_bytes",
}

// saveProfile writes <phase>-memstats.txt and <phase>-heap.pb.gz.
func (r *scaleRig) saveProfile(ctx context.Context, phase string) error {
	if r.opts.profileDir == "" || r.pprof == "" {
		return nil
	}
	if err := os.MkdirAll(r.opts.profileDir, 0o755); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s window end, VmRSS %d KiB\n", phase, procStatusKiB(r.op.Pid(), "VmRSS"))
	before, err := memStats(ctx, r.metrics)
	if err != nil {
		return err
	}
	writeStats(&b, "as the window left it", before)
	heap, err := httpGet(ctx, "http://"+r.pprof+"/debug/pprof/heap?gc=1")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(r.opts.profileDir, phase+"-heap.pb.gz"), heap, 0o644); err != nil {
		return err
	}
	after, err := memStats(ctx, r.metrics)
	if err != nil {
		return err
	}
	writeStats(&b, "after the forced collection", after)
	fmt.Fprintf(&b, "VmRSS after: %d KiB\n", procStatusKiB(r.op.Pid(), "VmRSS"))
	path := filepath.Join(r.opts.profileDir, phase+"-memstats.txt")
	fmt.Printf("scale: wrote %s and %s-heap.pb.gz\n", path, phase)
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func writeStats(b *strings.Builder, title string, st map[string]float64) {
	fmt.Fprintf(b, "## %s\n", title)
	keys := make([]string, 0, len(st))
	for k := range st {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := st[k]
		if strings.HasSuffix(k, "_bytes") {
			fmt.Fprintf(b, "%-40s %10.1f MiB\n", k, v/(1<<20))
		} else {
			fmt.Fprintf(b, "%-40s %10.0f\n", k, v)
		}
	}
}

// memStats scrapes the series of memStatNames from the operator's /metrics.
func memStats(ctx context.Context, addr string) (map[string]float64, error) {
	body, err := httpGet(ctx, "http://"+addr+"/metrics")
	if err != nil {
		return nil, err
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, n := range memStatNames {
		f := families[n]
		if f == nil || len(f.GetMetric()) == 0 {
			continue
		}
		m := f.GetMetric()[0]
		switch {
		case m.GetGauge() != nil:
			out[n] = m.GetGauge().GetValue()
		case m.GetCounter() != nil:
			out[n] = m.GetCounter().GetValue()
		}
	}
	return out, nil
}

func httpGet(ctx context.Context, url string) ([]byte, error) {
	return httpGetWithin(ctx, url, 30*time.Second)
}

// httpGetWithin is httpGet with its own timeout, for a profile that runs
// longer than httpGet allows.
func httpGetWithin(ctx context.Context, url string, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return io.ReadAll(resp.Body)
}
