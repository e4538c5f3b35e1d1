package v1alpha1

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
)

// A list holding one object with malformed values still decodes: the
// operator's cache of the kind keeps syncing, and only that object's
// Problems are non-empty.
func TestListWithMalformedValuesDecodes(t *testing.T) {
	list := `{"items":[
		{"metadata":{"name":"bad"},"spec":{"serverRef":{"name":"db"},"type":"Logical",
		 "maxRetainedWAL":"1e1.5","terminateBlockersAfter":"soon"}},
		{"metadata":{"name":"good"},"spec":{"serverRef":{"name":"db"},"type":"Physical",
		 "maxRetainedWAL":1073741824,"terminateBlockersAfter":"30s"}}]}`
	var l ReplicationSlotList
	if err := json.Unmarshal([]byte(list), &l); err != nil {
		t.Fatalf("the list must decode: %v", err)
	}
	if p := l.Items[0].Spec.Problems(); len(p) != 2 {
		t.Errorf("bad: want 2 problems, got %q", p)
	}
	if p := l.Items[1].Spec.Problems(); len(p) != 0 {
		t.Errorf("good: want none, got %q", p)
	}
	if n, ok := l.Items[1].Spec.MaxRetainedWAL.Bytes(); !ok || n != 1<<30 {
		t.Errorf("good budget = %d, %v", n, ok)
	}
}

// What was stored is written back unchanged, valid or not, through JSON
// and through the unstructured converter.
func TestMalformedValuesRoundTrip(t *testing.T) {
	in := `{"serverRef":{"name":"db"},"type":"Logical","maxRetainedWAL":"1e1.5","terminateBlockersAfter":"soon"}`
	var spec ReplicationSlotSpec
	if err := json.Unmarshal([]byte(in), &spec); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"maxRetainedWAL":"1e1.5"`, `"terminateBlockersAfter":"soon"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("%s lacks %s", out, want)
		}
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&spec)
	if err != nil {
		t.Fatal(err)
	}
	if u["maxRetainedWAL"] != "1e1.5" || u["terminateBlockersAfter"] != "soon" {
		t.Errorf("unstructured: %v", u)
	}
	var num ReplicationSlotSpec
	_ = json.Unmarshal([]byte(`{"maxRetainedWAL":9223372036854775807000}`), &num)
	if b, _ := json.Marshal(num.MaxRetainedWAL); string(b) != "9223372036854775807000" {
		t.Errorf("a number is written back as %s", b)
	}
}

func TestProblems(t *testing.T) {
	d := func(s string) *Duration {
		var v Duration
		_ = json.Unmarshal([]byte(`"`+s+`"`), &v)
		return &v
	}
	q := func(raw string) *Quantity {
		var v Quantity
		_ = json.Unmarshal([]byte(raw), &v)
		return &v
	}
	for _, tc := range []struct {
		name string
		spec PostgresServerSpec
		slot ReplicationSlotSpec
		want string // substring of the only problem; "" for none
	}{
		{name: "defaults"},
		{name: "banana poll", spec: PostgresServerSpec{PollInterval: d("banana")}, want: "spec.pollInterval: \"banana\" is not a duration"},
		{name: "1ns poll", spec: PostgresServerSpec{PollInterval: d("1ns")}, want: "spec.pollInterval: 1ns is outside 1s to 1h0m0s"},
		{name: "poll 5s", spec: PostgresServerSpec{PollInterval: NewDuration(5 * time.Second)}},
		{name: "snapshot 1ns", spec: PostgresServerSpec{StandbySnapshot: &StandbySnapshotSpec{Interval: d("1ns")}}, want: "spec.standbySnapshot.interval"},
		{name: "timeout 6m", spec: PostgresServerSpec{ConnectTimeout: d("6m")}, want: "spec.connectTimeout"},
		{name: "negative budget", spec: PostgresServerSpec{MaxUnmanagedRetainedWAL: q(`"-10Gi"`)}, want: "not a positive amount"},
		{name: "huge budget", slot: ReplicationSlotSpec{MaxRetainedWAL: q(`"1e30"`)}, want: "at most 1Pi"},
		{name: "overflowing number", slot: ReplicationSlotSpec{MaxRetainedWAL: q(`9223372036854775807000`)}, want: "at most 1Pi"},
		{name: "not a quantity", slot: ReplicationSlotSpec{MaxRetainedWAL: q(`"1e1.5"`)}, want: "1e1.5 is not a quantity"},
		{name: "budget 10Gi", slot: ReplicationSlotSpec{MaxRetainedWAL: q(`"10Gi"`)}},
		{name: "terminate off", slot: ReplicationSlotSpec{TerminateBlockersAfter: d("0s")}},
		{name: "terminate 1ns", slot: ReplicationSlotSpec{TerminateBlockersAfter: d("1ns")}, want: "spec.terminateBlockersAfter"},
		{name: "terminate soon", slot: ReplicationSlotSpec{TerminateBlockersAfter: d("soon")}, want: "not a duration"},
	} {
		got := append(tc.spec.Problems(), tc.slot.Problems()...)
		switch {
		case tc.want == "" && len(got) > 0:
			t.Errorf("%s: want no problem, got %q", tc.name, got)
		case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
			t.Errorf("%s: want one problem with %q, got %q", tc.name, tc.want, got)
		}
	}
}
