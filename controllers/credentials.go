package controllers

import (
	"context"
	"fmt"
	"time"

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
	defaultPollInterval = 5 * time.Second
	defaultDatabase     = "postgres"
)

// monitorConfig builds the monitor configuration of a server, reading its
// credentials (and CA) from Secrets in its namespace. A problem is returned
// as a Stalled outcome: a human has to create or fix the Secret.
func (r *PostgresServerReconciler) monitorConfig(ctx context.Context, ps *api.PostgresServer) (monitor.Config, *status.Outcome) {
	if o := invalidSpec(ps.Spec.Problems()); o != nil {
		return monitor.Config{}, o
	}
	user, password, o := r.credentials(ctx, ps)
	if o != nil {
		return monitor.Config{}, o
	}
	conn := postgres.ConnConfig{User: user, Password: password, Database: ps.Spec.Database, TLSMode: string(api.TLSRequire)}
	if conn.Database == "" {
		conn.Database = defaultDatabase
	}
	conn.Policy = r.HostPolicy
	for _, m := range ps.Spec.AuthMethods {
		conn.AuthMethods = append(conn.AuthMethods, string(m))
	}
	if t := ps.Spec.TLS; t != nil {
		if t.Mode != "" {
			conn.TLSMode = string(t.Mode)
		}
		if t.CASecretRef != nil {
			ca, o := r.secretKey(ctx, ps.Namespace, t.CASecretRef.Name, caKey(t.CASecretRef))
			if o != nil {
				return monitor.Config{}, o
			}
			conn.CACertPEM = ca
		}
	}
	if ps.Spec.ConnectTimeout != nil {
		conn.ConnectTimeout = ps.Spec.ConnectTimeout.Duration
	}
	cfg := monitor.Config{Conn: conn, PollInterval: defaultPollInterval, SystemIdentifier: ps.Status.SystemIdentifier}
	if ps.Spec.PollInterval != nil && ps.Spec.PollInterval.Duration > 0 {
		cfg.PollInterval = ps.Spec.PollInterval.Duration
	}
	members, o := r.members(ctx, ps)
	if o != nil {
		return monitor.Config{}, o
	}
	cfg.Members = members
	return cfg, nil
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
		return nil, stalled(api.ReasonCredentialsMissing,
			fmt.Sprintf("Secret %q not found in namespace %q: create it with keys username and password", name, ns))
	case err != nil:
		return nil, &status.Outcome{Phase: status.Retrying, Reason: api.ReasonError, Message: "reading Secret: " + err.Error()}
	}
	v, ok := s.Data[key]
	if !ok || len(v) == 0 {
		return nil, stalled(api.ReasonCredentialsMissing, fmt.Sprintf("Secret %q has no key %q", name, key))
	}
	return v, nil
}

func stalled(reason, msg string) *status.Outcome {
	return &status.Outcome{Phase: status.Stalled, Reason: reason, Message: msg}
}
