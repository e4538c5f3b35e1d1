package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

type ackOptions struct {
	yes   bool
	gapAt string
}

// errDeclined is returned when the person did not confirm.
var errDeclined = errors.New("not acknowledged: nothing was changed")

func newAckCommand(o *Options) *cobra.Command {
	ao := &ackOptions{}
	cmd := &cobra.Command{
		Use:   "ack RSLOT",
		Short: "Acknowledge a ReplicationSlot's data gap once its consumer is resynchronised",
		Long: "ack shows the open data gap window of a ReplicationSlot and, once confirmed, sets the\n" +
			"annotation " + api.AnnotationAcknowledgeDataGap + " to the window's at, which clears\n" +
			"the DataGap condition. With --gap AT it acknowledges the listed gap recorded at AT and\n" +
			"every older one; later gaps stay open. Acknowledge only after the consumer has been\n" +
			"resynchronised for the whole window: the changes in it were never decoded.",
		Example: "  kubectl slotkeeper ack orders-cdc -n orders\n" +
			"  kubectl slotkeeper ack orders-cdc -n orders --gap 2025-06-02T09:14:03Z --yes",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return failed(runAck(cmd, o, ao, args[0])) },
	}
	cmd.Flags().BoolVarP(&ao.yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().StringVar(&ao.gapAt, "gap", "", "acknowledge only up to the listed gap recorded at this RFC 3339 time (status.dataGaps[].at)")
	return cmd
}

func runAck(cmd *cobra.Command, o *Options, ao *ackOptions, name string) error {
	r, rs, err := o.readSlot(cmd, name)
	if err != nil {
		return err
	}
	ns := rs.Namespace
	plan, err := PlanAck(rs, ao.gapAt)
	if err != nil {
		return err
	}
	out := o.Streams.Out
	if plan == nil {
		fmt.Fprintf(out, "rslot/%s has no unacknowledged data gap: nothing to do\n", name)
		return nil
	}
	if err := showPlan(out, o, rs, plan); err != nil {
		return err
	}
	if !ao.yes && !confirm(o.Streams.In, o.Streams.ErrOut) {
		return errDeclined
	}
	if err := r.Annotate(cmd.Context(), ns, name, api.AnnotationAcknowledgeDataGap, plan.Value); err != nil {
		return err
	}
	fmt.Fprintf(out, "replicationslot.pg.slotkeeper.dev/%s annotated %s=%s; the operator clears the gap at its next reconcile\n",
		name, api.AnnotationAcknowledgeDataGap, plan.Value)
	return nil
}

// showPlan prints what will be acknowledged before anything is changed.
func showPlan(w io.Writer, o *Options, rs *api.ReplicationSlot, plan *AckPlan) error {
	now := o.Now()
	fmt.Fprintf(w, "ReplicationSlot %s/%s: slot %s on PostgresServer %s\n",
		rs.Namespace, rs.Name, orNone(rs.Status.SlotName), rs.Spec.ServerRef.Name)
	fmt.Fprintln(w, "Unacknowledged data gap: changes in this window were never decoded for the slot's consumer:")
	for _, l := range DescribeWindow(plan.Window, now) {
		fmt.Fprintln(w, "  "+l)
	}
	if err := showListed(w, plan); err != nil {
		return err
	}
	fmt.Fprintln(w, "Acknowledge only once the consumer has been resynchronised for this window (docs/runbook.md#data-gap).")
	fmt.Fprintf(w, "This sets %s=%s on rslot/%s.\n", api.AnnotationAcknowledgeDataGap, plan.Value, rs.Name)
	return nil
}

// showListed prints the individual gaps, and with --gap which stay open.
func showListed(w io.Writer, plan *AckPlan) error {
	if len(plan.Cleared) == 0 {
		return nil
	}
	if plan.Partial {
		fmt.Fprintln(w, "Acknowledging these listed gaps (and any older ones no longer listed):")
	} else {
		fmt.Fprintln(w, "Listed gaps inside the window:")
	}
	if err := gapTable(plan.Cleared).Write(w, false); err != nil {
		return err
	}
	if plan.Partial {
		fmt.Fprintf(w, "Later gaps that stay open (%d):\n", len(plan.Remaining))
		return gapTable(plan.Remaining).Write(w, false)
	}
	return nil
}

// confirm asks on stderr, so stdout stays the record of what was shown,
// and accepts only an explicit yes: end of input means no.
func confirm(in io.Reader, prompt io.Writer) bool {
	fmt.Fprint(prompt, "Acknowledge this data gap? [y/N]: ")
	line, _ := bufio.NewReader(in).ReadString('\n')
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes"
}
