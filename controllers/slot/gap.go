package slot

// Data gaps: the window of changes a recreated slot never decoded, and
// its acknowledgement.

import (
	"time"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"

	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// lastConfirmed is the later of the position in status (written at most
// every 30 s) and the one the monitor saw last.
func lastConfirmed(inStatus string, seen *postgres.LSN) string {
	st, err := postgres.ParseLSN(inStatus)
	if seen != nil && (err != nil || *seen > st) {
		return seen.String()
	}
	return inStatus
}

// recordGap adds g to the slot's data gaps, widening a window not yet
// acknowledged, and adds its bytes to the total.
func recordGap(rs *api.ReplicationSlot, g *api.DataGap) {
	rec := status.RecordGap(gapRecord(rs), rs.Annotations[api.AnnotationAcknowledgeDataGap], *g)
	rs.Status.LastDataGap, rs.Status.DataGaps = rec.Window, rec.Gaps
	if g.Bytes != nil {
		rs.Status.DataGapBytesTotal += *g.Bytes
	}
}

func gapRecord(rs *api.ReplicationSlot) status.GapRecord {
	return status.GapRecord{Window: rs.Status.LastDataGap, Gaps: rs.Status.DataGaps}
}

// applyGapAck keeps status in line with the acknowledge annotation: the
// gaps it clears leave status.dataGaps and, when it clears only the older
// ones, status.lastDataGap shrinks to the rest. A fully acknowledged
// window stays in lastDataGap as the record of the last loss.
func applyGapAck(rs *api.ReplicationSlot) {
	rec, _ := status.Acknowledge(gapRecord(rs), rs.Annotations[api.AnnotationAcknowledgeDataGap])
	rs.Status.LastDataGap, rs.Status.DataGaps = rec.Window, rec.Gaps
}

func newGap(reason, from string, to postgres.LSN) *api.DataGap {
	g := &api.DataGap{Reason: reason, FromLSN: from, ToLSN: to.String(), At: metav1.NewTime(time.Now().Truncate(time.Second))}
	if f, err := postgres.ParseLSN(from); err == nil && to >= f {
		b := int64(to - f)
		g.Bytes = &b
	}
	return g
}
