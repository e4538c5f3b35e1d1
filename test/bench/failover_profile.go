package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"
)

// failoverOptions are the failover section's flags.
type failoverOptions struct {
	// profileDir, when set, makes each run of the large scenario write a
	// CPU profile of this process over its recovery and sample what the
	// slot workers wait on. Off by default: both cost the controllers some
	// CPU, so the figures of the section are taken without them.
	profileDir string
}

// failoverProfile profiles one recovery; a nil one does nothing.
type failoverProfile struct {
	name string // path prefix of its files
	cpu  *os.File
	samp *stackSampler
}

func (fo failoverOptions) profileRun(sc failoverScenario, run int) *failoverProfile {
	if fo.profileDir == "" || sc.slots != failoverLarge {
		return nil
	}
	return &failoverProfile{name: filepath.Join(fo.profileDir, fmt.Sprintf("failover-%d-run%d", sc.slots, run+1))}
}

func (p *failoverProfile) start() {
	if p == nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(p.name), 0o755); err != nil {
		fmt.Println("failover: profile:", err)
	} else if f, err := os.Create(p.name + ".cpu.pprof"); err != nil {
		fmt.Println("failover: profile:", err)
	} else if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Println("failover: profile:", err)
		_ = f.Close()
	} else {
		p.cpu = f
	}
	p.samp = startStackSampler(100 * time.Millisecond)
}

// stop ends the profile and writes the samples' summary next to it.
func (p *failoverProfile) stop() {
	if p == nil {
		return
	}
	if p.cpu != nil {
		pprof.StopCPUProfile()
		_ = p.cpu.Close()
	}
	summary := p.samp.finish()
	fmt.Print(summary)
	if err := os.WriteFile(p.name+".workers.txt", []byte(summary), 0o644); err != nil {
		fmt.Println("failover: profile:", err)
	}
}
