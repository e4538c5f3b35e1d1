package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	api "github.com/slotkeeper/slotkeeper/api/v1alpha1"
	"github.com/slotkeeper/slotkeeper/controllers/slot"
	"github.com/slotkeeper/slotkeeper/internal/observation"
	"github.com/slotkeeper/slotkeeper/internal/patroni"
	"github.com/slotkeeper/slotkeeper/internal/status"
)

// maxUncoveredListed caps status.haManager.uncovered.
const maxUncoveredListed = 50

// patroniObserveEvery: the server reconcile reads Patroni's configuration
// at most this often (it runs on every change the monitor sees).
const patroniObserveEvery = 10 * time.Second

// observeHAManager reports the HA manager that runs the cluster and, with
// spec.patroni, whether Patroni's configuration covers every declared
// slot. It never changes Patroni's configuration: the slots' reconciles
// add and remove their own entries.
func (r *PostgresServerReconciler) observeHAManager(ctx context.Context, ps *api.PostgresServer, snap *observation.Snapshot,
	slots []api.ReplicationSlot) *status.HAInputs {
	in := &status.HAInputs{Generation: ps.Generation, Detected: detectedHAManager(snap), Declared: len(slots)}
	key := client.ObjectKeyFromObject(ps)
	if ps.Spec.Patroni == nil {
		r.Patroni.Remove(key)
		ps.Status.HAManager = detectedStatus(in.Detected, snap)
		return in
	}
	in.Configured, in.Mode = true, ps.Spec.Patroni.IgnoreSlotsMode()
	ha := &api.HAManagerStatus{Name: status.HAManagerPatroni, DetectedBy: "restapi"}
	if ps.Status.HAManager != nil && ps.Status.HAManager.Name == status.HAManagerPatroni {
		ha.Version, ha.Scope = ps.Status.HAManager.Version, ps.Status.HAManager.Scope
	}
	ps.Status.HAManager = ha
	k, err := r.patroniKeeper(ctx, ps)
	if err == nil {
		err = readCoverage(ctx, k, ha, slots, r.Conns.Timeout(key))
	}
	if err == nil && in.Mode == api.IgnoreSlotsManage {
		// Reads need no rights; the slots' writes say whether Patroni lets
		// slotkeeper keep its entries.
		err = k.WriteErr()
	}
	if err != nil {
		in.ErrReason, in.ErrMessage = haErrorReason(err), err.Error()
		return in
	}
	in.Uncovered, in.Entries = ha.Uncovered, ha.IgnoreSlotsEntries
	return in
}

func readCoverage(ctx context.Context, k *patroni.Keeper, ha *api.HAManagerStatus, slots []api.ReplicationSlot, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, 2*timeout)
	defer cancel()
	cfg, err := k.Observe(ctx, patroniObserveEvery)
	if err != nil {
		return err
	}
	if info, err := k.Info(ctx); err == nil {
		ha.Version, ha.Scope = info.Version, info.Scope
	}
	ha.Uncovered, ha.IgnoreSlotsEntries = nil, 0
	for i := range slots {
		s := slot.PatroniEntry(&slots[i])
		if patroni.HasEntry(cfg, s) {
			ha.IgnoreSlotsEntries++
		}
		if !patroni.Covered(cfg, s) {
			ha.Uncovered = append(ha.Uncovered, s.Name)
		}
	}
	// Sorted: the informer's order changes between calls, and status must
	// not change when nothing did.
	slices.Sort(ha.Uncovered)
	if len(ha.Uncovered) > maxUncoveredListed {
		ha.Uncovered = ha.Uncovered[:maxUncoveredListed]
	}
	return nil
}

// detectedHAManager is the HA manager whose sessions the primary (or,
// without one, any member) shows.
func detectedHAManager(snap *observation.Snapshot) string {
	if snap == nil {
		return ""
	}
	for i := range snap.Members {
		if id := snap.Members[i].Identity; id != nil && id.HAManager != "" {
			return id.HAManager
		}
	}
	return ""
}

func detectedStatus(name string, snap *observation.Snapshot) *api.HAManagerStatus {
	if name == "" {
		return nil
	}
	ha := &api.HAManagerStatus{Name: name, DetectedBy: "pg_stat_activity"}
	for i := range snap.Members {
		if id := snap.Members[i].Identity; id != nil && id.HAManager == name && name == status.HAManagerPatroni {
			// Patroni sets cluster_name to its scope unless told otherwise.
			ha.Scope = id.ClusterName
		}
	}
	return ha
}

// patroniKeeper returns the server's keeper, rebuilt when spec.patroni or
// its Secrets changed.
func (r *PostgresServerReconciler) patroniKeeper(ctx context.Context, ps *api.PostgresServer) (*patroni.Keeper, error) {
	p := ps.Spec.Patroni
	s := patroni.Settings{URLs: p.URLs, Timeout: r.Conns.Timeout(client.ObjectKeyFromObject(ps))}
	if r.HostPolicy != nil {
		s.Dialer = r.HostPolicy.Dialer()
	}
	if ref := p.CredentialsSecretRef; ref != nil {
		user, o := r.secretKey(ctx, ps.Namespace, ref.Name, corev1.BasicAuthUsernameKey)
		if o != nil {
			return nil, &patroni.Error{Kind: patroni.KindRefused, Message: o.Message}
		}
		pass, o := r.secretKey(ctx, ps.Namespace, ref.Name, corev1.BasicAuthPasswordKey)
		if o != nil {
			return nil, &patroni.Error{Kind: patroni.KindRefused, Message: o.Message}
		}
		s.Username, s.Password = string(user), string(pass)
	}
	if ref := p.CASecretRef; ref != nil {
		ca, o := r.secretKey(ctx, ps.Namespace, ref.Name, caKey(ref))
		if o != nil {
			return nil, &patroni.Error{Kind: patroni.KindRefused, Message: o.Message}
		}
		s.CAPEM = ca
	}
	return r.Patroni.Configure(client.ObjectKeyFromObject(ps), s, settingsFingerprint(s))
}

// settingsFingerprint identifies the settings without keeping the
// password in memory as text.
func settingsFingerprint(s patroni.Settings) string {
	h := sha256.New()
	for _, part := range []string{strings.Join(s.URLs, "\n"), s.Username, s.Password, string(s.CAPEM), s.Timeout.String()} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func haErrorReason(err error) string {
	var pe *patroni.Error
	if !errors.As(err, &pe) {
		return api.ReasonHAManagerUnreachable
	}
	switch pe.Kind {
	case patroni.KindUnauthorized:
		return api.ReasonHAManagerUnauthorized
	case patroni.KindRefused:
		return api.ReasonHAManagerRefused
	}
	return api.ReasonHAManagerUnreachable
}
