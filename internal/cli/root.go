package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// Exit codes. Anything else a script sees is a bug.
const (
	ExitOK = 0
	// ExitError: the command failed (bad flags, API error, not found,
	// acknowledgement declined).
	ExitError = 1
	// ExitAttention: `status --exit-code` found a warning or critical row.
	ExitAttention = 2
)

// exitError carries an exit code; a nil err means the command already
// said everything it had to.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

// Options is what every subcommand shares: kubectl's connection flags and
// the streams, plus seams the tests replace.
type Options struct {
	Flags   *genericclioptions.ConfigFlags
	Streams genericiooptions.IOStreams
	Color   string
	// NewReader connects; tests return a fake.
	NewReader func(*genericclioptions.ConfigFlags) (Reader, error)
	Now       func() time.Time
}

// NewOptions connects through the kubeconfig like kubectl does.
func NewOptions(streams genericiooptions.IOStreams) *Options {
	return &Options{
		Flags:   genericclioptions.NewConfigFlags(true),
		Streams: streams,
		Color:   "auto",
		NewReader: func(f *genericclioptions.ConfigFlags) (Reader, error) {
			cfg, err := f.ToRESTConfig()
			if err != nil {
				return nil, err
			}
			return NewReader(cfg)
		},
		Now: time.Now,
	}
}

// NewRootCommand is `kubectl slotkeeper` with its subcommands.
func NewRootCommand(o *Options) *cobra.Command {
	root := &cobra.Command{
		Use:   "kubectl-slotkeeper",
		Short: "Inspect slotkeeper's PostgreSQL replication slots",
		Long: "kubectl slotkeeper shows what slotkeeper knows about PostgreSQL replication slots.\n" +
			"It reads only through the Kubernetes API server; it never connects to PostgreSQL\n" +
			"and never drops a slot. Its one write is the data gap acknowledgement of `ack`.",
		SilenceErrors: true,
		SilenceUsage:  true,
		// kubectl runs plugins as kubectl-NAME; the usage should read the way
		// people type it.
		Annotations: map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl slotkeeper"},
	}
	o.Flags.AddFlags(root.PersistentFlags())
	root.PersistentFlags().StringVar(&o.Color, "color", o.Color, "colour risky rows: auto (only on a terminal, unless NO_COLOR is set), always or never")
	root.AddCommand(newStatusCommand(o), newExplainCommand(o), newAckCommand(o), newUnmanagedCommand(o))
	return root
}

// Main runs the plugin and returns the process exit code.
func Main(args []string, o *Options) int {
	root := NewRootCommand(o)
	root.SetArgs(args)
	root.SetIn(o.Streams.In)
	root.SetOut(o.Streams.Out)
	root.SetErr(o.Streams.ErrOut)
	err := root.Execute()
	var ee *exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee) && ee.err == nil:
		return ee.code
	case errors.As(err, &ee):
		fmt.Fprintf(o.Streams.ErrOut, "error: %v\n", ee.err)
		return ee.code
	}
	fmt.Fprintf(o.Streams.ErrOut, "error: %v\n", err)
	return ExitError
}
