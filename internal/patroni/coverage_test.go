package patroni

import (
	"encoding/json"
	"reflect"
	"testing"
)

func cfgOf(t *testing.T, js string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

var (
	cdc  = Slot{Name: "orders_cdc", Type: "logical", Database: "orders", Plugin: "pgoutput"}
	phys = Slot{Name: "archiver", Type: "physical"}
)

func TestCovered(t *testing.T) {
	cases := []struct {
		name string
		cfg  string
		slot Slot
		want bool
	}{
		{"empty configuration", `{}`, cdc, false},
		{"exact entry", `{"ignore_slots":[{"name":"orders_cdc","type":"logical","database":"orders","plugin":"pgoutput"}]}`, cdc, true},
		{"name only", `{"ignore_slots":[{"name":"orders_cdc"}]}`, cdc, true},
		{"nameless matcher covers every slot of its kind", `{"ignore_slots":[{"type":"logical","plugin":"pgoutput"}]}`, cdc, true},
		{"another plugin", `{"ignore_slots":[{"name":"orders_cdc","plugin":"wal2json"}]}`, cdc, false},
		{"another type", `{"ignore_slots":[{"name":"archiver","type":"logical"}]}`, phys, false},
		{"another name", `{"ignore_slots":[{"name":"orders"}]}`, cdc, false},
		{"entry that is not an object", `{"ignore_slots":["orders_cdc"]}`, cdc, false},
		{"permanent physical slot", `{"slots":{"archiver":{"type":"physical"}}}`, phys, true},
		{"permanent slot without type is physical", `{"slots":{"archiver":{}}}`, phys, true},
		{"permanent slot with use_slots off", `{"slots":{"archiver":{"type":"physical"}},"postgresql":{"use_slots":false}}`, phys, false},
		{"permanent logical slot of the same plugin", `{"slots":{"orders_cdc":{"type":"logical","database":"orders","plugin":"pgoutput"}}}`, cdc, true},
		{"permanent logical slot of another database is dropped", `{"slots":{"orders_cdc":{"type":"logical","database":"other","plugin":"pgoutput"}}}`, cdc, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Covered(cfgOf(t, c.cfg), c.slot); got != c.want {
				t.Fatalf("Covered = %v, want %v", got, c.want)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	foreign := map[string]any{"name": "debezium", "type": "logical"}
	wildcard := map[string]any{"type": "physical"}
	ours := Entry(cdc)
	cases := []struct {
		name        string
		current     []any
		add, remove []Slot
		want        []any
		changed     bool
	}{
		{"adds to an empty list", nil, []Slot{cdc}, nil, []any{ours}, true},
		{"keeps foreign entries first, in order", []any{foreign}, []Slot{cdc}, nil, []any{foreign, ours}, true},
		{"idempotent", []any{foreign, ours}, []Slot{cdc}, nil, []any{foreign, ours}, false},
		{"a foreign matcher already covers it", []any{wildcard}, []Slot{phys}, nil, []any{wildcard}, false},
		{"removes only its own entry", []any{foreign, ours}, nil, []Slot{cdc}, []any{foreign}, true},
		{"never removes a foreign entry of the same name", []any{map[string]any{"name": "orders_cdc"}}, nil, []Slot{cdc}, []any{map[string]any{"name": "orders_cdc"}}, false},
		{"removing what is absent changes nothing", []any{foreign}, nil, []Slot{cdc}, []any{foreign}, false},
		{"keeps entries it cannot read", []any{"odd", 7.0}, []Slot{phys}, nil, []any{"odd", 7.0, Entry(phys)}, true},
		{"remove wins over add", []any{ours}, []Slot{cdc}, []Slot{cdc}, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, changed := Merge(c.current, c.add, c.remove)
			if changed != c.changed || !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Merge = %v (changed %v), want %v (changed %v)", got, changed, c.want, c.changed)
			}
			again, changed2 := Merge(got, c.add, c.remove)
			if changed2 || !reflect.DeepEqual(again, got) {
				t.Fatalf("second Merge changed %v to %v", got, again)
			}
		})
	}
}
