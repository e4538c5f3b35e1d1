package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"sigs.k8s.io/yaml"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// namespace is -n, else the kubeconfig context's namespace, else default;
// "" (all namespaces) with -A, as in kubectl.
func (o *Options) namespace(all bool) (string, error) {
	if all {
		return "", nil
	}
	ns, _, err := o.Flags.ToRawKubeConfigLoader().Namespace()
	return ns, err
}

// readSlot reads one ReplicationSlot of the current namespace, and the
// reader for what the command reads next.
func (o *Options) readSlot(cmd *cobra.Command, name string) (Reader, *api.ReplicationSlot, error) {
	ns, err := o.namespace(false)
	if err != nil {
		return nil, nil, err
	}
	r, err := o.NewReader(o.Flags)
	if err != nil {
		return nil, nil, err
	}
	rs, err := r.Slot(cmd.Context(), ns, name)
	return r, rs, err
}

// colorOn decides colour once per run: never into a pipe or file, so that
// grep, less and golden files see plain text.
func (o *Options) colorOn() (bool, error) {
	switch o.Color {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
			return false, nil
		}
		f, ok := o.Streams.Out.(*os.File)
		return ok && term.IsTerminal(int(f.Fd())), nil
	}
	return false, fmt.Errorf("--color must be auto, always or never, not %q", o.Color)
}

// addOutputFlag adds kubectl's -o for the formats this plugin prints.
func addOutputFlag(cmd *cobra.Command, out *string) {
	cmd.Flags().StringVarP(out, "output", "o", "", "output format: json or yaml (default: a table for people)")
}

// checkOutput refuses formats the plugin does not print, before any
// request is sent.
func checkOutput(format string) error {
	switch format {
	case "", "json", "yaml":
		return nil
	}
	return fmt.Errorf("unable to match a printer suitable for the output format %q, allowed formats are: json,yaml", format)
}

// printStructured writes v as indented JSON or as YAML.
func printStructured(w io.Writer, format string, v any) error {
	if format == "yaml" {
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	return enc.Encode(v)
}

// failed wraps an error with the generic exit code.
func failed(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: ExitError, err: err}
}
