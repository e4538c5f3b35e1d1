package status

import "github.com/slotkeeper/slotkeeper/internal/postgres"

// Bounds of messages the operator writes. The API server refuses a
// condition message over 32768 bytes and an Event note over 1024: a longer
// one would fail the whole status write or lose the Event.
const (
	MaxConditionMessage = 4096
	MaxMemberMessage    = 1024
	MaxEventNote        = 1024
)

// Clip cuts s to at most n bytes on a rune boundary, marking the cut.
func Clip(s string, n int) string { return postgres.Clip(s, n) }
