package grafana

import (
	"fmt"
	"regexp"
	"strings"
)

// Vars are values for Grafana's variables that make the expressions valid
// PromQL: the dashboard's own and the built-in intervals.
type Vars map[string]string

// StandIns matches every namespace, server and slot, keeps the lease
// variable's default (the operator's default Lease name), and gives the
// built-in intervals the values of a short range.
func StandIns() Vars {
	return Vars{"namespace": ".*", "server": ".*", "slot": ".*", "lease": "slotkeeper.pg.slotkeeper.dev",
		"__rate_interval": "1m", "__interval": "1m", "__range": "1h"}
}

// With returns a copy of v with the pairs k1, v1, k2, v2... set.
func (v Vars) With(kv ...string) Vars {
	out := Vars{}
	for k, val := range v {
		out[k] = val
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// variable matches $name, ${name}, ${name:format} and the old [[name]].
var variable = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)(?::[^}]*)?\}|\$([A-Za-z0-9_]+)|\[\[([A-Za-z0-9_]+)\]\]`)

// Expand replaces every Grafana variable of expr; one without a value is an
// error, so a misspelt variable fails rather than reaching PromQL.
func (v Vars) Expand(expr string) (string, error) {
	var missing []string
	out := variable.ReplaceAllStringFunc(expr, func(m string) string {
		sub := variable.FindStringSubmatch(m)
		name := sub[1] + sub[2] + sub[3]
		val, ok := v[name]
		if !ok {
			missing = append(missing, name)
		}
		return val
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("unknown Grafana variable(s) %s", strings.Join(missing, ", "))
	}
	return out, nil
}
