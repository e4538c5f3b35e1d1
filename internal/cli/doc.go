// Package cli is kubectl-slotkeeper, the kubectl plugin for slotkeeper: a
// fleet status ranked by risk, one slot explained, data gaps acknowledged
// and unmanaged slots listed. It reads only through the API server and
// writes one thing, the acknowledge-data-gap annotation: it never connects
// to PostgreSQL and never drops a slot.
//
// The commands are thin: they fetch objects through Reader and hand them to
// pure functions (rows.go, risk.go, story.go, next.go, gap.go) that the
// table tests cover.
package cli
