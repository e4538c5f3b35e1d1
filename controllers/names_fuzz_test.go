package controllers

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
)

// celSlotName is the regular expression of the ReplicationSlot CEL rule
// `has(self.spec.slotName) || self.metadata.name.replace('-', '_').matches('^[a-z0-9_]{1,63}$')`
// and of the spec.slotName pattern. CEL matches with RE2 on code points, as
// Go's regexp does (invalid UTF-8 reads as U+FFFD and does not match).
var celSlotName = regexp.MustCompile(`^[a-z0-9_]{1,63}$`)

// crdAccepts models what the API server lets through for the slot name:
// spec.slotName, when set, must match the pattern; otherwise metadata.name
// must pass the CEL rule.
func crdAccepts(name, slotName string) bool {
	if slotName != "" {
		return celSlotName.MatchString(slotName)
	}
	return celSlotName.MatchString(strings.ReplaceAll(name, "-", "_"))
}

// FuzzSlotName checks SlotName against the CRD's rules. For every object the
// API server would accept, the derived name passes postgres.ValidateSlotName
// (so the operator never creates a mangled or truncated slot); for every
// object it refuses, ValidateSlotName refuses the derived name too, with
// ReasonInvalidName, which the reconciler reports as Stalled/InvalidSpec, so
// even an object that bypassed validation (an old CRD, a disabled
// ValidatingAdmissionPolicy) never reaches PostgreSQL. The derivation only
// turns '-' into '_', and it is injective over names the API server accepts
// (a DNS subdomain never contains '_').
func FuzzSlotName(f *testing.F) {
	for _, s := range [][2]string{
		{"orders-cdc", ""}, {"a-b-c", ""}, {"orders-cdc", "explicit_name"}, {"a", ""},
		{strings.Repeat("a", 63), ""}, {strings.Repeat("a", 64), ""}, {strings.Repeat("a-", 32), ""},
		{"orders.cdc", ""}, {"Orders", ""}, {"слот", ""}, {"slot🙂", ""}, {"_lead", ""}, {"-lead", ""},
		{"x'; drop table t; --", ""}, {"a\x00b", ""}, {"orders\n", ""}, {"", ""}, {"", "ok"},
		{"valid-name", "x'; DROP TABLE t; --"}, {"valid-name", "Orders"}, {"valid-name", strings.Repeat("a", 64)},
		{"valid-name", "слот"}, {"valid-name", "a\x00"}, {"a_b", ""}, {"a--b", ""}, {"\xff", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, name, slotName string) {
		rs := &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: api.ReplicationSlotSpec{SlotName: slotName}}
		got := rs.SlotName()
		accepted := crdAccepts(name, slotName)
		err := postgres.ValidateSlotName(got)
		if accepted && err != nil {
			t.Fatalf("the CRD accepts name=%q slotName=%q but slot name %q is invalid: %v", name, slotName, got, err)
		}
		if !accepted {
			var pe *postgres.Error
			if err == nil {
				t.Fatalf("the CRD refuses name=%q slotName=%q, yet slot name %q passes ValidateSlotName", name, slotName, got)
			}
			if !errors.As(err, &pe) || pe.Reason != postgres.ReasonInvalidName {
				t.Fatalf("ValidateSlotName(%q) = %v, want ReasonInvalidName (Stalled/InvalidSpec)", got, err)
			}
		}
		if slotName != "" {
			if got != slotName {
				t.Fatalf("SlotName = %q, want spec.slotName %q", got, slotName)
			}
			return
		}
		if len(got) != len(name) || strings.Contains(got, "-") {
			t.Fatalf("SlotName(%q) = %q", name, got)
		}
		for i := 0; i < len(name); i++ {
			if got[i] != name[i] && (name[i] != '-' || got[i] != '_') {
				t.Fatalf("SlotName(%q) = %q changes byte %d", name, got, i)
			}
		}
		again := &api.ReplicationSlot{ObjectMeta: metav1.ObjectMeta{Name: got}}
		if again.SlotName() != got {
			t.Fatalf("SlotName not idempotent on %q", got)
		}
		if accepted && len(validation.IsDNS1123Subdomain(name)) == 0 {
			// A name the API server takes maps back one to one.
			if back := strings.ReplaceAll(got, "_", "-"); back != name {
				t.Fatalf("slot name %q of %q does not map back (got %q): two objects could share it", got, name, back)
			}
		}
	})
}
