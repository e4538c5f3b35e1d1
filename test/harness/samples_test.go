package harness

import (
	"strings"
	"testing"
)

const rendered = `spec:
  hosts:
  - host: 127.0.0.1
    port: 5432
  - host: 127.0.0.1
    port: 5433
  other:
    port: 54321
`

func TestRewritePorts(t *testing.T) {
	tests := []struct {
		name             string
		primary, standby int
		want             []string
	}{
		{"free ports", 40001, 40002, []string{"port: 40001", "port: 40002", "port: 54321"}},
		// A demo port equal to the other sample port must not be rewritten twice.
		{"swapped", 5433, 5432, []string{"    port: 5433\n  - host", "    port: 5432\n  other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RewritePorts(rendered, map[string]int{"5432": tt.primary, "5433": tt.standby})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in\n%s", w, got)
				}
			}
		})
	}
}

func TestRewritePortsMissing(t *testing.T) {
	if _, err := RewritePorts("port: 5432\n", map[string]int{"5432": 1, "5433": 2}); err == nil {
		t.Fatal("want an error when a sample port is missing")
	}
}
