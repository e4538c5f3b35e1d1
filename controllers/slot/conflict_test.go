package slot

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

func conflictObj(ns, name, server string, owned bool) *api.ReplicationSlot {
	rs := &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: api.ReplicationSlotSpec{ServerRef: api.LocalObjectReference{Name: server}, SlotName: "shared"}}
	rs.Status.Owned = owned
	return rs
}

// TestCompetitorsByTeam: objects of the own namespace compete by age;
// another namespace's object (matched through an endpoint it chose) only
// counts as the holder of the slot, and only where adoption is weighed.
func TestCompetitorsByTeam(t *testing.T) {
	me := conflictObj("a", "x", "db", false)
	others := []api.ReplicationSlot{*conflictObj("b", "older", "db", false), *conflictObj("a", "y", "db2", false),
		*conflictObj("c", "holder", "db", true), *conflictObj("a", "z", "db", true)}
	var team []string
	for _, o := range sameTeam(me, others) {
		team = append(team, o.Name)
	}
	if strings.Join(team, ",") != "y,z" {
		t.Errorf("sameTeam = %v, want [y z]", team)
	}
	if h := otherTeamHolder(me, others); h == nil || h.Name != "holder" {
		t.Errorf("otherTeamHolder = %v, want holder", h)
	}
	if h := otherTeamHolder(me, others[:2]); h != nil {
		t.Errorf("otherTeamHolder of objects that own nothing = %s, want none", h.Name)
	}
}

// TestJudgeCompetitors: a namespace's own objects decide by ownership and
// age; another namespace's owner only withholds adoption.
func TestJudgeCompetitors(t *testing.T) {
	me := conflictObj("a", "x", "db", false)
	me.UID = "me"
	older := *conflictObj("a", "y", "db", true)
	elsewhere := *conflictObj("b", "z", "db", true)
	if c, h := judgeCompetitors(me, []api.ReplicationSlot{older, elsewhere}); c == "" || h != "" {
		t.Errorf("own team's owner: conflict %q, held %q; want a conflict only", c, h)
	}
	if c, h := judgeCompetitors(me, []api.ReplicationSlot{elsewhere}); c != "" || h == "" {
		t.Errorf("other team's owner: conflict %q, held %q; want held only", c, h)
	}
	if c, h := judgeCompetitors(me, nil); c != "" || h != "" {
		t.Errorf("alone: conflict %q, held %q", c, h)
	}
	creating := *conflictObj("b", "z", "db", false)
	creating.Status.Origin = api.OriginCreated
	if c, h := judgeCompetitors(me, []api.ReplicationSlot{creating}); c != "" || h == "" {
		t.Errorf("other team creating it: conflict %q, held %q; want held only", c, h)
	}
	// Both own it after a race: the adopter yields to the creator, never
	// the other way round.
	creator := *conflictObj("b", "z", "db", true)
	creator.Status.Origin = api.OriginCreated
	adopter := conflictObj("a", "x", "db", true)
	adopter.UID, adopter.Status.Origin = "me", api.OriginAdopted
	if c, _ := judgeCompetitors(adopter, []api.ReplicationSlot{creator}); c == "" {
		t.Error("an adopter beside another namespace's creator must yield")
	}
	other := *adopter
	other.Namespace, other.UID = "b", "other"
	mine := conflictObj("a", "x", "db", true)
	mine.UID, mine.Status.Origin = "me", api.OriginCreated
	if c, h := judgeCompetitors(mine, []api.ReplicationSlot{other}); c != "" || h != "" {
		t.Errorf("a creator beside another namespace's adopter: conflict %q, held %q; want neither", c, h)
	}
	if c, h := judgeCompetitors(adopter, []api.ReplicationSlot{other}); c != "" || h != "" {
		t.Errorf("two adopters: conflict %q, held %q; want neither (no one can tell)", c, h)
	}
}

// TestConflictMessage: an owner in another namespace is never named.
func TestConflictMessage(t *testing.T) {
	me := conflictObj("team-a", "mine", "db", false)
	cases := []struct {
		owner          *api.ReplicationSlot
		want, withheld []string
	}{
		{conflictObj("team-a", "theirs", "db", true), []string{`"theirs"`, `"shared"`, `"db"`}, nil},
		{conflictObj("team-a", "theirs", "db2", true), []string{`"theirs"`, `"db2"`, "same PostgreSQL cluster"}, nil},
		{conflictObj("team-b", "secret-project", "prod-db", true), []string{"another namespace", `"shared"`},
			[]string{"team-b", "secret-project", "prod-db"}},
	}
	for _, tc := range cases {
		msg := conflictMessage(tc.owner, me)
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("message %q lacks %s", msg, w)
			}
		}
		for _, w := range tc.withheld {
			if strings.Contains(msg, w) {
				t.Errorf("message %q reveals %s", msg, w)
			}
		}
	}
}
