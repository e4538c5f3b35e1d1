package main

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// servingCase is one set of metrics flags and the options it must give.
type servingCase struct {
	name    string
	o       options
	secure  bool
	certDir string
	wantErr string
}

func TestMetricsServing(t *testing.T) {
	certs, keyless := certDirs(t)
	for _, tc := range []servingCase{
		{name: "secure by default, self-signed", o: options{metricsAddr: ":8080", metricsSecure: true}, secure: true},
		{name: "secure with certificates", o: options{metricsAddr: ":8080", metricsSecure: true, metricsCertDir: certs},
			secure: true, certDir: certs},
		{name: "plain HTTP", o: options{metricsAddr: "127.0.0.1:9000"}},
		{name: "off: nothing to secure", o: options{metricsAddr: "0", metricsSecure: true, metricsCertDir: keyless}},
		{name: "a key is missing", o: options{metricsAddr: ":8080", metricsSecure: true, metricsCertDir: keyless},
			wantErr: "tls.key"},
		{name: "no such directory", o: options{metricsAddr: ":8080", metricsSecure: true, metricsCertDir: filepath.Join(certs, "nope")},
			wantErr: "tls.crt"},
		{name: "certificates over plain HTTP", o: options{metricsAddr: ":8080", metricsCertDir: certs},
			wantErr: "needs --metrics-secure"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantMetricsServing(t, tc) })
	}
}

// certDirs makes a directory with a certificate and a key, and one with
// only the certificate. The contents do not matter: only the server reads
// them, when it starts.
func certDirs(t *testing.T) (full, keyless string) {
	t.Helper()
	full, keyless = t.TempDir(), t.TempDir()
	for _, path := range []string{
		filepath.Join(full, metricsCertName), filepath.Join(full, metricsKeyName), filepath.Join(keyless, metricsCertName),
	} {
		if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return full, keyless
}

func wantMetricsServing(t *testing.T, tc servingCase) {
	t.Helper()
	got, err := metricsServing(tc.o)
	if tc.wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if got.BindAddress != tc.o.metricsAddr || got.SecureServing != tc.secure || got.CertDir != tc.certDir {
		t.Errorf("got address %q secure %v certDir %q; want %q %v %q",
			got.BindAddress, got.SecureServing, got.CertDir, tc.o.metricsAddr, tc.secure, tc.certDir)
	}
	// Without the filter, HTTPS would serve anyone who asks.
	if hasFilter := got.FilterProvider != nil; hasFilter != tc.secure {
		t.Errorf("authentication filter set: %v, want %v", hasFilter, tc.secure)
	}
	wantHTTP1Only(t, got.TLSOpts, tc.secure)
}

func wantHTTP1Only(t *testing.T, opts []func(*tls.Config), secure bool) {
	t.Helper()
	if !secure {
		if len(opts) > 0 {
			t.Errorf("%d TLS options on plain HTTP", len(opts))
		}
		return
	}
	// controller-runtime starts from h2 only; the options must replace it.
	c := &tls.Config{NextProtos: []string{"h2"}}
	for _, o := range opts {
		o(c)
	}
	if !slices.Equal(c.NextProtos, []string{"http/1.1"}) {
		t.Errorf("ALPN protocols %q, want only http/1.1", c.NextProtos)
	}
}
