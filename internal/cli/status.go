package cli

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

type statusOptions struct {
	all      bool
	output   string
	exitCode bool
}

// StatusReport is the fleet, riskiest first; -o json|yaml prints it.
type StatusReport struct {
	Servers []ServerRow `json:"servers"`
	Slots   []SlotRow   `json:"slots"`
}

func newStatusCommand(o *Options) *cobra.Command {
	so := &statusOptions{}
	cmd := &cobra.Command{
		Use:   "status [-A]",
		Short: "One table for the fleet: every PostgresServer and ReplicationSlot, riskiest first",
		Example: "  kubectl slotkeeper status -A\n" +
			"  kubectl slotkeeper status -n orders --exit-code   # exit 2 if anything needs attention",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runStatus(cmd, o, so) },
	}
	cmd.Flags().BoolVarP(&so.all, "all-namespaces", "A", false, "list the objects of every namespace")
	cmd.Flags().BoolVar(&so.exitCode, "exit-code", false, "exit with 2 when any row is at warning or critical")
	addOutputFlag(cmd, &so.output)
	return cmd
}

func runStatus(cmd *cobra.Command, o *Options, so *statusOptions) error {
	if err := checkOutput(so.output); err != nil {
		return failed(err)
	}
	color, err := o.colorOn()
	if err != nil {
		return failed(err)
	}
	ns, err := o.namespace(so.all)
	if err != nil {
		return failed(err)
	}
	report, err := fetchStatus(cmd, o, ns)
	if err != nil {
		return failed(err)
	}
	if err := printStatus(o, so, ns, report, color); err != nil {
		return failed(err)
	}
	if so.exitCode && report.worst() >= LevelWarning {
		return &exitError{code: ExitAttention}
	}
	return nil
}

func fetchStatus(cmd *cobra.Command, o *Options, ns string) (StatusReport, error) {
	r, err := o.NewReader(o.Flags)
	if err != nil {
		return StatusReport{}, err
	}
	servers, err := r.Servers(cmd.Context(), ns)
	if err != nil {
		return StatusReport{}, err
	}
	slots, err := r.Slots(cmd.Context(), ns)
	if err != nil {
		return StatusReport{}, err
	}
	return BuildStatus(servers, slots, o.Now()), nil
}

// BuildStatus judges every object and ranks them.
func BuildStatus(servers []api.PostgresServer, slots []api.ReplicationSlot, now time.Time) StatusReport {
	rep := StatusReport{Servers: []ServerRow{}, Slots: []SlotRow{}}
	for i := range servers {
		rep.Servers = append(rep.Servers, NewServerRow(&servers[i]))
	}
	for i := range slots {
		rep.Slots = append(rep.Slots, NewSlotRow(&slots[i], now))
	}
	SortServerRows(rep.Servers)
	SortSlotRows(rep.Slots)
	return rep
}

// worst is the highest level of any row.
func (r StatusReport) worst() Level {
	l := LevelOK
	for _, s := range r.Servers {
		l = max(l, s.Risk.Level)
	}
	for _, s := range r.Slots {
		l = max(l, s.Risk.Level)
	}
	return l
}

func printStatus(o *Options, so *statusOptions, ns string, rep StatusReport, color bool) error {
	if so.output != "" {
		return printStructured(o.Streams.Out, so.output, rep)
	}
	if len(rep.Servers)+len(rep.Slots) == 0 {
		fmt.Fprintln(o.Streams.ErrOut, noResources(ns))
		return nil
	}
	return WriteStatusTables(o.Streams.Out, rep, so.all, color)
}

// noResources is kubectl's wording for an empty list.
func noResources(ns string) string {
	if ns == "" {
		return "No resources found"
	}
	return "No resources found in " + ns + " namespace."
}

// WriteStatusTables prints servers then slots, a blank line apart, with a
// NAMESPACE column only when several namespaces are shown.
func WriteStatusTables(w io.Writer, rep StatusReport, all, color bool) error {
	if len(rep.Servers) > 0 {
		if err := serverTable(rep.Servers, all).Write(w, color); err != nil {
			return err
		}
	}
	if len(rep.Servers) > 0 && len(rep.Slots) > 0 {
		fmt.Fprintln(w)
	}
	if len(rep.Slots) > 0 {
		return slotTable(rep.Slots, all).Write(w, color)
	}
	return nil
}

func serverTable(rows []ServerRow, all bool) *Table {
	t := &Table{Headers: withNS(all, "NAMESPACE", "PGSERVER", "PRIMARY", "TIMELINE", "READY", "SPLIT BRAIN",
		"HA MANAGER", "MEMBERS", "SLOTS", "RISK", "WHY")}
	for _, r := range rows {
		t.Add(r.Risk.Level, withNS(all, r.Namespace, r.Name, r.Primary, timeline(r.Timeline), r.Ready,
			yesNo(r.SplitBrain), r.HAManager, r.Members, r.Slots, r.Risk.Level.String(), r.Risk.Why())...)
	}
	return t
}

func slotTable(rows []SlotRow, all bool) *Table {
	t := &Table{Headers: withNS(all, "NAMESPACE", "RSLOT", "SERVER", "TYPE", "READY", "CONSUMER", "RETAINED",
		"BUDGET", "FAILOVER", "GAP", "RISK", "WHY")}
	for _, r := range rows {
		t.Add(r.Risk.Level, withNS(all, r.Namespace, r.Name, r.Server, r.Type, r.Ready, r.Consumer,
			r.Retained, r.Budget, r.Failover, r.Gap, r.Risk.Level.String(), r.Risk.Why())...)
	}
	return t
}

// withNS puts the namespace cell (or header) in front when all
// namespaces are shown, as kubectl get -A does.
func withNS(all bool, ns string, cells ...string) []string {
	if !all {
		return cells
	}
	return append([]string{ns}, cells...)
}

func timeline(t int64) string {
	if t == 0 {
		return none
	}
	return strconv.FormatInt(t, 10)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
