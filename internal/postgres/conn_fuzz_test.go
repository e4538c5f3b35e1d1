package postgres

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"maps"
	"math/big"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// fuzzCAPEM is a self-signed CA certificate in PEM form.
func fuzzCAPEM(tb testing.TB) []byte {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fuzz ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

var fuzzTLSModes = []string{"", TLSDisable, TLSRequire, TLSVerifyCA, TLSVerifyFull, "prefer", "allow", "VERIFY-FULL"}

// connConfigWantsError is the documented rule: host and user are required,
// the port is 0 (default) to 65535, the TLS mode is known, verify-ca needs a
// CA, and a CA given must parse.
func connConfigWantsError(c ConnConfig) bool {
	known := false
	for _, m := range fuzzTLSModes[:5] {
		known = known || c.TLSMode == m
	}
	hasCA := len(c.CACertPEM) > 0
	validCA := hasCA && x509.NewCertPool().AppendCertsFromPEM(c.CACertPEM)
	switch {
	case c.Host == "", c.User == "", c.Port < 0, c.Port > 65535, !known:
		return true
	case strings.ContainsRune(c.Host+c.Database+c.User+c.Password, 0):
		return true // the protocol cannot carry it: refused up front
	case c.TLSMode == TLSVerifyCA && !hasCA:
		return true
	case (c.TLSMode == TLSRequire || c.TLSMode == TLSVerifyCA || c.TLSMode == TLSVerifyFull) && hasCA && !validCA:
		return true
	}
	return false
}

// FuzzConnConfig feeds hostile host, database, user and password strings
// (quotes, ';', spaces, "host=evil", "dbname=x", NUL, unicode) to Config and
// PoolConfig. Either the config is refused, or every field is exactly its
// input: nothing from one field leaks into another, the operator's PG*
// environment leaks into none, and the startup message pgx sends carries
// exactly user, database and slotkeeper's two runtime parameters. No error
// ever depends on (or shows) the password.
func FuzzConnConfig(f *testing.F) {
	// What libpq and pgx would read from the environment must not matter.
	for k, v := range map[string]string{
		"PGHOST": "evil.example", "PGPORT": "1", "PGDATABASE": "evil_db", "PGUSER": "evil_user",
		"PGPASSWORD": "evil-password", "PGOPTIONS": "-c search_path=evil", "PGAPPNAME": "evil_app",
		"PGSSLMODE": "verify-full", "PGCONNECT_TIMEOUT": "1", "PGTARGETSESSIONATTRS": "read-only",
	} {
		f.Setenv(k, v)
	}
	ca := fuzzCAPEM(f)
	type seed struct {
		host, db, user, pw string
		port               int
		tls, caSel         uint8
	}
	for _, s := range []seed{
		{"db", "app", "u", "pw", 0, 0, 0},
		{"127.0.0.1 dbname=postgres", "postgres", "slotkeeper", "secret", 5432, 1, 0},
		{"host' OR '1'='1", "x' OR '1'='1", "u'; DROP ROLE postgres; --", "p' sslmode=disable", 6543, 2, 0},
		{"-oProxyCommand=x", "dbname=x", "user=postgres", "password=x host=evil", 1, 4, 1},
		{"db host=evil", "app user=postgres", "u options='-c x=y'", "hunter2", 65535, 3, 1},
		{"a\x00b", "orders\x00user\x00postgres", "u\x00database\x00x", "pw\x00", 5432, 0, 0},
		{"слот.example", "база", "роль", "пароль🙂", 0, 4, 0},
		{"/var/run/postgresql", "app", "u", "pw", 0, 0, 0},
		{"[::1]:6000", "app", "u", "pw", 0, 0, 0},
		{"[]", "app", "u", "pw", 90, 0, 0},
		{"::1", "app", "u", "pw", 0, 0, 0},
		{"db:1234", "app", "u", "pw", 0, 0, 0},
		{"postgres://evil/x", "postgresql://u:p@h/d", "u", "pw", 0, 0, 0},
		{"", "app", "u", "hunter2-secret", 0, 0, 0},
		{"h", "app", "", "hunter2-secret", 0, 0, 0},
		{"h", "app", "u", "hunter2-secret", 70000, 0, 0},
		{"h", "app", "u", "hunter2-secret", -1, 0, 0},
		{"h", "app", "u", "hunter2-secret", 0, 5, 0},
		{"h", "app", "u", "hunter2-secret", 0, 3, 0},
		{"h", "app", "u", "hunter2-secret", 0, 3, 2},
		{"h", "", "u", "connection config", 0, 7, 0},
	} {
		f.Add(s.host, s.db, s.user, s.pw, s.port, s.tls, s.caSel)
	}
	f.Fuzz(func(t *testing.T, host, database, user, password string, port int, tlsSel, caSel uint8) {
		c := ConnConfig{Host: host, Database: database, User: user, Password: password, Port: port,
			TLSMode: fuzzTLSModes[int(tlsSel)%len(fuzzTLSModes)]}
		switch caSel % 3 {
		case 1:
			c.CACertPEM = ca
		case 2:
			c.CACertPEM = []byte("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")
		}
		wantErr := connConfigWantsError(c)

		pc, err := c.Config()
		ppc, perr := c.PoolConfig()
		if (err != nil) != (perr != nil) {
			t.Fatalf("Config error %v, PoolConfig error %v", err, perr)
		}
		if (err != nil) != wantErr {
			t.Fatalf("%s: Config() error = %v, want error: %v", describeConn(c), err, wantErr)
		}
		if err != nil {
			if pc != nil || ppc != nil {
				t.Fatal("a config returned together with an error")
			}
			checkNoPasswordInError(t, c, err)
			return
		}
		for name, got := range map[string]*pgconn.Config{"Config": &pc.Config, "PoolConfig": &ppc.ConnConfig.Config} {
			checkConnFields(t, name, c, got)
		}
	})
}

func describeConn(c ConnConfig) string {
	return "host=" + strconv.Quote(c.Host) + " db=" + strconv.Quote(c.Database) + " user=" + strconv.Quote(c.User) +
		" port=" + strconv.Itoa(c.Port) + " tls=" + strconv.Quote(c.TLSMode) + " ca=" + strconv.Itoa(len(c.CACertPEM))
}

// checkNoPasswordInError: the error must be the same whatever the password
// is, so it cannot show any part of it.
func checkNoPasswordInError(t *testing.T, c ConnConfig, err error) {
	t.Helper()
	if strings.ContainsRune(c.Password, 0) {
		// Refused for the NUL byte itself (naming the field, never the
		// value), so the error may differ from a clean password's.
		if strings.Contains(err.Error(), c.Password) {
			t.Fatalf("error %q shows the password", err)
		}
		return
	}
	other := c
	other.Password = "\x01redacted\x02"
	_, oerr := other.Config()
	if oerr == nil || oerr.Error() != err.Error() {
		t.Fatalf("the error depends on the password: %q vs %v", err.Error(), oerr)
	}
	if c.Password != "" && strings.Contains(err.Error(), c.Password) && !strings.Contains(oerr.Error(), c.Password) {
		t.Fatalf("error %q shows the password", err)
	}
}

func checkConnFields(t *testing.T, name string, c ConnConfig, got *pgconn.Config) {
	t.Helper()
	wantPort := c.Port
	if wantPort == 0 {
		wantPort = DefaultPort
	}
	if got.Host != c.Host || got.Database != c.Database || got.User != c.User || got.Password != c.Password || int(got.Port) != wantPort {
		t.Fatalf("%s: %s became host=%q db=%q user=%q port=%d (password equal: %v)", name, describeConn(c),
			got.Host, got.Database, got.User, got.Port, got.Password == c.Password)
	}
	if len(got.Fallbacks) != 0 || got.ValidateConnect != nil || got.ConnectTimeout != DefaultConnectTimeout {
		t.Fatalf("%s: fallbacks %d, ValidateConnect set %v, connect timeout %v", name, len(got.Fallbacks), got.ValidateConnect != nil, got.ConnectTimeout)
	}
	wantParams := map[string]string{"application_name": ApplicationName, "statement_timeout": "15000"}
	if !maps.Equal(got.RuntimeParams, wantParams) {
		t.Fatalf("%s: runtime params %v, want %v", name, got.RuntimeParams, wantParams)
	}
	switch c.TLSMode {
	case "", TLSDisable:
		if got.TLSConfig != nil {
			t.Fatalf("%s: TLS configured for mode %q", name, c.TLSMode)
		}
	case TLSVerifyFull:
		if got.TLSConfig == nil || got.TLSConfig.ServerName != c.Host || got.TLSConfig.InsecureSkipVerify {
			t.Fatalf("%s: verify-full without host name verification of %q", name, c.Host)
		}
	default:
		if got.TLSConfig == nil {
			t.Fatalf("%s: no TLS for mode %q", name, c.TLSMode)
		}
	}
	checkStartupMessage(t, name, got)
	checkDialAddress(t, name, got)
}

// checkStartupMessage encodes the startup message as pgconn does and
// decodes it as the server would: a NUL in a value must make pgx refuse it
// (naming the parameter, not the value), otherwise the server must see
// exactly user, database and the runtime parameters.
func checkStartupMessage(t *testing.T, name string, got *pgconn.Config) {
	t.Helper()
	msg := pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{}}
	maps.Copy(msg.Parameters, got.RuntimeParams)
	msg.Parameters["user"] = got.User
	if got.Database != "" {
		msg.Parameters["database"] = got.Database
	}
	buf, err := msg.Encode(nil)
	hasNUL := strings.IndexByte(got.User, 0) >= 0 || strings.IndexByte(got.Database, 0) >= 0
	if err != nil {
		if !hasNUL {
			t.Fatalf("%s: startup message refused: %v", name, err)
		}
		if err.Error() != `startup message parameter "user" contains NUL byte in value` &&
			err.Error() != `startup message parameter "database" contains NUL byte in value` {
			t.Fatalf("%s: startup message error %q should name the parameter only", name, err)
		}
		return
	}
	if hasNUL {
		t.Fatalf("%s: startup message with a NUL in user %q or database %q was encoded", name, got.User, got.Database)
	}
	var back pgproto3.StartupMessage
	if err := back.Decode(buf[4:]); err != nil {
		t.Fatalf("%s: server could not decode the startup message: %v", name, err)
	}
	if !maps.Equal(back.Parameters, msg.Parameters) {
		t.Fatalf("%s: server reads startup parameters %q, pgx meant %q", name, back.Parameters, msg.Parameters)
	}
}

// checkDialAddress: the host can only choose a TCP host name or, when it is
// an absolute path, a Unix socket directory; it can never choose the port.
func checkDialAddress(t *testing.T, name string, got *pgconn.Config) {
	t.Helper()
	network, addr := pgconn.NetworkAddress(got.Host, got.Port)
	if network == "unix" {
		if !strings.HasPrefix(got.Host, "/") && !strings.HasPrefix(got.Host, `\`) && !(len(got.Host) > 1 && got.Host[1] == ':') {
			t.Fatalf("%s: host %q dials a Unix socket %q", name, got.Host, addr)
		}
		return
	}
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return // the dialer refuses the address: nothing is reached
	}
	// JoinHostPort leaves a bracketed host as it is and SplitHostPort then
	// unbrackets it: "[db]" dials db, and "[]" the local system, as
	// "localhost" would. Either way the port stays ours.
	if p != strconv.Itoa(int(got.Port)) || (h != got.Host && "["+h+"]" != got.Host) {
		t.Fatalf("%s: host %q port %d dials %q (host %q, port %q)", name, got.Host, got.Port, addr, h, p)
	}
}
