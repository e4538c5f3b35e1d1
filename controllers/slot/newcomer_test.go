package slot

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

func TestJudgeNewcomer(t *testing.T) {
	owner := &api.ReplicationSlot{Status: api.ReplicationSlotStatus{Owned: true, Origin: api.OriginCreated}}
	adopter := &api.ReplicationSlot{Status: api.ReplicationSlotStatus{Owned: true, Origin: api.OriginAdopted}}
	creating := &api.ReplicationSlot{Status: api.ReplicationSlotStatus{Origin: api.OriginCreated}}
	leaving := owner.DeepCopy()
	now := metav1.Now()
	leaving.DeletionTimestamp = &now
	cases := []struct {
		name      string
		uncertain bool
		holder    *api.ReplicationSlot
		waited    bool
		want      newcomerClaim
	}{
		{"nobody else holds it: the adoption rules", false, nil, false, claimAdopt},
		{"an own recreation ended uncertain: it may be that one", true, nil, false, claimOwn},
		{"another namespace's object made and owns it", false, owner, false, claimHolder},
		{"that owner wins over an own uncertain attempt", true, owner, false, claimHolder},
		{"another namespace's object adopted it", false, adopter, false, claimHolder},
		{"one still creating: its CREATE may have made it, wait", false, creating, false, claimWait},
		{"one still creating, before an own uncertain attempt: wait", true, creating, false, claimWait},
		{"one creating for longer than the grace: the adoption rules", false, creating, true, claimAdopt},
		{"... or the own uncertain attempt", true, creating, true, claimOwn},
		{"an owner keeps it however long it took", false, owner, true, claimHolder},
		{"one being deleted keeps nothing", false, leaving, false, claimAdopt},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := judgeNewcomer(c.uncertain, c.holder, c.waited); got != c.want {
				t.Fatalf("judgeNewcomer = %v, want %v", got, c.want)
			}
		})
	}
}
