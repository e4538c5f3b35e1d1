package controllers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=get;list;watch

const (
	// maxMembers bounds a server's members as spec.hosts' MaxItems does:
	// the monitor probes every member on every poll.
	maxMembers = 16
	// defaultPort is PostgreSQL's port, for hosts and slices that name none.
	defaultPort = 5432
)

// discovered is one member an EndpointSlice lists. key names the backing
// Pod where the slice says which, so a Pod a dual-stack Service lists in an
// IPv4 and an IPv6 slice is one member: as two, its one primary would look
// like a split brain.
type discovered struct {
	observation.Endpoint
	key string
	// pod is the backing Pod's name, "" when the slice does not say.
	pod string
}

// members lists what the monitor probes: spec.hosts in their order, then the
// members spec.hostsFrom's EndpointSlices list, sorted so the configuration
// (and status.members) stays the same while the slices do.
// pods names the Pod behind each discovered member the slices name one for.
func (r *PostgresServerReconciler) members(ctx context.Context, ps *api.PostgresServer) (eps []observation.Endpoint, pods map[observation.Endpoint]string, o *status.Outcome) {
	explicit := specHosts(ps.Spec.Hosts)
	hf := ps.Spec.HostsFrom
	if hf == nil {
		return explicit, nil, nil
	}
	want, err := parseHostsFromPort(hf.Port)
	if err != nil {
		return nil, nil, status.Stall(api.ReasonInvalidSpec, err.Error())
	}
	var list discoveryv1.EndpointSliceList
	if err := r.List(ctx, &list, client.InNamespace(ps.Namespace),
		client.MatchingLabels{discoveryv1.LabelServiceName: hf.Service}); err != nil {
		return nil, nil, &status.Outcome{Phase: status.Retrying, Reason: api.ReasonError,
			Message: fmt.Sprintf("listing the EndpointSlices of Service %q: %v", hf.Service, err)}
	}
	found, noPort := endpointsOf(list.Items, want, hf.Service, ps.Namespace)
	all, cut := mergeMembers(explicit, found, maxMembers)
	if len(cut) > 0 {
		log.FromContext(ctx).Info("more members than a server may have: probing the first ones only",
			"max", maxMembers, "leftOut", cut)
	}
	if len(all) == 0 {
		return nil, nil, &status.Outcome{Phase: status.Retrying, Reason: api.ReasonServerUnavailable,
			Message: noMembersMessage(hf, noPort)}
	}
	return all, podsOf(found, all), nil
}

func specHosts(hosts []api.HostPort) []observation.Endpoint {
	out := make([]observation.Endpoint, 0, len(hosts))
	for _, h := range hosts {
		port := h.Port
		if port == 0 {
			port = defaultPort
		}
		out = append(out, observation.Endpoint{Host: h.Host, Port: port})
	}
	return out
}

func noMembersMessage(hf *api.HostsFromSpec, noPort []string) string {
	if len(noPort) > 0 {
		return fmt.Sprintf("spec.hostsFrom: EndpointSlices %s of Service %q have no TCP port named %q: fix spec.hostsFrom.port",
			strings.Join(noPort, ", "), hf.Service, hf.Port)
	}
	return fmt.Sprintf("spec.hostsFrom: no EndpointSlice labelled %s=%s lists a member that is not terminating: "+
		"check that the Service exists in this namespace, selects the PostgreSQL pods, and that they are scheduled",
		discoveryv1.LabelServiceName, hf.Service)
}

// portChoice is spec.hostsFrom.port parsed: a number, or a port name.
type portChoice struct {
	number int32
	name   string
}

func parseHostsFromPort(s string) (portChoice, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return portChoice{name: s}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return portChoice{}, fmt.Errorf("spec.hostsFrom.port %q is neither a port number (1-65535) nor a port name", s)
	}
	return portChoice{number: int32(n)}, nil
}

// slicePort is the PostgreSQL port of one slice's endpoints; false when
// the port asked for by name is not among the slice's.
func slicePort(ports []discoveryv1.EndpointPort, want portChoice) (int32, bool) {
	if want.number != 0 {
		return want.number, true
	}
	if want.name != "" {
		return namedPort(ports, want.name)
	}
	if tcp := tcpPorts(ports); len(tcp) == 1 {
		return *tcp[0].Port, true
	}
	for _, name := range []string{"postgresql", "postgres"} {
		if p, ok := namedPort(ports, name); ok {
			return p, true
		}
	}
	return defaultPort, true
}

// tcpPorts drops UDP/SCTP ports and the port-less entry meaning "all
// ports": neither says where PostgreSQL listens.
func tcpPorts(ports []discoveryv1.EndpointPort) []discoveryv1.EndpointPort {
	var out []discoveryv1.EndpointPort
	for _, p := range ports {
		if p.Port != nil && (p.Protocol == nil || *p.Protocol == "TCP") {
			out = append(out, p)
		}
	}
	return out
}

func namedPort(ports []discoveryv1.EndpointPort, name string) (int32, bool) {
	for _, p := range tcpPorts(ports) {
		if p.Name != nil && *p.Name == name {
			return *p.Port, true
		}
	}
	return 0, false
}

// endpointsOf turns slices into members; noPort names the slices that lack
// the port asked for by name.
func endpointsOf(list []discoveryv1.EndpointSlice, want portChoice, service, ns string) (found []discovered, noPort []string) {
	for i := range list {
		port, ok := slicePort(list[i].Ports, want)
		if !ok {
			noPort = append(noPort, list[i].Name)
			continue
		}
		found = append(found, sliceEndpoints(&list[i], port, service, ns)...)
	}
	return found, noPort
}

// sliceEndpoints lists a slice's members. A terminating endpoint is left
// out: its PostgreSQL is shutting down for good. A not-ready one stays: the
// monitor probes members itself, and a standby that fails its readiness
// probe (lagging, say) still holds slots.
func sliceEndpoints(s *discoveryv1.EndpointSlice, port int32, service, ns string) []discovered {
	var out []discovered
	for _, ep := range s.Endpoints {
		if len(ep.Addresses) == 0 || (ep.Conditions.Terminating != nil && *ep.Conditions.Terminating) {
			continue
		}
		// Every address of an endpoint reaches the same Pod: one is enough.
		d := discovered{Endpoint: observation.Endpoint{Host: ep.Addresses[0], Port: port}}
		if ep.Hostname != nil && *ep.Hostname != "" {
			// The Pod's stable DNS name behind its headless Service: it
			// survives rescheduling, and is what a verify-full certificate
			// names.
			d.Host = *ep.Hostname + "." + service + "." + ns + ".svc"
		}
		d.key = d.Addr()
		if t := ep.TargetRef; t != nil && t.Name != "" {
			d.key = t.Kind + "/" + t.Namespace + "/" + t.Name + ":" + strconv.Itoa(int(port))
			if t.Kind == "Pod" && (t.Namespace == "" || t.Namespace == ns) {
				d.pod = t.Name
			}
		}
		out = append(out, d)
	}
	return out
}

// mergeMembers appends the discovered members to the explicit ones, each
// once, IPv4 before IPv6 (so a dual-stack Pod is reached over IPv4), and
// cuts the list at max. It returns the addresses left out.
func mergeMembers(explicit []observation.Endpoint, found []discovered, max int) ([]observation.Endpoint, []string) {
	found = slices.Clone(found)
	slices.SortFunc(found, func(a, b discovered) int {
		return cmp.Or(cmp.Compare(isIPv6(a.Host), isIPv6(b.Host)), strings.Compare(a.Host, b.Host), cmp.Compare(a.Port, b.Port))
	})
	out := make([]observation.Endpoint, 0, len(explicit)+len(found))
	seen := map[string]bool{}
	add := func(e observation.Endpoint, key string) {
		if !seen[e.Addr()] && !seen[key] {
			seen[e.Addr()], seen[key] = true, true
			out = append(out, e)
		}
	}
	for _, e := range explicit {
		add(e, e.Addr())
	}
	for _, d := range found {
		add(d.Endpoint, d.key)
	}
	if len(out) <= max {
		return out, nil
	}
	var cut []string
	for _, e := range out[max:] {
		cut = append(cut, e.Addr())
	}
	return out[:max], cut
}

func isIPv6(host string) int {
	if strings.Contains(host, ":") {
		return 1
	}
	return 0
}
