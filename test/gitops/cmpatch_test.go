package gitops_test

import (
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// TestConfigMapPatchEmbedsScripts: argocd-cm-patch.yaml holds exactly the
// .lua files, byte for byte, so what is installed is what is tested
// (config/argocd/gen-cm-patch.sh regenerates it).
func TestConfigMapPatchEmbedsScripts(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(argoDir, "argocd-cm-patch.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict(raw, &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Kind != "ConfigMap" || cm.Name != "argocd-cm" || cm.Namespace != "argocd" {
		t.Errorf("patch targets %s %s/%s, want ConfigMap argocd/argocd-cm", cm.Kind, cm.Namespace, cm.Name)
	}
	if len(cm.Data) != len(healthScripts) {
		t.Errorf("patch has %d keys, want %d: %v", len(cm.Data), len(healthScripts), keys(cm.Data))
	}
	for kind, s := range healthScripts {
		if got, want := cm.Data[s.key], readScript(t, kind); got != want {
			t.Errorf("%s differs from %s: run config/argocd/gen-cm-patch.sh", s.key, s.file)
		}
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
