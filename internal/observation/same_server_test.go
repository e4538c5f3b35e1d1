package observation

import (
	"testing"
	"time"

	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

func TestSameServerAndClusterMember(t *testing.T) {
	start := time.Date(2026, 12, 5, 10, 0, 0, 123, time.UTC)
	id := func(sysid string, standby bool, at time.Time) *postgres.Identity {
		return &postgres.Identity{SystemIdentifier: sysid, InRecovery: standby, PostmasterStart: at}
	}
	svc := Member{Endpoint: Endpoint{Host: "svc", Port: 5432}, Identity: id("1", true, start)}
	pod := Member{Endpoint: Endpoint{Host: "pod-1", Port: 5432}, Identity: id("1", true, start)}
	other := Member{Endpoint: Endpoint{Host: "pod-2", Port: 5432}, Identity: id("1", true, start.Add(time.Nanosecond))}
	foreign := Member{Endpoint: Endpoint{Host: "elsewhere", Port: 5432}, Identity: id("2", true, start)}
	down := Member{Endpoint: Endpoint{Host: "down", Port: 5432}}
	cases := []struct {
		name string
		a, b *Member
		want bool
	}{
		{"one standby under two names", &svc, &pod, true},
		{"two standbys", &pod, &other, false},
		{"another cluster", &pod, &foreign, false},
		{"an unreachable member", &pod, &down, false},
		{"a primary and a standby", &Member{Identity: id("1", false, start)}, &pod, false},
		{"no start time known", &Member{Identity: id("1", true, time.Time{})}, &Member{Identity: id("1", true, time.Time{})}, false},
	}
	for _, tc := range cases {
		if got := SameServer(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
	s := &Snapshot{Members: []Member{svc, foreign, down}, SystemIdentifier: "1"}
	if s.ClusterMember("svc", 5432) == nil {
		t.Error("a member of the cluster was not found")
	}
	if s.ClusterMember("elsewhere", 5432) != nil || s.ClusterMember("down", 5432) != nil || s.ClusterMember("nowhere", 1) != nil {
		t.Error("a refused, unreachable or unlisted member was returned")
	}
}
