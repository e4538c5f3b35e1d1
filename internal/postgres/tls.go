package postgres

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// TLS modes, with libpq's sslmode semantics.
const (
	TLSDisable    = "disable"
	TLSRequire    = "require"
	TLSVerifyCA   = "verify-ca"
	TLSVerifyFull = "verify-full"
)

const (
	errMsgTLSMode     = "connection config: unknown TLS mode (want disable, require, verify-ca or verify-full)"
	errMsgCARequired  = "connection config: verify-ca needs a CA certificate"
	errMsgCAParse     = "connection config: CA certificate PEM contains no certificate"
	errMsgNoPeerCert  = "tls: server sent no certificate"
	errMsgPeerCertBad = "tls: cannot parse server certificate"
)

// tlsConfig returns nil for disable. Like libpq, "require" with a CA
// configured behaves as verify-ca.
func (c ConnConfig) tlsConfig() (*tls.Config, error) {
	mode := c.TLSMode
	if mode == TLSRequire && len(c.CACertPEM) > 0 {
		mode = TLSVerifyCA
	}
	switch mode {
	case "", TLSDisable:
		return nil, nil
	case TLSRequire:
		// Encryption without authentication of the server, as libpq does.
		return &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, nil //nolint:gosec // sslmode=require semantics
	case TLSVerifyCA:
		return c.verifyCAConfig()
	case TLSVerifyFull:
		return c.verifyFullConfig()
	}
	return nil, &Error{Reason: ReasonUnknown, Message: errMsgTLSMode}
}

func (c ConnConfig) caPool() (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(c.CACertPEM) {
		return nil, &Error{Reason: ReasonUnknown, Message: errMsgCAParse}
	}
	return pool, nil
}

// verifyCAConfig checks the chain against the CA but not the host name:
// Go has no such mode, so the standard verification is switched off and
// VerifyPeerCertificate does the chain check itself.
func (c ConnConfig) verifyCAConfig() (*tls.Config, error) {
	if len(c.CACertPEM) == 0 {
		return nil, &Error{Reason: ReasonUnknown, Message: errMsgCARequired}
	}
	roots, err := c.caPool()
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		InsecureSkipVerify:    true, //nolint:gosec // chain verified in VerifyPeerCertificate
		MinVersion:            tls.VersionTLS12,
		VerifyPeerCertificate: verifyChain(roots),
	}, nil
}

func verifyChain(roots *x509.CertPool) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New(errMsgNoPeerCert)
		}
		certs := make([]*x509.Certificate, 0, len(raw))
		for _, der := range raw {
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				return errors.New(errMsgPeerCertBad)
			}
			certs = append(certs, cert)
		}
		inter := x509.NewCertPool()
		for _, cert := range certs[1:] {
			inter.AddCert(cert)
		}
		_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
		return err
	}
}

// verifyFullConfig is standard TLS verification including the host name.
// Without a CA bundle the system roots are used.
func (c ConnConfig) verifyFullConfig() (*tls.Config, error) {
	cfg := &tls.Config{ServerName: c.Host, MinVersion: tls.VersionTLS12}
	if len(c.CACertPEM) > 0 {
		roots, err := c.caPool()
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = roots
	}
	return cfg, nil
}
