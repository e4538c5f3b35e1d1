package helm_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// manifest is one rendered document, converted to JSON.
type manifest struct {
	Kind, Name string
	JSON       []byte
}

// rendered is the output of one helm template run.
type rendered []manifest

// renderChart runs helm template for the release in its namespace; args
// add values (--set, -f).
func renderChart(t *testing.T, args ...string) rendered {
	t.Helper()
	base := []string{"template", release, chartDir(), "--namespace", namespace}
	return splitManifests(t, helm(t, append(base, args...)...))
}

// splitManifests decodes a multi-document YAML stream, dropping empty
// documents (templates whose condition is off render only a comment).
func splitManifests(t *testing.T, stream []byte) rendered {
	t.Helper()
	var out rendered
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("reading rendered YAML: %v", err)
		}
		m, ok := toManifest(t, doc)
		if ok {
			out = append(out, m)
		}
	}
}

func toManifest(t *testing.T, doc []byte) (manifest, bool) {
	t.Helper()
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatalf("rendered YAML does not parse: %v\n%s", err, doc)
	}
	if string(j) == "null" {
		return manifest{}, false
	}
	var head struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(j, &head); err != nil {
		t.Fatalf("rendered document is not an object: %v\n%s", err, doc)
	}
	return manifest{Kind: head.Kind, Name: head.Metadata.Name, JSON: j}, true
}

// kinds lists the rendered kinds in order, for messages and set checks.
func (r rendered) kinds() []string {
	var ks []string
	for _, m := range r {
		ks = append(ks, m.Kind)
	}
	return ks
}

// one returns the single document of a kind, or fails.
func (r rendered) one(t *testing.T, kind string) manifest {
	t.Helper()
	var found []manifest
	for _, m := range r {
		if m.Kind == kind {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one %s, rendered kinds: %v", kind, r.kinds())
	}
	return found[0]
}

// named returns the document of a kind and name, or fails: kinds such as
// ClusterRole come more than once.
func (r rendered) named(t *testing.T, kind, name string) manifest {
	t.Helper()
	for _, m := range r {
		if m.Kind == kind && m.Name == name {
			return m
		}
	}
	t.Fatalf("no %s %s rendered; kinds: %v", kind, name, r.kinds())
	return manifest{}
}

// decodeInto decodes a document into an API type, strictly: a field the type
// does not know is a typo in a template, which the API server would drop.
func decodeInto(t *testing.T, m manifest, into any) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(m.JSON))
	d.DisallowUnknownFields()
	if err := d.Decode(into); err != nil {
		t.Fatalf("%s %s: %v", m.Kind, m.Name, err)
	}
}

// decodeFile reads one YAML document of the repository into v.
func decodeFile(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// appVersion is the chart's appVersion, which the image tag defaults to.
func appVersion(t *testing.T) string {
	t.Helper()
	var chart struct {
		AppVersion string `json:"appVersion"`
	}
	decodeFile(t, "charts/slotkeeper/Chart.yaml", &chart)
	if chart.AppVersion == "" {
		t.Fatal("charts/slotkeeper/Chart.yaml has no appVersion")
	}
	return chart.AppVersion
}
