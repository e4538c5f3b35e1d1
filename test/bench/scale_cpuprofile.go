package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// With -scale-profile-dir, each batch is also CPU-profiled: the operator
// (its /debug/pprof) and kube-apiserver (its own /debug/pprof, on by
// default, read as the admin) for batchProfileSeconds from the first
// create, which covers the batch and some of its settling. The profiles
// answer where each process spends a batch's CPU, for `go tool pprof -top`.
const batchProfileSeconds = 25

// profileBatch starts both CPU profiles and returns a wait for them; it
// does nothing when profiling is off.
func (r *scaleRig) profileBatch(ctx context.Context, kind string) (wait func()) {
	if r.opts.profileDir == "" || r.pprof == "" {
		return func() {}
	}
	var wg sync.WaitGroup
	secs := strconv.Itoa(batchProfileSeconds)
	wg.Go(func() {
		body, err := httpGet(ctx, "http://"+r.pprof+"/debug/pprof/profile?seconds="+secs)
		r.saveBatchProfile(kind+"-operator-cpu.pb.gz", body, err)
	})
	wg.Go(func() {
		body, err := r.cs.RESTClient().Get().AbsPath("/debug/pprof/profile").Param("seconds", secs).DoRaw(ctx)
		r.saveBatchProfile(kind+"-apiserver-cpu.pb.gz", body, err)
	})
	return wg.Wait
}

func (r *scaleRig) saveBatchProfile(name string, body []byte, err error) {
	path := filepath.Join(r.opts.profileDir, name)
	if err == nil {
		err = os.MkdirAll(r.opts.profileDir, 0o755)
	}
	if err == nil {
		err = os.WriteFile(path, body, 0o644)
	}
	if err != nil {
		fmt.Printf("scale: %s: %v\n", name, err)
		return
	}
	fmt.Printf("scale: wrote %s\n", path)
}

// profileIdle CPU-profiles the operator alone over an idle window of d
// (the fleet's), into idle-operator-cpu.pb.gz, and then writes its heap
// profile, idle-operator-heap.pb.gz; a no-op without profiling.
func (r *scaleRig) profileIdle(ctx context.Context, d time.Duration) (wait func()) {
	if r.opts.profileDir == "" || r.pprof == "" {
		return func() {}
	}
	var wg sync.WaitGroup
	secs := strconv.Itoa(int(d.Seconds()))
	wg.Go(func() {
		body, err := httpGetWithin(ctx, "http://"+r.pprof+"/debug/pprof/profile?seconds="+secs, d+30*time.Second)
		r.saveBatchProfile("idle-operator-cpu.pb.gz", body, err)
		// Then what the idle fleet holds: live objects only, after a
		// collection, for `go tool pprof -sample_index=inuse_space`.
		body, err = httpGet(ctx, "http://"+r.pprof+"/debug/pprof/heap?gc=1")
		r.saveBatchProfile("idle-operator-heap.pb.gz", body, err)
	})
	return wg.Wait
}
