package cli

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

func TestCopyNote(t *testing.T) {
	since := &metav1.Time{Time: time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)}
	cases := []struct {
		name string
		in   api.SlotCopy
		want string
	}{
		{"a kept copy", api.SlotCopy{Host: "db-1"}, none},
		{"being created", api.SlotCopy{Host: "db-1", Pending: true}, "being created"},
		{"left behind", api.SlotCopy{Host: "db-1", Former: true}, "former primary"},
		{"unlisted", api.SlotCopy{Host: "db-1", UnlistedSince: since}, "not listed since 2026-12-06T20:00:00Z"},
		{"left behind, unlisted", api.SlotCopy{Host: "db-1", Former: true, UnlistedSince: since}, "forgotten an hour after"},
	}
	for _, tc := range cases {
		if got := copyNote(tc.in); !strings.Contains(got, tc.want) {
			t.Errorf("%s: copyNote = %q, want it to contain %q", tc.name, got, tc.want)
		}
	}
}

func TestCopyMember(t *testing.T) {
	if got := copyMember(api.SlotCopy{Host: "10.0.0.9", Port: 5432, Pod: "db-2"}); got != "10.0.0.9:5432 (Pod db-2)" {
		t.Errorf("with a Pod: %q", got)
	}
	if got := copyMember(api.SlotCopy{Host: "db.example", Port: 5432}); got != "db.example:5432" {
		t.Errorf("without: %q", got)
	}
}
