package controllers

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/internal/monitor"
	"github.com/slotkeeper/slotkeeper/internal/postgres"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// Defaults applied when the API server did not (objects created before a
// default existed, or tests that bypass defaulting).
const (
	defaultDatabase = "postgres"
)

// monitorConfig builds the monitor configuration of a server, reading its
// credentials (and CA) from Secrets in its namespace. A problem is returned
// as a Stalled outcome: a human has to create or fix the Secret.
func (r *PostgresServerReconciler) monitorConfig(ctx context.Context, ps *api.PostgresServer) (monitor.Config, *status.Outcome) {
	if o := status.InvalidSpec(ps.Spec.Problems()); o != nil {
		return monitor.Config{}, o
	}
	conn, o := r.connConfig(ctx, ps)
	if o != nil {
		return monitor.Config{}, o
	}
	cfg := monitor.Config{Conn: conn, PollInterval: ps.Spec.PollEvery(), SystemIdentifier: ps.Status.SystemIdentifier,
		UnmanagedBudget: unmanagedBudget(ps)}
	members, pods, o := r.members(ctx, ps)
	if o != nil {
		return monitor.Config{}, o
	}
	cfg.Members, cfg.Pods = members, pods
	return cfg, nil
}

// connConfig is how to connect to every member: the credentials, TLS and
// its CA from Secrets, the allowed authentication methods and the host
// policy.
func (r *PostgresServerReconciler) connConfig(ctx context.Context, ps *api.PostgresServer) (postgres.ConnConfig, *status.Outcome) {
	user, password, o := r.credentials(ctx, ps)
	if o != nil {
		return postgres.ConnConfig{}, o
	}
	conn := postgres.ConnConfig{User: user, Password: password, Database: ps.Spec.Database,
		TLSMode: string(api.TLSRequire), Policy: r.HostPolicy}
	if conn.Database == "" {
		conn.Database = defaultDatabase
	}
	for _, m := range ps.Spec.AuthMethods {
		conn.AuthMethods = append(conn.AuthMethods, string(m))
	}
	if ps.Spec.ConnectTimeout != nil {
		conn.ConnectTimeout = ps.Spec.ConnectTimeout.Duration
	}
	return conn, r.applyTLS(ctx, ps, &conn)
}

// applyTLS sets the TLS mode and reads the CA the spec names.
func (r *PostgresServerReconciler) applyTLS(ctx context.Context, ps *api.PostgresServer, conn *postgres.ConnConfig) *status.Outcome {
	t := ps.Spec.TLS
	if t == nil {
		return nil
	}
	if t.Mode != "" {
		conn.TLSMode = string(t.Mode)
	}
	if t.CASecretRef == nil {
		return nil
	}
	ca, o := r.secretKey(ctx, ps.Namespace, t.CASecretRef.Name, caKey(t.CASecretRef))
	conn.CACertPEM = ca
	return o
}

func caKey(ref *api.SecretKeyReference) string {
	if ref.Key == "" {
		return "ca.crt"
	}
	return ref.Key
}

func (r *PostgresServerReconciler) credentials(ctx context.Context, ps *api.PostgresServer) (string, string, *status.Outcome) {
	name := ps.Spec.CredentialsSecretRef.Name
	user, o := r.secretKey(ctx, ps.Namespace, name, corev1.BasicAuthUsernameKey)
	if o != nil {
		return "", "", o
	}
	password, o := r.secretKey(ctx, ps.Namespace, name, corev1.BasicAuthPasswordKey)
	if o != nil {
		return "", "", o
	}
	return string(user), string(password), nil
}

// secretKey reads one key of a Secret. The value is never logged.
func (r *PostgresServerReconciler) secretKey(ctx context.Context, ns, name, key string) ([]byte, *status.Outcome) {
	var s corev1.Secret
	err := r.SecretReader.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &s)
	switch {
	case apierrors.IsNotFound(err):
		return nil, status.Stall(api.ReasonCredentialsMissing,
			fmt.Sprintf("Secret %q not found in namespace %q: create it with keys username and password", name, ns))
	case err != nil:
		return nil, &status.Outcome{Phase: status.Retrying, Reason: api.ReasonError, Message: "reading Secret: " + err.Error()}
	}
	v, ok := s.Data[key]
	if !ok || len(v) == 0 {
		return nil, status.Stall(api.ReasonCredentialsMissing, fmt.Sprintf("Secret %q has no key %q", name, key))
	}
	return v, nil
}
