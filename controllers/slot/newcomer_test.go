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
		owner     *api.ReplicationSlot
		holder    *api.ReplicationSlot
		waited    bool
		want      newcomerClaim
	}{
		{"nobody else holds it: the adoption rules", false, nil, nil, false, claimAdopt},
		{"an own recreation ended uncertain: it may be that one", true, nil, nil, false, claimOwn},
		{"another namespace's object made and owns it", false, owner, owner, false, claimHolder},
		{"that owner wins over an own uncertain attempt", true, owner, owner, false, claimHolder},
		{"another namespace's object adopted it", false, adopter, adopter, false, claimHolder},
		{"an owner wins over another's creation mark", false, adopter, creating, false, claimHolder},
		{"one still creating: its CREATE may have made it, wait", false, nil, creating, false, claimWait},
		{"one still creating, before an own uncertain attempt: wait", true, nil, creating, false, claimWait},
		{"one creating for longer than the grace: the adoption rules", false, nil, creating, true, claimAdopt},
		{"... or the own uncertain attempt", true, nil, creating, true, claimOwn},
		{"an owner keeps it however long it took", false, owner, owner, true, claimHolder},
		{"an owner being deleted drops or releases it: wait", false, leaving, leaving, false, claimWait},
		{"... for the grace at most", false, leaving, leaving, true, claimAdopt},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := judgeNewcomer(c.uncertain, c.owner, c.holder, c.waited); got != c.want {
				t.Fatalf("judgeNewcomer = %v, want %v", got, c.want)
			}
		})
	}
}
