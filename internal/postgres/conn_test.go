package postgres

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	t.Setenv("PGOPTIONS", "-c search_path=evil")
	t.Setenv("PGSSLMODE", "verify-full")
	pc, err := ConnConfig{Host: "db", User: "u", Password: "pw", Database: "app"}.Config()
	if err != nil {
		t.Fatal(err)
	}
	if pc.Host != "db" || pc.Port != 5432 || pc.User != "u" || pc.Password != "pw" || pc.Database != "app" {
		t.Fatalf("unexpected target %s:%d %s/%s", pc.Host, pc.Port, pc.User, pc.Database)
	}
	if pc.TLSConfig != nil || len(pc.Fallbacks) != 0 {
		t.Fatal("TLS must be off by default and without fallbacks")
	}
	if pc.ConnectTimeout != DefaultConnectTimeout {
		t.Fatalf("connect timeout %v", pc.ConnectTimeout)
	}
	want := map[string]string{"application_name": "slotkeeper", "statement_timeout": "15000"}
	if len(pc.RuntimeParams) != len(want) {
		t.Fatalf("runtime params %v (environment leaked?)", pc.RuntimeParams)
	}
	for k, v := range want {
		if pc.RuntimeParams[k] != v {
			t.Fatalf("runtime param %s = %q, want %q", k, pc.RuntimeParams[k], v)
		}
	}
	pc, err = ConnConfig{Host: "db", User: "u", Port: 6000, StatementTimeout: 2 * time.Second, ConnectTimeout: time.Second}.Config()
	if err != nil || pc.Port != 6000 || pc.RuntimeParams["statement_timeout"] != "2000" || pc.ConnectTimeout != time.Second {
		t.Fatalf("explicit values not applied: %v", err)
	}
}

func TestConfigErrorsNeverContainPassword(t *testing.T) {
	const secret = "hunter2-secret"
	for _, c := range []ConnConfig{
		{User: "u", Password: secret},
		{Host: "h", Password: secret},
		{Host: "h", User: "u", Password: secret, Port: 70000},
		{Host: "h", User: "u", Password: secret, TLSMode: "prefer"},
		{Host: "h", User: "u", Password: secret, TLSMode: TLSVerifyCA},
		{Host: "h", User: "u", Password: secret, TLSMode: TLSVerifyCA, CACertPEM: []byte("junk")},
	} {
		_, err := c.Config()
		if err == nil {
			t.Fatalf("%+v: expected an error", c.TLSMode)
		}
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error leaks password: %v", err)
		}
		if _, err := c.PoolConfig(); err == nil {
			t.Fatal("PoolConfig should fail too")
		}
	}
	// A connection failure must not leak it either.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := Connect(ctx, ConnConfig{Host: "127.0.0.1", Port: closedPort(t), User: "u", Password: secret})
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("connect error: %v", err)
	}
}

func TestTLSModes(t *testing.T) {
	_, caPEM := newCA(t)
	base := ConnConfig{Host: "db.example", User: "u"}
	tests := []struct {
		mode     string
		ca       []byte
		skip     bool
		verifyFn bool
		server   string
	}{
		{mode: TLSRequire, skip: true},
		{mode: TLSRequire, ca: caPEM, skip: true, verifyFn: true}, // libpq: require + root cert = verify-ca
		{mode: TLSVerifyCA, ca: caPEM, skip: true, verifyFn: true},
		{mode: TLSVerifyFull, ca: caPEM, server: "db.example"},
		{mode: TLSVerifyFull, server: "db.example"},
	}
	for _, tt := range tests {
		c := base
		c.TLSMode, c.CACertPEM = tt.mode, tt.ca
		tc, err := c.tlsConfig()
		if err != nil || tc == nil {
			t.Fatalf("%s: %v", tt.mode, err)
		}
		if tc.InsecureSkipVerify != tt.skip || (tc.VerifyPeerCertificate != nil) != tt.verifyFn || tc.ServerName != tt.server {
			t.Errorf("%s (ca=%v): skip=%v verifyFn=%v server=%q", tt.mode, tt.ca != nil, tc.InsecureSkipVerify, tc.VerifyPeerCertificate != nil, tc.ServerName)
		}
	}
}

// TestVerifyCAHandshake does real TLS handshakes: verify-ca accepts a
// certificate for another host name signed by the CA and refuses one signed
// by a different CA; verify-full refuses the wrong host name.
func TestVerifyCAHandshake(t *testing.T) {
	ca, caPEM := newCA(t)
	other, _ := newCA(t)
	good := serveTLS(t, leaf(t, ca, "not-the-host"))
	bad := serveTLS(t, leaf(t, other, "127.0.0.1"))
	try := func(mode, addr string) error {
		tc, err := ConnConfig{Host: "127.0.0.1", User: "u", TLSMode: mode, CACertPEM: caPEM}.tlsConfig()
		if err != nil {
			t.Fatal(err)
		}
		conn, err := tls.Dial("tcp", addr, tc)
		if err == nil {
			_ = conn.Close()
		}
		return err
	}
	if err := try(TLSVerifyCA, good); err != nil {
		t.Errorf("verify-ca should accept a CA-signed cert with another name: %v", err)
	}
	if err := try(TLSVerifyCA, bad); err == nil {
		t.Error("verify-ca accepted a cert from another CA")
	} else if Classify(err).Transient {
		t.Errorf("a certificate failure must not be transient: %v", err)
	}
	if err := try(TLSVerifyFull, good); err == nil {
		t.Error("verify-full accepted a wrong host name")
	}
	if err := try(TLSRequire, bad); err == nil {
		t.Error("require with a CA configured must verify the chain, like libpq")
	}
}

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T) (testCA, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return testCA{cert, key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func leaf(t *testing.T, ca testCA, host string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// serveTLS accepts TLS connections on loopback and completes handshakes.
func serveTLS(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			_ = c.Close()
		}
	}()
	return ln.Addr().String()
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return port
}
