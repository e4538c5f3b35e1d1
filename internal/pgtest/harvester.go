package pgtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// HarvestMethod is how a Harvester asks for the password.
type HarvestMethod string

const (
	HarvestCleartext HarvestMethod = "password"
	HarvestMD5       HarvestMethod = "md5"
	// HarvestTrust accepts the client without asking anything.
	HarvestTrust HarvestMethod = "trust"
)

// Harvester is a hostile peer for security tests: an endpoint that speaks
// just enough of PostgreSQL's protocol to ask a client for its password in
// a weak way (cleartext or md5) and records whatever it receives. With
// offerTLS it accepts TLS with a self-signed certificate, as an impostor
// would, so a client that encrypts without verifying reaches it too.
type Harvester struct {
	ln      net.Listener
	method  HarvestMethod
	tlsConf *tls.Config

	mu       sync.Mutex
	asked    int      // connections that got as far as the request
	received []string // what PasswordMessages carried
}

// StartHarvester listens on a free loopback port.
func StartHarvester(method HarvestMethod, offerTLS bool) (*Harvester, error) {
	h := &Harvester{method: method}
	if offerTLS {
		cert, err := selfSigned()
		if err != nil {
			return nil, err
		}
		h.tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h.ln = ln
	go h.accept()
	return h, nil
}

// Host is the harvester's address.
func (h *Harvester) Host() string { return "127.0.0.1" }

// Port is its listening port.
func (h *Harvester) Port() int { return h.ln.Addr().(*net.TCPAddr).Port }

// Addr is "127.0.0.1:PORT".
func (h *Harvester) Addr() string { return net.JoinHostPort(h.Host(), strconv.Itoa(h.Port())) }

// Close stops listening.
func (h *Harvester) Close() { _ = h.ln.Close() }

// Asked is how many connections received the authentication request.
func (h *Harvester) Asked() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.asked
}

// Received is every password message's content so far (an md5 digest for md5).
func (h *Harvester) Received() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.received...)
}

func (h *Harvester) accept() {
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer func() { _ = c.Close() }()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			_ = h.serve(c)
		}()
	}
}

// serve answers the TLS request, asks for the password and records the reply.
func (h *Harvester) serve(c net.Conn) error {
	c, be, err := h.startup(c)
	if err != nil {
		return err
	}
	if h.method == HarvestTrust {
		h.count("")
		be.Send(&pgproto3.AuthenticationOk{})
		be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: "57P01", Message: "harvester: trusted, then gone"})
		return be.Flush()
	}
	// Counted before the request leaves: the client may have refused it and
	// the test read the count before this goroutine runs again.
	h.count("")
	if err := h.ask(be); err != nil {
		return err
	}
	msg, err := be.Receive()
	if err != nil {
		return err
	}
	if pm, ok := msg.(*pgproto3.PasswordMessage); ok {
		h.count(pm.Password)
	}
	be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: "28P01", Message: "harvester: password authentication failed"})
	return be.Flush()
}

// startup reads the startup message, first switching to TLS when the
// client asks for it and the harvester offers it.
func (h *Harvester) startup(c net.Conn) (net.Conn, *pgproto3.Backend, error) {
	be := pgproto3.NewBackend(c, c)
	msg, err := be.ReceiveStartupMessage()
	if err != nil {
		return c, nil, err
	}
	if _, ok := msg.(*pgproto3.SSLRequest); ok {
		if h.tlsConf == nil {
			_, err = c.Write([]byte("N"))
		} else if _, err = c.Write([]byte("S")); err == nil {
			tc := tls.Server(c, h.tlsConf)
			err = tc.Handshake()
			c = tc
		}
		if err != nil {
			return c, nil, err
		}
		be = pgproto3.NewBackend(c, c)
		if msg, err = be.ReceiveStartupMessage(); err != nil {
			return c, nil, err
		}
	}
	if _, ok := msg.(*pgproto3.StartupMessage); !ok {
		return c, nil, errors.New("harvester: no startup message")
	}
	return c, be, nil
}

func (h *Harvester) ask(be *pgproto3.Backend) error {
	switch h.method {
	case HarvestCleartext:
		be.Send(&pgproto3.AuthenticationCleartextPassword{})
		if err := be.SetAuthType(pgproto3.AuthTypeCleartextPassword); err != nil {
			return err
		}
	case HarvestMD5:
		be.Send(&pgproto3.AuthenticationMD5Password{Salt: [4]byte{1, 2, 3, 4}})
		if err := be.SetAuthType(pgproto3.AuthTypeMD5Password); err != nil {
			return err
		}
	}
	return be.Flush()
}

// count records one request, and the password when one came.
func (h *Harvester) count(password string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if password == "" {
		h.asked++
		return
	}
	h.received = append(h.received, password)
}

// selfSigned makes the certificate an impostor would present.
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "impostor"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
