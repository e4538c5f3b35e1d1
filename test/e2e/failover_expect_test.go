package e2e

import (
	"context"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/test/harness"
)

// failoverPollInterval is spec.pollInterval of the failover servers: shorter
// than the samples' 5 s so that waiting two polls to see nothing happen
// again stays cheap. Noticing the failover does not wait for a poll: the
// monitor's sentinel connection breaks when the primary goes away.
const failoverPollInterval = 2 * time.Second

// serverManifest is a namespace with the credentials and a PostgresServer
// "db" for the given members, polled every poll.
func serverManifest(ns string, poll time.Duration, members ...*pgtest.Server) string {
	var hosts strings.Builder
	for _, m := range members {
		fmt.Fprintf(&hosts, "  - {host: %s, port: %d}\n", m.Host, m.Port)
	}
	return hostsManifest(ns, poll, hosts.String())
}

// hostsManifest is serverManifest with the hosts list as YAML lines; more
// spec fields may follow it.
func hostsManifest(ns string, poll time.Duration, hosts string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata: {name: %[1]s}
---
apiVersion: v1
kind: Secret
metadata: {name: pg, namespace: %[1]s}
type: kubernetes.io/basic-auth
stringData: {username: %[2]s, password: %[3]s}
---
apiVersion: pg.slotkeeper.dev/v1alpha1
kind: PostgresServer
metadata: {name: db, namespace: %[1]s}
spec:
  hosts:
%[4]s  credentialsSecretRef: {name: pg}
  tls: {mode: disable}
  pollInterval: %[5]s
`, ns, harness.Role, harness.Password, hosts, poll)
}

// failoverManifest is serverManifest for both members of pair, with a
// logical slot "cdc" and a physical slot "replica", the same kinds as the
// samples.
func failoverManifest(ns string, pair *harness.Postgres) string {
	return serverManifest(ns, failoverPollInterval, pair.Primary, pair.Standby) + fmt.Sprintf(`---
apiVersion: pg.slotkeeper.dev/v1alpha1
kind: ReplicationSlot
metadata: {name: cdc, namespace: %[1]s}
spec: {serverRef: {name: db}, type: Logical, database: %[2]s}
---
apiVersion: pg.slotkeeper.dev/v1alpha1
kind: ReplicationSlot
metadata: {name: replica, namespace: %[1]s}
spec: {serverRef: {name: db}, type: Physical}
`, ns, harness.Database)
}

// dataGap is the jsonpath of the DataGap condition as "status reason".
const dataGap = `{.status.conditions[?(@.type=="DataGap")].status} {.status.conditions[?(@.type=="DataGap")].reason}`

// expectServerFailedOver: the PostgresServer names the promoted standby on
// the new timeline, counts exactly one failover, and its inventory is the
// new primary's: both slots managed, none unmanaged (the old standby's slot
// stayed on the old primary).
func expectServerFailedOver(fs *failoverSetup) {
	GinkgoHelper()
	Eventually(jsonpath("pgserver/db", "{.status.primary} {.status.timeline} {.status.failovers} "+
		"{.status.slots.managed} {.status.slots.unmanaged}", "-n", fs.ns)).
		Should(Equal(fs.pair.Standby.Addr() + " 2 1 2 0"))
	Expect(kubectl("get", "pgserver/db", "-n", fs.ns, "-o", "jsonpath={.status.lastFailoverTime}")).NotTo(BeEmpty())
	r := byName(table(kubectl("get", "pgserver", "-n", fs.ns)))["db"]
	Expect([]string{r["PRIMARY"], r["TIMELINE"], r["READY"]}).To(Equal([]string{fs.pair.Standby.Addr(), "2", "True"}))
}

// expectSlotsRecovered: both slots were recreated once on the new timeline;
// only the logical one lost changes, and its gap starts where its consumer
// had confirmed.
func expectSlotsRecovered(fs *failoverSetup) {
	GinkgoHelper()
	for _, name := range []string{"cdc", "replica"} {
		Expect(kubectl("get", "rslot/"+name, "-n", fs.ns, "-o",
			"jsonpath={.status.host} {.status.createdOnTimeline} {.status.recreations}")).
			To(Equal(fs.pair.Standby.Addr()+" 2 1"), name)
	}
	Expect(kubectl("get", "rslot/replica", "-n", fs.ns, "-o", "jsonpath="+dataGap)).
		To(Equal(" "), "a physical slot holds no decoded changes: no data gap")
	Expect(kubectl("get", "rslot/replica", "-n", fs.ns, "-o", "jsonpath={.status.lastDataGap}")).To(BeEmpty())

	Expect(kubectl("get", "rslot/cdc", "-n", fs.ns, "-o", "jsonpath="+dataGap)).To(Equal("True Failover"))
	gap := kubectl("get", "rslot/cdc", "-n", fs.ns, "-o",
		"jsonpath={.status.lastDataGap.reason} {.status.lastDataGap.fromLSN} {.status.lastDataGap.toLSN} {.status.lastDataGap.at}")
	fields := strings.Fields(gap)
	Expect(fields).To(HaveLen(4), gap)
	Expect(fields[:2]).To(Equal([]string{"Failover", fs.lastConfirmed}))
	Expect(fields[2]).To(MatchRegexp(`^[0-9A-F]+/[0-9A-F]+$`), "toLSN is the new slot's position")
	Expect(kubectl("get", "rslot/cdc", "-n", fs.ns, "-o", `jsonpath={.status.conditions[?(@.type=="DataGap")].message}`)).
		To(ContainSubstring(fs.lastConfirmed), "the message names the lost window")
}

// eventLines lists the namespace's Events as "Kind/name type reason", one
// per Event object, for Eventually. With series, only those that repeated:
// the events API folds a repeated identical Event into one object.
func eventLines(ns string, series bool) func() ([]string, error) {
	filter := "*"
	if series {
		filter = "?(@.series)"
	}
	return func() ([]string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		out, err := kctl.Output(ctx, "get", "events", "-n", ns, "-o", "jsonpath={range .items["+filter+
			`]}{.involvedObject.kind}/{.involvedObject.name} {.type} {.reason}{"\n"}{end}`)
		return strings.Split(strings.TrimSpace(out), "\n"), err
	}
}

// expectFailoverEvents: kubectl get events tells the story.
func expectFailoverEvents(fs *failoverSetup) {
	GinkgoHelper()
	Eventually(eventLines(fs.ns, false)).Should(ContainElements(
		"PostgresServer/db Warning Failover",
		"ReplicationSlot/cdc Warning DataGap",
	))
}

// expectSlotsOnPromoted: PostgreSQL itself has both slots on the promoted
// standby, and nothing else.
func expectSlotsOnPromoted(fs *failoverSetup) {
	GinkgoHelper()
	slots, err := harness.Slots(context.Background(), fs.pair.Standby)
	Expect(err).NotTo(HaveOccurred())
	var got []string
	for _, s := range slots {
		got = append(got, s.Name+" "+s.Type)
	}
	Expect(got).To(Equal([]string{"cdc logical", "replica physical"}))
}

// expectNothingTwice: across the operator restart each slot was created
// once and recreated once, and stays so for two more polls.
func expectNothingTwice(fs *failoverSetup) {
	GinkgoHelper()
	recreations := jsonpath("rslot", `{range .items[*]}{.metadata.name}={.status.recreations} {end}`, "-n", fs.ns)
	Consistently(recreations).WithTimeout(2 * failoverPollInterval).Should(Equal("cdc=1 replica=1 "))
	lines, err := eventLines(fs.ns, false)()
	Expect(err).NotTo(HaveOccurred())
	repeated, err := eventLines(fs.ns, true)()
	Expect(err).NotTo(HaveOccurred())
	for _, line := range []string{
		"ReplicationSlot/cdc Normal Created", "ReplicationSlot/replica Normal Created",
		"ReplicationSlot/cdc Warning DataGap", "ReplicationSlot/replica Warning Failover",
		// The server's Event is emitted only once the failover is recorded
		// in status, and no reconcile acts on a status older than the
		// operator's last write: one failover, one Event.
		"PostgresServer/db Warning Failover",
	} {
		Expect(count(lines, line)).To(Equal(1), "%s in\n%s", line, strings.Join(lines, "\n"))
		Expect(repeated).NotTo(ContainElement(line), "%s repeated", line)
	}
	expectSlotsOnPromoted(fs)
}

func count(lines []string, line string) int {
	n := 0
	for _, l := range lines {
		if l == line {
			n++
		}
	}
	return n
}
