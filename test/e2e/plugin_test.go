package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/test/harness"
)

const (
	// pluginNS holds the plugin story's objects, on the suite's shared pair.
	pluginNS = "e2e-plugin"
	// pluginUnmanaged is made with SQL, so no ReplicationSlot declares it.
	pluginUnmanaged = "plugin_unmanaged_e2e"
	// dataGapStatus is the jsonpath of the DataGap condition's status.
	dataGapStatus = `{.status.conditions[?(@.type=="DataGap")].status}`
)

// pluginBin is the plugin under test.
var pluginBin string

// kubectl slotkeeper against the suite's API server, as a user runs it:
// one namespace, three slots (one of which loses data), one slot made
// behind slotkeeper's back. ContinueOnFailure: a changed column must not
// hide whether ack works.
var _ = Describe("kubectl plugin", Ordered, ContinueOnFailure, func() {
	BeforeAll(func(ctx SpecContext) {
		var err error
		pluginBin, err = harness.PluginBin(ctx, paths.Root, GinkgoT().TempDir())
		Expect(err).NotTo(HaveOccurred())
		createPluginUnmanagedSlot()
		applyPluginObjects()
		holdPluginCDC()
		causeDataGap()
	})

	statusSpecs()
	pathSpecs()
	explainSpecs()
	unmanagedSpecs()
	ackSpecs()
})

// plugin runs the plugin with no input and returns the run.
func plugin(args ...string) harness.PluginRun {
	GinkgoHelper()
	return pluginIn("", args...)
}

// pluginIn runs the plugin with stdin, e.g. the answer to a prompt.
func pluginIn(stdin string, args ...string) harness.PluginRun {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	run, err := harness.RunPlugin(ctx, pluginBin, kube.Kubeconfig, stdin, args...)
	Expect(err).NotTo(HaveOccurred())
	return run
}

func createPluginUnmanagedSlot() {
	GinkgoHelper()
	Expect(pg.Primary.Exec(context.Background(), fmt.Sprintf(
		"SELECT pg_create_logical_replication_slot('%s', 'pgoutput')", pluginUnmanaged))).To(Succeed())
	DeferCleanup(func() {
		Expect(pg.Primary.Exec(context.Background(), fmt.Sprintf(
			"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '%s'",
			pluginUnmanaged))).To(Succeed())
	})
}

// pluginManifest: a logical slot with a WAL budget, a physical failover
// slot (slotkeeper keeps its copy on the standby) and a logical slot that
// will lose data.
func pluginManifest() string {
	return serverManifest(pluginNS, samplePollInterval/5, pg.Primary, pg.Standby) + fmt.Sprintf(`---
apiVersion: pg.slotkeeper.dev/v1alpha1
kind: ReplicationSlot
metadata: {name: plugin-cdc, namespace: %[1]s}
spec: {serverRef: {name: db}, type: Logical, database: %[2]s, plugin: test_decoding, maxRetainedWAL: 1Gi}
---
apiVersion: pg.slotkeeper.dev/v1alpha1
kind: ReplicationSlot
metadata: {name: plugin-replica, namespace: %[1]s}
spec: {serverRef: {name: db}, type: Physical, failover: true}
---
apiVersion: pg.slotkeeper.dev/v1alpha1
kind: ReplicationSlot
metadata: {name: plugin-gap, namespace: %[1]s}
spec: {serverRef: {name: db}, type: Logical, database: %[2]s, plugin: test_decoding}
`, pluginNS, harness.Database)
}

func applyPluginObjects() {
	GinkgoHelper()
	kubectlIn(pluginManifest(), "apply", "-f", "-")
	DeferCleanup(deleteFailoverObjects, pluginNS)
	kubectl("wait", "--for=condition=Ready", "pgserver/db", "-n", pluginNS, "--timeout=60s")
	kubectl("wait", "--for=condition=Ready", "rslot", "--all", "-n", pluginNS, "--timeout=60s")
	kubectl("wait", "--for=condition=FailoverReady", "rslot/plugin-replica", "-n", pluginNS, "--timeout=60s")
	Eventually(jsonpath("pgserver/db", "{.status.unmanagedSlots[*].name}", "-n", pluginNS)).
		Should(ContainSubstring(pluginUnmanaged))
}

// holdPluginCDC streams from plugin_cdc, so the healthy slot has a
// consumer and ranks below the idle ones whatever WAL each retains.
func holdPluginCDC() {
	GinkgoHelper()
	release, err := pgtest.HoldSlot(context.Background(), pg.Primary.SuperuserDSN(harness.Database), "plugin_cdc", true)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(release)
	Eventually(jsonpath("rslot/plugin-cdc", "{.status.active}", "-n", pluginNS)).Should(Equal("true"))
}

// causeDataGap drops plugin_gap behind slotkeeper's back, as a careless
// DROP SUBSCRIPTION would: slotkeeper recreates it and records the gap
// (reason Missing).
func causeDataGap() {
	GinkgoHelper()
	Expect(pg.Primary.Exec(context.Background(), "SELECT pg_drop_replication_slot('plugin_gap')")).To(Succeed())
	Eventually(jsonpath("rslot/plugin-gap", dataGapStatus, "-n", pluginNS)).Should(Equal("True"))
	kubectl("wait", "--for=condition=Ready", "rslot/plugin-gap", "-n", pluginNS, "--timeout=60s")
	// The slot's status is written by the reconcile that recreated it; the
	// server counts the new slot as managed only from the next poll that
	// lists it. Until then the plugin would show it among the unmanaged.
	Eventually(jsonpath("pgserver/db", "{.status.slots.managed}", "-n", pluginNS)).Should(Equal("3"))
}

func statusSpecs() {
	It("shows the fleet riskiest first, the data gap on top", func() {
		run := plugin("status", "-n", pluginNS)
		Expect(run.Code).To(Equal(0), run.Stderr)
		Expect(run.Stdout).NotTo(ContainSubstring("\x1b["), "no colour when stdout is not a terminal")
		expectGolden("status.golden", run.Stdout)
	})

	It("exits 2 with --exit-code while something needs attention", func() {
		run := plugin("status", "-n", pluginNS, "--exit-code")
		Expect(run.Code).To(Equal(2), run.Stderr)
	})

	It("prints the same judgement as JSON for scripts, across namespaces with -A", func() {
		run := plugin("status", "-A", "-o", "json")
		Expect(run.Code).To(Equal(0), run.Stderr)
		var rep struct {
			Slots []struct {
				Namespace, Name string
				Risk            struct{ Level string }
			}
		}
		Expect(json.Unmarshal([]byte(run.Stdout), &rep)).To(Succeed())
		var ours []string
		for _, s := range rep.Slots {
			if s.Namespace == pluginNS {
				ours = append(ours, s.Name+"="+s.Risk.Level)
			}
		}
		Expect(ours).To(HaveLen(3))
		Expect(ours[0]).To(Equal("plugin-gap=critical"))
	})
}

func pathSpecs() {
	It("is found by kubectl as `kubectl slotkeeper` on PATH", func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		dir := GinkgoT().TempDir()
		Expect(os.Symlink(pluginBin, filepath.Join(dir, harness.PluginName))).To(Succeed())
		cmd := kctl.Command(ctx, "", "slotkeeper", "status", "-n", pluginNS, "--color", "always")
		cmd.Env = append(cmd.Env, "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.Output()
		Expect(err).NotTo(HaveOccurred())
		Expect(string(out)).To(ContainSubstring("\x1b[31mplugin-gap"), "--color always paints critical rows")
	})
}

func explainSpecs() {
	It("tells the gapped slot's story and what to do next", func() {
		run := plugin("explain", "plugin-gap", "-n", pluginNS)
		Expect(run.Code).To(Equal(0), run.Stderr)
		Expect(run.Stdout).To(ContainSubstring("DataGap"), "the Events section names the DataGap event")
		expectGolden("explain-gap.golden", withoutEvents(run.Stdout))
	})

	It("prints the object itself with -o yaml", func() {
		run := plugin("explain", "plugin-cdc", "-n", pluginNS, "-o", "yaml")
		Expect(run.Code).To(Equal(0), run.Stderr)
		Expect(run.Stdout).To(And(ContainSubstring("kind: ReplicationSlot"),
			ContainSubstring("apiVersion: pg.slotkeeper.dev/v1alpha1"), ContainSubstring("name: plugin-cdc")))
	})

	It("exits 1 for a slot that does not exist", func() {
		run := plugin("explain", "no-such-slot", "-n", pluginNS)
		Expect(run.Code).To(Equal(1))
		Expect(run.Stderr).To(ContainSubstring(`"no-such-slot" not found`))
	})
}

// withoutEvents drops the Events rows: their number and order depend on
// how the operator's polls fell, while everything else is settled.
func withoutEvents(out string) string {
	head, rest, ok := strings.Cut(out, "\nEvents (")
	if !ok {
		return out
	}
	_, tail, _ := strings.Cut(rest, "\nNext:")
	return head + "\nEvents (...)\n\nNext:" + tail
}

func unmanagedSpecs() {
	It("lists the slot made behind slotkeeper's back with its likely owner", func() {
		run := plugin("unmanaged", "db", "-n", pluginNS)
		Expect(run.Code).To(Equal(0), run.Stderr)
		expectGolden("unmanaged.golden", onlyLines(run.Stdout, "PGSERVER", pluginUnmanaged, "slotkeeper never drops",
			"slotName, type"))
	})

	It("lists it as JSON, largest retention first", func() {
		run := plugin("unmanaged", "-n", pluginNS, "-o", "json")
		Expect(run.Code).To(Equal(0), run.Stderr)
		var rep struct {
			Items []struct {
				Name             string
				RetainedWALBytes *int64
			}
		}
		Expect(json.Unmarshal([]byte(run.Stdout), &rep)).To(Succeed())
		Expect(rep.Items).To(ContainElement(HaveField("Name", pluginUnmanaged)))
		for i := 1; i < len(rep.Items); i++ {
			Expect(derefBytes(rep.Items[i-1].RetainedWALBytes)).To(BeNumerically(">=", derefBytes(rep.Items[i].RetainedWALBytes)))
		}
	})
}

// onlyLines keeps the lines that contain one of the markers: other specs'
// slots on the shared primary come and go.
func onlyLines(out string, markers ...string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		for _, m := range markers {
			if strings.Contains(l, m) {
				keep = append(keep, l)
				break
			}
		}
	}
	return strings.Join(keep, "\n") + "\n"
}

func derefBytes(n *int64) int64 {
	if n == nil {
		return -1
	}
	return *n
}

func ackSpecs() {
	It("shows the window and changes nothing unless confirmed", func() {
		run := pluginIn("n\n", "ack", "plugin-gap", "-n", pluginNS)
		Expect(run.Code).To(Equal(1))
		Expect(run.Stderr).To(ContainSubstring("not acknowledged"))
		expectGolden("ack-declined.golden", run.Stdout)
		Expect(kubectl("get", "rslot/plugin-gap", "-n", pluginNS, "-o", "jsonpath={.metadata.annotations}")).
			NotTo(ContainSubstring("acknowledge-data-gap"))
	})

	It("refuses a --gap time that no listed gap has, listing the valid ones", func() {
		run := plugin("ack", "plugin-gap", "-n", pluginNS, "--gap", "2001-01-01T00:00:00Z", "--yes")
		Expect(run.Code).To(Equal(1))
		Expect(run.Stderr).To(ContainSubstring("the listed gaps are at:"))
	})

	It("sets the annotation to the window's at once confirmed, which clears DataGap", func() {
		at := kubectl("get", "rslot/plugin-gap", "-n", pluginNS, "-o", "jsonpath={.status.lastDataGap.at}")
		run := pluginIn("y\n", "ack", "plugin-gap", "-n", pluginNS)
		Expect(run.Code).To(Equal(0), run.Stderr)
		Expect(kubectl("get", "rslot/plugin-gap", "-n", pluginNS, "-o",
			`jsonpath={.metadata.annotations.pg\.slotkeeper\.dev/acknowledge-data-gap}`)).To(Equal(at))
		Eventually(jsonpath("rslot/plugin-gap", dataGapStatus, "-n", pluginNS)).Should(BeEmpty())
		Expect(plugin("ack", "plugin-gap", "-n", pluginNS).Stdout).To(ContainSubstring("nothing to do"))
		Expect(plugin("status", "-n", pluginNS, "--exit-code").Code).To(Equal(0), "no warning or critical row left")
	})
}
