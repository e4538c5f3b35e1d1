package observation

// ClusterMember is the member at host:port when it answered and belongs
// to the cluster (the system identifier the snapshot trusts), else nil: a
// member refused for another identifier is never acted on.
func (s *Snapshot) ClusterMember(host string, port int32) *Member {
	m := s.Member(host, port)
	if m == nil || m.Identity == nil || m.Identity.SystemIdentifier != s.SystemIdentifier {
		return nil
	}
	return m
}

// SameServer reports whether two listed members are one running server
// under two addresses (a Service name and a pod name, say): the same system
// identifier, role and postmaster start time. Two servers of one cluster
// started within the same microsecond (the resolution PostgreSQL reports)
// are not expected; if they were, a slot left on one would be forgotten,
// never the live one dropped.
func SameServer(a, b *Member) bool {
	if a == nil || b == nil || a.Identity == nil || b.Identity == nil {
		return false
	}
	x, y := a.Identity, b.Identity
	return x.SystemIdentifier == y.SystemIdentifier && x.InRecovery == y.InRecovery &&
		!x.PostmasterStart.IsZero() && x.PostmasterStart.Equal(y.PostmasterStart)
}
