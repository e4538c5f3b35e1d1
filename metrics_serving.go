package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// The names controller-runtime and cert-manager give a certificate and key
// in a directory (a kubernetes.io/tls Secret mounted as a volume).
const (
	metricsCertName = "tls.crt"
	metricsKeyName  = "tls.key"
)

// Secure metrics ask the API server about every caller (see metricsAuth),
// which takes these two rights. They are cluster-scoped: the chart grants
// them with a ClusterRole of their own even when the operator otherwise
// holds only namespace Roles.
// +kubebuilder:rbac:groups=authentication.k8s.io,resources=tokenreviews,verbs=create
// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create

// metricsServing turns the metrics flags into the manager's metrics server
// options. Secure, /metrics answers over HTTPS, and only to a caller whose
// bearer token the API server accepts and whose user RBAC lets GET the
// path: the endpoint tells which databases and slots exist and how they
// fare, which is not for every pod in the cluster. Plain HTTP is left for a
// workstation or a test, where no Kubernetes identity is at hand.
func metricsServing(o options) (metricsserver.Options, error) {
	opts := metricsserver.Options{BindAddress: o.metricsAddr}
	if o.metricsAddr == "0" {
		return opts, nil // no endpoint, nothing to secure
	}
	if !o.metricsSecure {
		if o.metricsCertDir != "" {
			return opts, errors.New("--metrics-cert-dir needs --metrics-secure: plain HTTP uses no certificate")
		}
		return opts, nil
	}
	if err := checkCertDir(o.metricsCertDir); err != nil {
		return opts, err
	}
	opts.SecureServing = true
	opts.FilterProvider = metricsAuth
	opts.CertDir, opts.CertName, opts.KeyName = o.metricsCertDir, metricsCertName, metricsKeyName
	opts.TLSOpts = []func(*tls.Config){http1Only}
	return opts, nil
}

// checkCertDir fails the start when a given directory lacks the certificate
// or the key. controller-runtime would quietly fall back to a self-signed
// certificate, and a Prometheus that checks the CA would then fail every
// scrape with an error far from the cause. Empty means self-signed on
// purpose.
func checkCertDir(dir string) error {
	if dir == "" {
		return nil
	}
	for _, name := range []string{metricsCertName, metricsKeyName} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("--metrics-cert-dir: %w", err)
		}
	}
	return nil
}

// http1Only turns HTTP/2 off on the metrics listener, as kubebuilder's
// scaffold does by default: a scrape gains nothing from it, and it brought
// denial-of-service bugs (HTTP/2 Rapid Reset, CVE-2023-44487) that
// HTTP/1.1 does not have.
func http1Only(c *tls.Config) {
	c.NextProtos = []string{"http/1.1"}
}
