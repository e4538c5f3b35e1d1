package patroni

import "reflect"

// Slot is a declared slot as Patroni describes slots: type "logical" or
// "physical"; database and plugin only for logical slots.
type Slot struct {
	Name, Type, Database, Plugin string
}

// Entry is the ignore_slots entry slotkeeper writes for a slot: as narrow
// as the slot itself, so it never shields anybody else's slot.
func Entry(s Slot) map[string]any {
	e := map[string]any{"name": s.Name, "type": s.Type}
	if s.Type == "logical" {
		e["database"], e["plugin"] = s.Database, s.Plugin
	}
	return e
}

// IgnoreSlots returns the configuration's ignore_slots list as it is,
// foreign entries included; nil when absent or not a list.
func IgnoreSlots(cfg map[string]any) []any {
	l, _ := cfg["ignore_slots"].([]any)
	return l
}

// Covered reports whether Patroni would leave the slot alone: an
// ignore_slots matcher matches it, or a permanent slot of the same name and
// kind exists while use_slots is on. Matching follows Patroni (3.0 to 4.1
// alike): every field of a matcher is optional and an empty one matches
// anything.
func Covered(cfg map[string]any, s Slot) bool {
	for _, m := range IgnoreSlots(cfg) {
		if mm, ok := m.(map[string]any); ok && matches(mm, s) {
			return true
		}
	}
	return permanent(cfg, s)
}

func matches(m map[string]any, s Slot) bool {
	for key, want := range map[string]string{"name": s.Name, "type": s.Type, "database": s.Database, "plugin": s.Plugin} {
		v, present := m[key]
		if !present || v == nil || v == "" {
			continue
		}
		if str, ok := v.(string); !ok || str != want {
			return false
		}
	}
	return true
}

// permanent: Patroni keeps a slot it manages itself, but drops one whose
// kind, database or plugin differ from its definition.
func permanent(cfg map[string]any, s Slot) bool {
	if pg, ok := cfg["postgresql"].(map[string]any); ok && pg["use_slots"] == false {
		return false
	}
	slots, _ := cfg["slots"].(map[string]any)
	def, ok := slots[s.Name].(map[string]any)
	if !ok {
		return false
	}
	typ, _ := def["type"].(string)
	if typ == "" {
		typ = "physical"
	}
	if typ != s.Type {
		return false
	}
	return typ != "logical" || (def["database"] == s.Database && def["plugin"] == s.Plugin)
}

// Merge returns the ignore_slots list with an entry for every slot in add
// that no entry covers yet, and without the entries slotkeeper wrote for
// the slots in remove. Foreign entries are kept exactly as they are, in
// their order. changed is false when the list needs no write.
func Merge(current []any, add, remove []Slot) (out []any, changed bool) {
	for _, e := range current {
		if isEntryOf(e, remove) {
			changed = true
			continue
		}
		out = append(out, e)
	}
	cfg := map[string]any{"ignore_slots": out}
	for _, s := range add {
		if isEntryOf(Entry(s), remove) || Covered(cfg, s) {
			continue
		}
		out = append(out, Entry(s))
		cfg["ignore_slots"] = out
		changed = true
	}
	return out, changed
}

// isEntryOf: e is exactly the entry slotkeeper writes for one of slots.
func isEntryOf(e any, slots []Slot) bool {
	m, ok := e.(map[string]any)
	if !ok {
		return false
	}
	for _, s := range slots {
		if reflect.DeepEqual(m, Entry(s)) {
			return true
		}
	}
	return false
}

// HasEntry: the list holds exactly slotkeeper's entry for s.
func HasEntry(cfg map[string]any, s Slot) bool {
	for _, e := range IgnoreSlots(cfg) {
		if isEntryOf(e, []Slot{s}) {
			return true
		}
	}
	return false
}
