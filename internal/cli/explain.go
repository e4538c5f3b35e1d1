package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

type explainOptions struct{ output string }

func newExplainCommand(o *Options) *cobra.Command {
	eo := &explainOptions{}
	cmd := &cobra.Command{
		Use:   "explain RSLOT",
		Short: "Tell one ReplicationSlot's story: what and where it is, its conditions, events, gaps and what to do next",
		Example: "  kubectl slotkeeper explain orders-cdc -n orders\n" +
			"  kubectl slotkeeper explain orders-cdc -o yaml   # the object itself",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return failed(runExplain(cmd, o, eo, args[0])) },
	}
	addOutputFlag(cmd, &eo.output)
	return cmd
}

func runExplain(cmd *cobra.Command, o *Options, eo *explainOptions, name string) error {
	if err := checkOutput(eo.output); err != nil {
		return err
	}
	r, rs, err := o.readSlot(cmd, name)
	if err != nil {
		return err
	}
	if eo.output != "" {
		// The client leaves apiVersion and kind empty on typed objects.
		rs.APIVersion, rs.Kind = api.GroupVersion.String(), "ReplicationSlot"
		return printStructured(o.Streams.Out, eo.output, rs)
	}
	story, err := gatherStory(cmd, o, r, rs)
	if err != nil {
		return err
	}
	return story.Write(o.Streams.Out)
}

// gatherStory reads the server and the events. A missing server is part
// of the story (the slot says why it is not Ready); other errors are not.
func gatherStory(cmd *cobra.Command, o *Options, r Reader, rs *api.ReplicationSlot) (Story, error) {
	s := Story{Slot: rs, Now: o.Now()}
	ps, err := r.Server(cmd.Context(), rs.Namespace, rs.Spec.ServerRef.Name)
	switch {
	case err == nil:
		s.Server = ps
	case !apierrors.IsNotFound(err):
		return s, fmt.Errorf("reading PostgresServer %s: %w", rs.Spec.ServerRef.Name, err)
	}
	s.Events, err = r.Events(cmd.Context(), rs.Namespace, "ReplicationSlot", rs.Name)
	if err != nil {
		return s, fmt.Errorf("reading events: %w", err)
	}
	return s, nil
}
