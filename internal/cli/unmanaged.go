package cli

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// UnmanagedRow is one slot no ReplicationSlot declares, as its
// PostgresServer's status lists it.
type UnmanagedRow struct {
	Namespace        string       `json:"namespace"`
	Server           string       `json:"server"`
	Name             string       `json:"name"`
	Type             string       `json:"type"`
	Database         string       `json:"database,omitempty"`
	Plugin           string       `json:"plugin,omitempty"`
	Active           bool         `json:"active"`
	RetainedWALBytes *int64       `json:"retainedWALBytes,omitempty"`
	InactiveSince    *metav1.Time `json:"inactiveSince,omitempty"`
	LikelyOwner      string       `json:"likelyOwner,omitempty"`
}

// UnmanagedReport is what -o json|yaml prints. Notes say where the list
// is incomplete: the operator lists at most 20 per server.
type UnmanagedReport struct {
	Items []UnmanagedRow `json:"items"`
	Notes []string       `json:"notes,omitempty"`
}

type unmanagedOptions struct {
	all    bool
	output string
}

func newUnmanagedCommand(o *Options) *cobra.Command {
	uo := &unmanagedOptions{}
	cmd := &cobra.Command{
		Use:   "unmanaged [PGSERVER]",
		Short: "List the slots no ReplicationSlot declares, largest retained WAL first",
		Long: "unmanaged lists the replication slots on the primary that no ReplicationSlot manages,\n" +
			"as the PostgresServers' status reports them, with the WAL each retains and a hint of its\n" +
			"owner. It only lists: neither slotkeeper nor this plugin ever drops an unmanaged slot.",
		Example: "  kubectl slotkeeper unmanaged -A\n  kubectl slotkeeper unmanaged orders-db -n orders -o yaml",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return failed(runUnmanaged(cmd, o, uo, args))
		},
	}
	cmd.Flags().BoolVarP(&uo.all, "all-namespaces", "A", false, "list the servers of every namespace")
	addOutputFlag(cmd, &uo.output)
	return cmd
}

func runUnmanaged(cmd *cobra.Command, o *Options, uo *unmanagedOptions, args []string) error {
	if err := checkOutput(uo.output); err != nil {
		return err
	}
	if uo.all && len(args) > 0 {
		return errors.New("a PGSERVER name cannot be combined with --all-namespaces")
	}
	ns, err := o.namespace(uo.all)
	if err != nil {
		return err
	}
	servers, err := fetchServers(cmd, o, ns, args)
	if err != nil {
		return err
	}
	rep := BuildUnmanaged(servers)
	if uo.output != "" {
		return printStructured(o.Streams.Out, uo.output, rep)
	}
	if len(rep.Items) == 0 {
		fmt.Fprintln(o.Streams.ErrOut, "No unmanaged slots found"+inNamespace(ns)+".")
		return nil
	}
	return writeUnmanaged(o.Streams.Out, rep, uo.all, o.Now())
}

func inNamespace(ns string) string {
	if ns == "" {
		return ""
	}
	return " in " + ns + " namespace"
}

// fetchServers gets the one named server, or every server of ns.
func fetchServers(cmd *cobra.Command, o *Options, ns string, args []string) ([]api.PostgresServer, error) {
	r, err := o.NewReader(o.Flags)
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return r.Servers(cmd.Context(), ns)
	}
	ps, err := r.Server(cmd.Context(), ns, args[0])
	if err != nil {
		return nil, err
	}
	return []api.PostgresServer{*ps}, nil
}

// BuildUnmanaged flattens the servers' lists, largest retention first
// (unknown sizes last), and notes servers whose list was capped.
func BuildUnmanaged(servers []api.PostgresServer) UnmanagedReport {
	rep := UnmanagedReport{Items: []UnmanagedRow{}}
	for i := range servers {
		ps := &servers[i]
		for _, u := range ps.Status.UnmanagedSlots {
			rep.Items = append(rep.Items, UnmanagedRow{Namespace: ps.Namespace, Server: ps.Name,
				Name: u.Name, Type: string(u.Type), Database: u.Database, Plugin: u.Plugin, Active: u.Active,
				RetainedWALBytes: u.RetainedWALBytes, InactiveSince: u.InactiveSince, LikelyOwner: u.LikelyOwner})
		}
		if c := ps.Status.Slots; c != nil && int(c.Unmanaged) > len(ps.Status.UnmanagedSlots) {
			rep.Notes = append(rep.Notes, fmt.Sprintf("pgserver %s/%s has %d unmanaged slots; its status lists the %d largest",
				ps.Namespace, ps.Name, c.Unmanaged, len(ps.Status.UnmanagedSlots)))
		}
	}
	sort.SliceStable(rep.Items, func(i, j int) bool {
		a, b := rep.Items[i], rep.Items[j]
		if ra, rb := derefOr(a.RetainedWALBytes), derefOr(b.RetainedWALBytes); ra != rb {
			return ra > rb
		}
		return a.Namespace+"/"+a.Server+"/"+a.Name < b.Namespace+"/"+b.Server+"/"+b.Name
	})
	return rep
}

func writeUnmanaged(w io.Writer, rep UnmanagedReport, all bool, now time.Time) error {
	t := &Table{Headers: withNS(all, "NAMESPACE", "PGSERVER", "SLOT", "TYPE", "DATABASE", "ACTIVE",
		"RETAINED", "INACTIVE FOR", "LIKELY OWNER")}
	for _, u := range rep.Items {
		t.Add(LevelOK, withNS(all, u.Namespace, u.Server, u.Name, u.Type, orNone(u.Database),
			fmt.Sprint(u.Active), bytesOr(u.RetainedWALBytes, none), inactiveFor(u, now), orNone(u.LikelyOwner))...)
	}
	if err := t.Write(w, false); err != nil {
		return err
	}
	for _, n := range rep.Notes {
		fmt.Fprintln(w, "Note: "+n+".")
	}
	_, err := fmt.Fprintln(w, "slotkeeper never drops these. To manage one, declare a ReplicationSlot with the same\n"+
		"slotName, type, database and plugin (adoption: IfMatching); see docs/runbook.md#unmanaged-slots.")
	return err
}

// inactiveFor is how long the slot has had no consumer; PostgreSQL before
// 17 does not say.
func inactiveFor(u UnmanagedRow, now time.Time) string {
	switch {
	case u.Active:
		return "active"
	case u.InactiveSince == nil:
		return "unknown"
	}
	return age(now, u.InactiveSince)
}
