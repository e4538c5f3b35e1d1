package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
)

// A write when nothing changed is only actionable if the report says what
// was written: the status of every object is read at a window's start and
// end, flattened to paths (conditions keyed by type), and compared.

type statusChanges struct {
	Objects int            // objects whose status differs
	Paths   map[string]int // status path -> objects in which it differs
}

// statuses reads the status of every ReplicationSlot and PostgresServer of
// the namespace, flattened, by kind/name.
func (r *scaleRig) statuses(ctx context.Context) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	var slots api.ReplicationSlotList
	if err := r.c.List(ctx, &slots, client.InNamespace(scaleNS)); err != nil {
		return nil, err
	}
	for i := range slots.Items {
		out["rslot/"+slots.Items[i].Name] = flatten(slots.Items[i].Status)
	}
	var servers api.PostgresServerList
	if err := r.c.List(ctx, &servers, client.InNamespace(scaleNS)); err != nil {
		return nil, err
	}
	for i := range servers.Items {
		out["pgserver/"+servers.Items[i].Name] = flatten(servers.Items[i].Status)
	}
	return out, nil
}

func diffStatuses(before, after map[string]map[string]string) statusChanges {
	c := statusChanges{Paths: map[string]int{}}
	for name, a := range after {
		b := before[name]
		changed := false
		for _, p := range slices.Sorted(maps.Keys(unionKeys(a, b))) {
			if a[p] != b[p] {
				c.Paths[kindOf(name)+" "+p]++
				changed = true
			}
		}
		if changed {
			c.Objects++
		}
	}
	return c
}

func kindOf(name string) string {
	kind, _, _ := strings.Cut(name, "/")
	return kind
}

func unionKeys(a, b map[string]string) map[string]bool {
	u := map[string]bool{}
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

// flatten turns a status into path -> JSON value; list items that carry a
// "type" (conditions) are keyed by it, others by index.
func flatten(status any) map[string]string {
	raw, _ := json.Marshal(status)
	var v any
	_ = json.Unmarshal(raw, &v)
	out := map[string]string{}
	walk("status", v, out)
	return out
}

func walk(path string, v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			walk(path+"."+k, e, out)
		}
	case []any:
		for i, e := range x {
			key := fmt.Sprint(i)
			if m, ok := e.(map[string]any); ok && m["type"] != nil {
				key = fmt.Sprint(m["type"])
			}
			walk(fmt.Sprintf("%s[%s]", path, key), e, out)
		}
	default:
		raw, _ := json.Marshal(x)
		out[path] = string(raw)
	}
}
