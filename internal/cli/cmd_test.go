package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// fakeReader serves fixed objects and records annotations.
type fakeReader struct {
	servers   []api.PostgresServer
	slots     []api.ReplicationSlot
	annotated map[string]string
}

var (
	slotsGR   = schema.GroupResource{Group: api.GroupVersion.Group, Resource: "replicationslots"}
	serversGR = schema.GroupResource{Group: api.GroupVersion.Group, Resource: "postgresservers"}
)

func (f *fakeReader) Servers(context.Context, string) ([]api.PostgresServer, error) {
	return f.servers, nil
}

func (f *fakeReader) Server(_ context.Context, _, name string) (*api.PostgresServer, error) {
	for i := range f.servers {
		if f.servers[i].Name == name {
			return &f.servers[i], nil
		}
	}
	return nil, apierrors.NewNotFound(serversGR, name)
}

func (f *fakeReader) Slots(context.Context, string) ([]api.ReplicationSlot, error) {
	return f.slots, nil
}

func (f *fakeReader) Slot(_ context.Context, _, name string) (*api.ReplicationSlot, error) {
	for i := range f.slots {
		if f.slots[i].Name == name {
			return &f.slots[i], nil
		}
	}
	return nil, apierrors.NewNotFound(slotsGR, name)
}

func (f *fakeReader) Events(context.Context, string, string, string) ([]corev1.Event, error) {
	return []corev1.Event{{Type: "Warning", Reason: "DataGap", Message: "recreated", Count: 1}}, nil
}

func (f *fakeReader) Annotate(_ context.Context, _, name, key, value string) error {
	if f.annotated == nil {
		f.annotated = map[string]string{}
	}
	f.annotated[name+" "+key] = value
	return nil
}

// run runs the plugin against f with stdin and returns exit code, stdout
// and stderr.
func run(f *fakeReader, stdin string, args ...string) (int, string, string) {
	in := strings.NewReader(stdin)
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	o := NewOptions(genericiooptions.IOStreams{In: in, Out: out, ErrOut: errOut})
	o.NewReader = func(*genericclioptions.ConfigFlags) (Reader, error) { return f, nil }
	o.Now = func() time.Time { return now }
	code := Main(append(args, "-n", "ns"), o)
	return code, out.String(), errOut.String()
}

func fleet() *fakeReader {
	return &fakeReader{
		servers: []api.PostgresServer{server("db", func(ps *api.PostgresServer) {
			ps.Status.UnmanagedSlots = []api.UnmanagedSlot{
				{Name: "small", Type: api.SlotPhysical, RetainedWALBytes: ptr(int64(1 << 20))},
				{Name: "big", Type: api.SlotLogical, Database: "orders", RetainedWALBytes: ptr(int64(1 << 30)), LikelyOwner: "Debezium"},
			}
			ps.Status.Slots.Unmanaged = 25
		})},
		slots: []api.ReplicationSlot{slot("ok", activeBy("app", false)), slot("gap", gapped)},
	}
}

func TestStatusCommand(t *testing.T) {
	code, out, _ := run(fleet(), "", "status")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "PGSERVER") || !strings.HasPrefix(lines[3], "RSLOT") || !strings.HasPrefix(lines[4], "gap ") {
		t.Errorf("layout:\n%s", out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour written to a buffer, which is no terminal")
	}
	if code, _, _ := run(fleet(), "", "status", "--exit-code"); code != ExitAttention {
		t.Errorf("--exit-code with a data gap: exit %d, want %d", code, ExitAttention)
	}
	if code, _, errOut := run(fleet(), "", "status", "-o", "wide"); code != ExitError || !strings.Contains(errOut, "json,yaml") {
		t.Errorf("-o wide: exit %d, %q", code, errOut)
	}
}

func TestStatusColourAlways(t *testing.T) {
	_, out, _ := run(fleet(), "", "status", "--color", "always")
	if !strings.Contains(out, "\x1b[31mgap ") {
		t.Errorf("critical row not painted:\n%q", out)
	}
}

func TestAckCommand(t *testing.T) {
	f := fleet()
	code, out, errOut := run(f, "n\n", "ack", "gap")
	if code != ExitError || len(f.annotated) != 0 || !strings.Contains(errOut, "not acknowledged") {
		t.Fatalf("declined: exit %d, annotated %v, stderr %q", code, f.annotated, errOut)
	}
	if !strings.Contains(out, "from LSN:     0/3000000") || !strings.Contains(out, "recreations:  2") {
		t.Errorf("window not shown:\n%s", out)
	}
	if code, _, _ := run(f, "", "ack", "gap"); code != ExitError || len(f.annotated) != 0 {
		t.Errorf("end of input must mean no: exit %d", code)
	}
	if code, _, errOut := run(f, "y\n", "ack", "gap"); code != ExitOK {
		t.Fatalf("confirmed: exit %d: %s", code, errOut)
	}
	if got := f.annotated["gap "+api.AnnotationAcknowledgeDataGap]; got != "2025-06-02T09:50:00Z" {
		t.Errorf("annotation = %q", got)
	}
	code, out, _ = run(f, "", "ack", "gap", "--gap", "2025-06-02T09:00:00Z", "--yes")
	if code != ExitOK || !strings.Contains(out, "Later gaps that stay open (1)") {
		t.Errorf("--gap: exit %d\n%s", code, out)
	}
	if code, out, _ := run(f, "", "ack", "ok"); code != ExitOK || !strings.Contains(out, "nothing to do") {
		t.Errorf("no gap: exit %d %q", code, out)
	}
}

func TestUnmanagedCommand(t *testing.T) {
	code, out, _ := run(fleet(), "", "unmanaged")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	big, small := strings.Index(out, "big"), strings.Index(out, "small")
	if big < 0 || small < big {
		t.Errorf("largest first:\n%s", out)
	}
	for _, want := range []string{"Debezium", "has 25 unmanaged slots; its status lists the 2 largest", "never drops"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q:\n%s", want, out)
		}
	}
	if strings.Contains(strings.ToLower(out), "pg_drop_replication_slot") {
		t.Error("unmanaged must never suggest dropping")
	}
}

func TestExplainCommand(t *testing.T) {
	code, out, _ := run(fleet(), "", "explain", "gap")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"What:       a logical replication slot in database orders", "Data gap (unacknowledged",
		"Events (last 1", "kubectl slotkeeper ack gap -n ns", "DataGap"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q:\n%s", want, out)
		}
	}
	if code, _, errOut := run(fleet(), "", "explain", "nope"); code != ExitError || !strings.Contains(errOut, `"nope" not found`) {
		t.Errorf("missing slot: exit %d %q", code, errOut)
	}
}
