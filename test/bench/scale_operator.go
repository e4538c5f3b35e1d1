package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// RSS alone cannot tell live memory from what Go's collector has not yet
// returned to the OS, so the operator runs with its metrics endpoint on
// (as it does in a cluster by default) and the report adds its Go heap.

// freeAddr asks the kernel for a local port nobody listens on.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// scrapeOperator reads the operator's metrics endpoint; nil when that
// fails.
func scrapeOperator(ctx context.Context, addr string) map[string]*dto.MetricFamily {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil
	}
	return families
}

// goHeap is the operator's go_memstats_heap_inuse_bytes, in KiB (0 if the
// scrape failed).
func goHeap(ctx context.Context, addr string) int64 {
	ms := scrapeOperator(ctx, addr)["go_memstats_heap_inuse_bytes"].GetMetric()
	if len(ms) == 0 {
		return 0
	}
	return int64(ms[0].GetGauge().GetValue()) >> 10
}

// procCPU is the CPU time (user + system) the process has used so far.
func procCPU(pid int) time.Duration {
	_, used, _ := procTimes(fmt.Sprintf("/proc/%d", pid))
	return used
}
