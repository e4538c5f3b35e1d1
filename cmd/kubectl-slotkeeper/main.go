// Command kubectl-slotkeeper is the kubectl plugin for slotkeeper: kubectl
// runs it as `kubectl slotkeeper`. The logic lives in internal/cli.
package main

import (
	"os"

	"github.com/go-logr/logr"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/slotkeeper/slotkeeper/internal/cli"
)

func main() {
	// controller-runtime's client warns on stderr when no logger is set;
	// a plugin's stderr is for the person at the terminal.
	logf.SetLogger(logr.Discard())
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	os.Exit(cli.Main(os.Args[1:], cli.NewOptions(streams)))
}
