package controllers

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/event"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
)

func hfPort(name string, n int32) discoveryv1.EndpointPort {
	return discoveryv1.EndpointPort{Name: ptr.To(name), Port: ptr.To(n), Protocol: ptr.To(corev1.ProtocolTCP)}
}

func TestSlicePort(t *testing.T) {
	udp := discoveryv1.EndpointPort{Name: ptr.To("dns"), Port: ptr.To(int32(53)), Protocol: ptr.To(corev1.ProtocolUDP)}
	cases := []struct {
		name  string
		ports []discoveryv1.EndpointPort
		want  string
		port  int32
		ok    bool
	}{
		{"only port", []discoveryv1.EndpointPort{hfPort("", 6432)}, "", 6432, true},
		{"only TCP port", []discoveryv1.EndpointPort{udp, hfPort("db", 6000)}, "", 6000, true},
		{"named postgresql", []discoveryv1.EndpointPort{hfPort("metrics", 9187), hfPort("postgresql", 5433)}, "", 5433, true},
		{"named postgres", []discoveryv1.EndpointPort{hfPort("patroni", 8008), hfPort("postgres", 5434)}, "", 5434, true},
		{"postgresql before postgres", []discoveryv1.EndpointPort{hfPort("postgres", 1), hfPort("postgresql", 2)}, "", 2, true},
		{"no ports (headless without ports)", nil, "", 5432, true},
		{"port-less entry", []discoveryv1.EndpointPort{{}}, "", 5432, true},
		{"several, none named", []discoveryv1.EndpointPort{hfPort("a", 1), hfPort("b", 2)}, "", 5432, true},
		{"number wins", []discoveryv1.EndpointPort{hfPort("postgresql", 5433)}, "7000", 7000, true},
		{"by name", []discoveryv1.EndpointPort{hfPort("postgresql", 5433), hfPort("pgbouncer", 6432)}, "pgbouncer", 6432, true},
		{"name missing", []discoveryv1.EndpointPort{hfPort("postgresql", 5433)}, "pg", 0, false},
		{"name of a UDP port", []discoveryv1.EndpointPort{udp}, "dns", 0, false},
	}
	for _, tc := range cases {
		want, err := parseHostsFromPort(tc.want)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, ok := slicePort(tc.ports, want)
		if got != tc.port || ok != tc.ok {
			t.Errorf("%s: slicePort = %d, %v; want %d, %v", tc.name, got, ok, tc.port, tc.ok)
		}
	}
}

func TestParseHostsFromPort(t *testing.T) {
	cases := []struct {
		in   string
		want portChoice
		bad  bool
	}{
		{"", portChoice{}, false},
		{"5432", portChoice{number: 5432}, false},
		{"postgresql", portChoice{name: "postgresql"}, false},
		{"pg-5432", portChoice{name: "pg-5432"}, false},
		{"0", portChoice{}, true},
		{"65536", portChoice{}, true},
		{"99999999999999999999", portChoice{}, true},
	}
	for _, tc := range cases {
		got, err := parseHostsFromPort(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("parseHostsFromPort(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

// ep is an endpoint as the EndpointSlice controller writes it for a Pod.
func hfEndpoint(addr, pod string, ready, terminating bool) discoveryv1.Endpoint {
	e := discoveryv1.Endpoint{Addresses: []string{addr},
		Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(ready), Serving: ptr.To(ready), Terminating: ptr.To(terminating)}}
	if pod != "" {
		e.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: "db", Name: pod}
	}
	return e
}

func hfWithHostname(e discoveryv1.Endpoint, h string) discoveryv1.Endpoint {
	e.Hostname = ptr.To(h)
	return e
}

func hfSlice(name string, at discoveryv1.AddressType, ports []discoveryv1.EndpointPort, eps ...discoveryv1.Endpoint) discoveryv1.EndpointSlice {
	return discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "db",
		Labels: map[string]string{discoveryv1.LabelServiceName: "pg"}}, AddressType: at, Ports: ports, Endpoints: eps}
}

func hfAddrs(es []observation.Endpoint) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.Addr())
	}
	return out
}

func TestHostsFromMembers(t *testing.T) {
	pgPort := []discoveryv1.EndpointPort{hfPort("postgresql", 5432)}
	cases := []struct {
		name     string
		hosts    []api.HostPort
		slices   []discoveryv1.EndpointSlice
		want     []string
		wantPort string
	}{
		{name: "addresses, sorted",
			slices: []discoveryv1.EndpointSlice{hfSlice("pg-a", discoveryv1.AddressTypeIPv4, pgPort,
				hfEndpoint("10.0.0.9", "pg-1", true, false), hfEndpoint("10.0.0.10", "pg-0", true, false))},
			want: []string{"10.0.0.10:5432", "10.0.0.9:5432"}},
		{name: "not ready is a member, terminating is not",
			slices: []discoveryv1.EndpointSlice{hfSlice("pg-a", discoveryv1.AddressTypeIPv4, pgPort,
				hfEndpoint("10.0.0.1", "pg-0", false, false), hfEndpoint("10.0.0.2", "pg-1", false, true))},
			want: []string{"10.0.0.1:5432"}},
		{name: "a StatefulSet's pods by their DNS names",
			slices: []discoveryv1.EndpointSlice{hfSlice("pg-a", discoveryv1.AddressTypeIPv4, pgPort,
				hfWithHostname(hfEndpoint("10.0.0.2", "pg-1", true, false), "pg-1"), hfWithHostname(hfEndpoint("10.0.0.1", "pg-0", true, false), "pg-0"))},
			want: []string{"pg-0.pg.db.svc:5432", "pg-1.pg.db.svc:5432"}},
		{name: "dual stack: one member per Pod, over IPv4",
			slices: []discoveryv1.EndpointSlice{
				hfSlice("pg-6", discoveryv1.AddressTypeIPv6, pgPort, hfEndpoint("fd00::1", "pg-0", true, false), hfEndpoint("fd00::2", "pg-1", true, false)),
				hfSlice("pg-4", discoveryv1.AddressTypeIPv4, pgPort, hfEndpoint("10.0.0.1", "pg-0", true, false), hfEndpoint("10.0.0.2", "pg-1", true, false))},
			want: []string{"10.0.0.1:5432", "10.0.0.2:5432"}},
		{name: "IPv6 only",
			slices: []discoveryv1.EndpointSlice{hfSlice("pg-6", discoveryv1.AddressTypeIPv6, pgPort, hfEndpoint("fd00::1", "pg-0", true, false))},
			want:   []string{"[fd00::1]:5432"}},
		{name: "one slice per port: same address, two members",
			slices: []discoveryv1.EndpointSlice{
				hfSlice("pg-a", discoveryv1.AddressTypeIPv4, []discoveryv1.EndpointPort{hfPort("postgresql", 6001)}, hfEndpoint("127.0.0.1", "", true, false)),
				hfSlice("pg-b", discoveryv1.AddressTypeIPv4, []discoveryv1.EndpointPort{hfPort("postgresql", 6000)}, hfEndpoint("127.0.0.1", "", true, false))},
			want: []string{"127.0.0.1:6000", "127.0.0.1:6001"}},
		{name: "spec.hosts first, in their order, each once",
			hosts: []api.HostPort{{Host: "z.example"}, {Host: "10.0.0.2", Port: 5432}, {Host: "z.example", Port: 5432}},
			slices: []discoveryv1.EndpointSlice{hfSlice("pg-a", discoveryv1.AddressTypeIPv4, pgPort,
				hfEndpoint("10.0.0.2", "pg-1", true, false), hfEndpoint("10.0.0.1", "pg-0", true, false))},
			want: []string{"z.example:5432", "10.0.0.2:5432", "10.0.0.1:5432"}},
		{name: "a slice without the named port adds nothing", wantPort: "pg",
			slices: []discoveryv1.EndpointSlice{hfSlice("pg-a", discoveryv1.AddressTypeIPv4, pgPort, hfEndpoint("10.0.0.1", "pg-0", true, false))},
			want:   []string{}},
		{name: "the endpoint's first address only",
			slices: []discoveryv1.EndpointSlice{hfSlice("pg-a", discoveryv1.AddressTypeIPv4, pgPort,
				discoveryv1.Endpoint{Addresses: []string{"10.0.0.5", "10.0.0.4"}}, discoveryv1.Endpoint{})},
			want: []string{"10.0.0.5:5432"}},
	}
	for _, tc := range cases {
		want, _ := parseHostsFromPort(tc.wantPort)
		found, _ := endpointsOf(tc.slices, want, "pg", "db")
		got, cut := mergeMembers(specHosts(tc.hosts), found, maxMembers)
		if !slices.Equal(hfAddrs(got), tc.want) || cut != nil {
			t.Errorf("%s: members %v (cut %v), want %v", tc.name, hfAddrs(got), cut, tc.want)
		}
	}
}

func TestHostsFromCap(t *testing.T) {
	var eps []discoveryv1.Endpoint
	for i := range 20 {
		eps = append(eps, hfEndpoint(fmt.Sprintf("10.0.1.%d", 10+i), fmt.Sprintf("pg-%d", i), true, false))
	}
	found, _ := endpointsOf([]discoveryv1.EndpointSlice{hfSlice("pg-a", discoveryv1.AddressTypeIPv4, nil, eps...)}, portChoice{}, "pg", "db")
	got, cut := mergeMembers(specHosts([]api.HostPort{{Host: "primary.example"}}), found, maxMembers)
	if len(got) != maxMembers || got[0].Host != "primary.example" {
		t.Fatalf("got %v, want %d members starting with spec.hosts", hfAddrs(got), maxMembers)
	}
	want := []string{"10.0.1.25:5432", "10.0.1.26:5432", "10.0.1.27:5432", "10.0.1.28:5432", "10.0.1.29:5432"}
	if !slices.Equal(cut, want) {
		t.Errorf("cut %v, want %v", cut, want)
	}
}

func TestNoMembersMessage(t *testing.T) {
	hf := &api.HostsFromSpec{Service: "pg", Port: "pg"}
	if m := noMembersMessage(hf, []string{"pg-abc"}); m != `spec.hostsFrom: EndpointSlices pg-abc of Service "pg" have no TCP port named "pg": fix spec.hostsFrom.port` {
		t.Errorf("named port message: %s", m)
	}
	if m := noMembersMessage(hf, nil); m == "" {
		t.Error("empty message")
	}
}

func TestSliceMembersChanged(t *testing.T) {
	base := hfSlice("pg-a", discoveryv1.AddressTypeIPv4, []discoveryv1.EndpointPort{hfPort("postgresql", 5432)},
		hfEndpoint("10.0.0.1", "pg-0", true, false), hfEndpoint("10.0.0.2", "pg-1", true, false))
	cases := []struct {
		name   string
		change func(*discoveryv1.EndpointSlice)
		want   bool
	}{
		{"readiness flips", func(s *discoveryv1.EndpointSlice) {
			s.Endpoints[1].Conditions.Ready, s.Endpoints[1].Conditions.Serving = ptr.To(false), ptr.To(false)
		}, false},
		{"resourceVersion only", func(s *discoveryv1.EndpointSlice) { s.ResourceVersion = "2" }, false},
		{"terminating", func(s *discoveryv1.EndpointSlice) { s.Endpoints[1].Conditions.Terminating = ptr.To(true) }, true},
		{"rescheduled", func(s *discoveryv1.EndpointSlice) { s.Endpoints[1].Addresses = []string{"10.0.0.3"} }, true},
		{"removed", func(s *discoveryv1.EndpointSlice) { s.Endpoints = s.Endpoints[:1] }, true},
		{"port", func(s *discoveryv1.EndpointSlice) { s.Ports = []discoveryv1.EndpointPort{hfPort("postgresql", 5433)} }, true},
	}
	for _, tc := range cases {
		n := base.DeepCopy()
		tc.change(n)
		if got := sliceMembersChanged.Update(event.UpdateEvent{ObjectOld: base.DeepCopy(), ObjectNew: n}); got != tc.want {
			t.Errorf("%s: passes = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Each member kept is mapped to the Pod its slice names; a member of
// spec.hosts, one whose endpoint names no Pod, and one left out (the IPv6
// twin of a dual-stack Pod) are not.
func TestHostsFromPods(t *testing.T) {
	pgPort := []discoveryv1.EndpointPort{hfPort("postgresql", 5432)}
	other := hfEndpoint("10.0.0.3", "", true, false)
	other.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: "elsewhere", Name: "pg-9"}
	found, _ := endpointsOf([]discoveryv1.EndpointSlice{
		hfSlice("pg-6", discoveryv1.AddressTypeIPv6, pgPort, hfEndpoint("fd00::1", "pg-0", true, false)),
		hfSlice("pg-4", discoveryv1.AddressTypeIPv4, pgPort, hfEndpoint("10.0.0.1", "pg-0", true, false),
			hfEndpoint("10.0.0.2", "", true, false), other),
	}, portChoice{}, "pg", "db")
	kept, _ := mergeMembers(specHosts([]api.HostPort{{Host: "z.example"}}), found, maxMembers)
	got := podsOf(found, kept)
	want := map[observation.Endpoint]string{{Host: "10.0.0.1", Port: 5432}: "pg-0"}
	if !maps.Equal(got, want) {
		t.Errorf("pods %v, want %v", got, want)
	}
	stale := append(slices.Clone(found), discovered{Endpoint: observation.Endpoint{Host: "10.0.0.1", Port: 5432}, key: "x", pod: "pg-7"})
	if got := podsOf(stale, kept); got != nil {
		t.Errorf("pods with 10.0.0.1 named for two Pods = %v; want none", got)
	}
}
