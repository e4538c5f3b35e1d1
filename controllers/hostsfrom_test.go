package controllers_test

import (
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

// envtest runs no EndpointSlice controller: the specs write the slices as it
// does. The API server refuses loopback addresses in a slice, so each test
// PostgreSQL is reached through a forwarder on this machine's own address.
// Every forwarder has a port of its own, and a slice has one port list for
// all its endpoints, so each member gets a slice of its own, as the
// controller also does for Pods whose ports differ.
var _ = Describe("spec.hostsFrom", func() {
	It("follows the members a Service's EndpointSlices list", func() {
		ps, svc, p, sb, standbySlice := hfCluster()
		ns := ps.Namespace
		Eventually(hfMembers).WithArguments(ps).Should(Equal(map[string]api.MemberRole{
			p.Addr(): api.RolePrimary, sb.Addr(): api.RoleStandby}))
		Expect(get(ps).Status.Primary).To(Equal(p.Addr()))
		Expect(get(ps).Spec.Hosts).To(BeEmpty())

		By("slots on the primary and on the standby the slice lists")
		onPrimary := physicalSlot(ns, "hf-primary", "db")
		onStandby := physicalSlot(ns, "hf-standby", "db")
		onStandby.Spec.Location = &api.SlotLocation{Role: api.LocationStandby, Host: sb.Host, Port: int32(sb.Port)}
		Expect(k8s.Create(bg, onPrimary)).To(Succeed())
		Expect(k8s.Create(bg, onStandby)).To(Succeed())
		DeferCleanup(deleteAndWait, onPrimary)
		waitCondition(onPrimary, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		waitCondition(onStandby, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		Expect(slotExists(primary, "hf_primary")()).To(BeTrue())
		Expect(slotExists(standby, "hf_standby")()).To(BeTrue())

		By("the standby's slice deleted: no longer a member, its slot has no host")
		Expect(k8s.Delete(bg, standbySlice)).To(Succeed())
		Eventually(hfMembers).WithArguments(ps).Should(Equal(map[string]api.MemberRole{p.Addr(): api.RolePrimary}))
		c := waitCondition(onStandby, api.ConditionReady, metav1.ConditionFalse, api.ReasonInvalidSpec)
		Expect(c.Message).To(ContainSubstring("is not one of"))
		Expect(readyStatus(onPrimary)).To(Equal(metav1.ConditionTrue))

		By("a new slice lists it again")
		standbySlice = hfSliceFor(svc, sb, "db-2", nil)
		Eventually(hfMembers).WithArguments(ps).Should(HaveKeyWithValue(sb.Addr(), api.RoleStandby))
		waitCondition(onStandby, api.ConditionReady, metav1.ConditionTrue, api.ReasonAvailable)
		deleteAndWait(onStandby)
		Expect(slotExists(standby, "hf_standby")()).To(BeFalse())

		By("its endpoint terminating: no longer a member")
		patch := client.MergeFrom(standbySlice.DeepCopy())
		standbySlice.Endpoints[0].Conditions = hfConditions(false, true)
		Expect(k8s.Patch(bg, standbySlice, patch)).To(Succeed())
		Eventually(hfMembers).WithArguments(ps).Should(Equal(map[string]api.MemberRole{p.Addr(): api.RolePrimary}))
		Expect(readyStatus(ps)).To(Equal(metav1.ConditionTrue))
	})

	It("keeps a not-ready member and names a StatefulSet's pods by their DNS names", func() {
		ns := newNamespace()
		createSecret(ns, "pg", opRole, opPassword)
		svc := hfService(ns, "db")
		p, sb := hfForward(primary), hfForward(standby)
		hfSliceFor(svc, p, "db-0", nil)
		notReady := hfSliceFor(svc, sb, "db-1", nil)
		patch := client.MergeFrom(notReady.DeepCopy())
		notReady.Endpoints[0].Conditions = hfConditions(false, false)
		Expect(k8s.Patch(bg, notReady, patch)).To(Succeed())
		// A Pod whose spec.subdomain is the Service: the controller sets
		// hostname, and the member is its DNS name (here it resolves nowhere).
		hfSliceFor(svc, &pgtest.Server{Host: "10.255.255.1", Port: 5432}, "db-2", ptr.To("db-2"))
		ps := hfServer(ns, "db")

		waitCondition(ps, api.ConditionReady, metav1.ConditionTrue, api.ReasonConnected)
		Eventually(hfMembers).WithArguments(ps).Should(Equal(map[string]api.MemberRole{
			p.Addr(): api.RolePrimary, sb.Addr(): api.RoleStandby,
			"db-2.db." + ns + ".svc:5432": api.RoleUnreachable}))
	})
})

// hfForward starts a TCP forwarder to m on this machine's own address, and
// returns it as a server to list in a slice. The PostgresServer is deleted
// first (DeferCleanup runs last in, first out), so its pools go before the
// forwarder does.
func hfForward(m *pgtest.Server) *pgtest.Server {
	ln, err := net.Listen("tcp", net.JoinHostPort(hfHostIP(), "0"))
	Expect(err).NotTo(HaveOccurred())
	var mu sync.Mutex
	var conns []net.Conn
	DeferCleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", m.Addr())
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, up)
			mu.Unlock()
			go hfPipe(c, up)
			go hfPipe(up, c)
		}
	}()
	a := ln.Addr().(*net.TCPAddr)
	return &pgtest.Server{Host: a.IP.String(), Port: a.Port}
}

func hfPipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
}

// hfHostIP is this machine's first address a slice may hold: not loopback,
// not link-local.
func hfHostIP() string {
	addrs, err := net.InterfaceAddrs()
	Expect(err).NotTo(HaveOccurred())
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if ok && n.IP.To4() != nil && n.IP.IsGlobalUnicast() {
			return n.IP.String()
		}
	}
	// A machine with only loopback: give lo an address from the benchmark
	// range (RFC 2544), which the API server accepts in a slice.
	const spare = "198.18.0.10"
	out, err := exec.Command("ip", "addr", "add", spare+"/32", "dev", "lo").CombinedOutput()
	if strings.Contains(string(out), "File exists") {
		err = nil
	}
	Expect(err).NotTo(HaveOccurred(), "this machine has no IPv4 address besides loopback, which an EndpointSlice may not list, "+
		"and adding %s to lo failed (run as root with iproute2): %s", spare, out)
	return spare
}

// hfService is a headless Service over the PostgreSQL pods, as a StatefulSet
// or CloudNativePG declares one.
func hfService(ns, name string) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": name},
			Ports: []corev1.ServicePort{{Name: "postgresql", Port: 5432}}}}
	Expect(k8s.Create(bg, s)).To(Succeed())
	return s
}

// hfSliceFor writes the EndpointSlice the controller writes for one ready
// Pod of svc listening on m's port.
func hfSliceFor(svc *corev1.Service, m *pgtest.Server, pod string, hostname *string) *discoveryv1.EndpointSlice {
	es := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: svc.Namespace, GenerateName: svc.Name + "-",
			Labels: map[string]string{
				discoveryv1.LabelServiceName: svc.Name,
				discoveryv1.LabelManagedBy:   "endpointslice-controller.k8s.io",
			},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Service", Name: svc.Name, UID: svc.UID,
				Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}}},
		AddressType: hfAddressType(m.Host),
		Ports: []discoveryv1.EndpointPort{{Name: ptr.To("postgresql"), Protocol: ptr.To(corev1.ProtocolTCP),
			Port: ptr.To(int32(m.Port))}},
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{m.Host}, Conditions: hfConditions(true, false),
			Hostname: hostname, NodeName: ptr.To("node-1"),
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: svc.Namespace, Name: pod, UID: types.UID("uid-" + pod)}}},
	}
	Expect(k8s.Create(bg, es)).To(Succeed())
	return es
}

// hfConditions are an endpoint's conditions as the controller sets them: a
// terminating Pod is not ready, and serving while its readiness probe passes.
func hfConditions(ready, terminating bool) discoveryv1.EndpointConditions {
	return discoveryv1.EndpointConditions{Ready: ptr.To(ready && !terminating), Serving: ptr.To(ready || terminating),
		Terminating: ptr.To(terminating)}
}

func hfAddressType(host string) discoveryv1.AddressType {
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		return discoveryv1.AddressTypeIPv6
	}
	return discoveryv1.AddressTypeIPv4
}

// hfCluster serves the suite's primary and standby as Pods db-1 and db-2
// behind a Service db-r of a new namespace, and returns a PostgresServer
// following that Service once it is connected, the Service, both members'
// forwarders and the standby's slice.
func hfCluster() (*api.PostgresServer, *corev1.Service, *pgtest.Server, *pgtest.Server, *discoveryv1.EndpointSlice) {
	ns := newNamespace()
	createSecret(ns, "pg", opRole, opPassword)
	svc := hfService(ns, "db-r")
	p, sb := hfForward(primary), hfForward(standby)
	hfSliceFor(svc, p, "db-1", nil)
	standbySlice := hfSliceFor(svc, sb, "db-2", nil)
	ps := hfServer(ns, "db-r")
	waitCondition(ps, api.ConditionReady, metav1.ConditionTrue, api.ReasonConnected)
	return ps, svc, p, sb, standbySlice
}

// hfServer is a PostgresServer "db" with no spec.hosts, taking its members
// from service. It is deleted at the end, which stops its monitor.
func hfServer(ns, service string) *api.PostgresServer {
	ps := createServerWith(ns, "db", "pg", func(p *api.PostgresServer) {
		p.Spec.HostsFrom = &api.HostsFromSpec{Service: service}
	})
	DeferCleanup(deleteAndWait, ps)
	return ps
}

// hfMembers is status.members as host:port → role.
func hfMembers(ps *api.PostgresServer) map[string]api.MemberRole {
	out := map[string]api.MemberRole{}
	for _, m := range get(ps).Status.Members {
		out[net.JoinHostPort(m.Host, strconv.Itoa(int(m.Port)))] = m.Role
	}
	return out
}
