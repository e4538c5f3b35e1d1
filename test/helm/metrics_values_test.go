package helm_test

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// saToken is where a pod finds its ServiceAccount's token; Prometheus sends
// its own to the operator.
const saToken = "/var/run/secrets/kubernetes.io/serviceaccount/token"

// TestSecureMetricsMonitor: by default the ServiceMonitor scrapes over HTTPS
// with Prometheus' token, without checking the self-signed certificate.
func TestSecureMetricsMonitor(t *testing.T) {
	needHelm(t)
	ep := monitorEndpoint(t, renderChart(t, "--set", "serviceMonitor.enabled=true"))
	wantSame(t, "secure ServiceMonitor endpoint", pick(ep, "port", "scheme", "bearerTokenFile", "tlsConfig"), map[string]any{
		"port": "https-metrics", "scheme": "https", "bearerTokenFile": saToken,
		"tlsConfig": map[string]any{"insecureSkipVerify": true},
	})
}

// TestMetricsCertSecret: a given certificate is mounted for the operator,
// and the ServiceMonitor checks it against its CA and the Service's name.
func TestMetricsCertSecret(t *testing.T) {
	needHelm(t)
	r := renderChart(t, "--set", "serviceMonitor.enabled=true", "--set", "metrics.certSecret=metrics-tls")
	d, c := deployment(t, r)
	const dir = "/etc/slotkeeper/metrics-certs"
	if !slices.Contains(c.Args, "--metrics-cert-dir="+dir) {
		t.Errorf("args %q lack --metrics-cert-dir=%s", c.Args, dir)
	}
	vols := d.Spec.Template.Spec.Volumes
	if len(vols) != 1 || vols[0].Secret == nil || vols[0].Secret.SecretName != "metrics-tls" {
		t.Errorf("volumes %+v: want the Secret metrics-tls", vols)
	}
	want := corev1.VolumeMount{Name: "metrics-certs", MountPath: dir, ReadOnly: true}
	wantSame(t, "volume mounts (the Secret's volume, no subPath: renewals would not show)", c.VolumeMounts, []corev1.VolumeMount{want})
	if len(vols) == 1 && vols[0].Name != want.Name {
		t.Errorf("volume %q, mounted %q", vols[0].Name, want.Name)
	}
	ep := monitorEndpoint(t, r)
	wantSame(t, "ServiceMonitor tlsConfig", ep["tlsConfig"], map[string]any{
		"ca":         map[string]any{"secret": map[string]any{"name": "metrics-tls", "key": "ca.crt"}},
		"serverName": release + "-metrics." + namespace + ".svc",
	})
	wantRenderError(t, "metrics.certSecret needs metrics.secure", "--set", "metrics.certSecret=x", "--set", "metrics.secure=false")
}

// TestPlainMetrics: metrics.secure=false serves plain HTTP, and takes away
// what only secure metrics need.
func TestPlainMetrics(t *testing.T) {
	needHelm(t)
	r := renderChart(t, "--set", "metrics.secure=false", "--set", "serviceMonitor.enabled=true")
	d, c := deployment(t, r)
	if !slices.Contains(c.Args, "--metrics-secure=false") {
		t.Errorf("args %q lack --metrics-secure=false", c.Args)
	}
	if containerPort(c, "http-metrics") != 8080 {
		t.Errorf("container ports %+v: want http-metrics on 8080", c.Ports)
	}
	for _, m := range r {
		if m.Name == release+"-metrics-auth" || m.Name == release+"-metrics-reader" {
			t.Errorf("%s %s rendered with plain metrics", m.Kind, m.Name)
		}
	}
	wantWiring(t, r, d, r.one(t, "ServiceAccount").Name)
	wantSame(t, "plain ServiceMonitor endpoint", pick(monitorEndpoint(t, r), "port", "scheme", "bearerTokenFile", "tlsConfig"),
		map[string]any{"port": "http-metrics"})
}

// monitorEndpoint is the ServiceMonitor's only endpoint.
func monitorEndpoint(t *testing.T, r rendered) map[string]any {
	t.Helper()
	endpoints, _ := toObject(t, r.one(t, "ServiceMonitor")).field("spec", "endpoints").([]any)
	if len(endpoints) != 1 {
		t.Fatalf("ServiceMonitor endpoints %v, want one", endpoints)
	}
	ep, _ := endpoints[0].(map[string]any)
	return ep
}

// pick keeps the keys of m that are set.
func pick(m map[string]any, keys ...string) map[string]any {
	out := map[string]any{}
	for _, k := range keys {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}
