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
		want      newcomerClaim
	}{
		{"nobody else holds it: the adoption rules", false, nil, claimAdopt},
		{"an own recreation ended uncertain: it may be that one", true, nil, claimOwn},
		{"another namespace's object made and owns it", false, owner, claimHolder},
		{"that owner wins over an own uncertain attempt", true, owner, claimHolder},
		{"another namespace's object adopted it", false, adopter, claimHolder},
		{"one still creating: its CREATE may have made it", false, creating, claimHolder},
		{"one being deleted keeps nothing", false, leaving, claimAdopt},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := judgeNewcomer(c.uncertain, c.holder); got != c.want {
				t.Fatalf("judgeNewcomer = %v, want %v", got, c.want)
			}
		})
	}
}
