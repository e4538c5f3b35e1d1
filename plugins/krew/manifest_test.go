// Package krew holds the krew plugin manifest; this test keeps it
// installable: the fields krew requires, one entry per platform the
// release builds, and the binary name kubectl looks for.
package krew

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// manifest is the part of krew's v1alpha2 Plugin this test checks.
type manifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string     `json:"version"`
		Homepage         string     `json:"homepage"`
		ShortDescription string     `json:"shortDescription"`
		Description      string     `json:"description"`
		Caveats          string     `json:"caveats"`
		Platforms        []platform `json:"platforms"`
	} `json:"spec"`
}

type platform struct {
	Selector struct {
		MatchLabels map[string]string `json:"matchLabels"`
	} `json:"selector"`
	URI    string `json:"uri"`
	SHA256 string `json:"sha256"`
	Bin    string `json:"bin"`
	Files  []struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"files"`
}

func load(t *testing.T) manifest {
	t.Helper()
	b, err := os.ReadFile("slotkeeper.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := yaml.UnmarshalStrict(b, &m); err != nil {
		t.Fatalf("slotkeeper.yaml: %v", err)
	}
	return m
}

func TestManifestHeader(t *testing.T) {
	m := load(t)
	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || m.Kind != "Plugin" {
		t.Errorf("apiVersion/kind = %s/%s", m.APIVersion, m.Kind)
	}
	// kubectl slotkeeper: the plugin name is the binary name minus kubectl-.
	if m.Metadata.Name != "slotkeeper" {
		t.Errorf("name = %q", m.Metadata.Name)
	}
	// krew-index asks for a short description under 50 characters.
	if d := m.Spec.ShortDescription; d == "" || len(d) > 70 || strings.Contains(d, "\n") {
		t.Errorf("shortDescription %q: one line, at most 70 characters", d)
	}
	if !regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(m.Spec.Version) || m.Spec.Description == "" {
		t.Errorf("version %q, description set: %v", m.Spec.Version, m.Spec.Description != "")
	}
}

func TestManifestPlatforms(t *testing.T) {
	m := load(t)
	want := map[string]bool{"linux/amd64": true, "linux/arm64": true, "darwin/amd64": true, "darwin/arm64": true, "windows/amd64": true}
	for _, p := range m.Spec.Platforms {
		key := p.Selector.MatchLabels["os"] + "/" + p.Selector.MatchLabels["arch"]
		if !want[key] {
			t.Errorf("unexpected or repeated platform %q", key)
		}
		delete(want, key)
		checkPlatform(t, key, p, m.Spec.Version)
	}
	for key := range want {
		t.Errorf("no platform %s", key)
	}
}

// checkPlatform: the archive of this version, a sha256-shaped checksum
// (zeros until the release fills it in) and the binary krew links.
func checkPlatform(t *testing.T, key string, p platform, version string) {
	t.Helper()
	bin := "kubectl-slotkeeper"
	if strings.HasPrefix(key, "windows/") {
		bin += ".exe"
	}
	if p.Bin != bin {
		t.Errorf("%s: bin = %q, want %q", key, p.Bin, bin)
	}
	if !strings.HasPrefix(p.URI, "https://github.com/slotkeeper/slotkeeper/releases/download/"+version+"/") ||
		!strings.Contains(p.URI, strings.ReplaceAll(key, "/", "_")) {
		t.Errorf("%s: uri %q does not name the release and platform", key, p.URI)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(p.SHA256) {
		t.Errorf("%s: sha256 %q is not 64 hex digits", key, p.SHA256)
	}
	if len(p.Files) == 0 || p.Files[0].From != bin {
		t.Errorf("%s: files must copy %s out of the archive", key, bin)
	}
}
