package patroni

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxBody bounds what is read from a REST API answer: a configuration is
// a few kilobytes, and a hostile server must not fill memory.
const maxBody = 1 << 20

// Settings say how to reach Patroni; they come from spec.patroni and its
// Secrets.
type Settings struct {
	URLs               []string
	Username, Password string
	CAPEM              []byte
	Timeout            time.Duration
	// Dialer, when set, makes every connection (the operator's host
	// policy); nil dials anywhere.
	Dialer *net.Dialer
}

// Client calls one Patroni cluster's REST API. Any member answers: it
// tries the URLs in order and keeps to the last one that answered, so a
// read after its own write usually goes to the same member.
type Client struct {
	s      Settings
	http   *http.Client
	sticky int
}

// NewClient checks the settings: credentials go only over https, so they
// never travel in clear text to whoever listens.
func NewClient(s Settings) (*Client, error) {
	for _, raw := range s.URLs {
		// Credentials in a URL would travel as basic auth, whatever the scheme.
		if u, err := url.Parse(raw); err != nil || u.User != nil {
			return nil, &Error{Kind: KindRefused, Message: "a Patroni URL must be scheme://host[:port] with no credentials in it"}
		}
	}
	if s.Username != "" {
		for _, u := range s.URLs {
			if !strings.HasPrefix(u, "https://") {
				return nil, &Error{Kind: KindRefused, Message: fmt.Sprintf("%s is not https: Patroni credentials are sent only over https", u)}
			}
		}
	}
	tr := &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12}}
	if s.Dialer != nil {
		tr.DialContext = s.Dialer.DialContext
	}
	if len(s.CAPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(s.CAPEM) {
			return nil, &Error{Kind: KindRefused, Message: "spec.patroni.caSecretRef holds no PEM certificate"}
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	if s.Timeout <= 0 {
		s.Timeout = 5 * time.Second
	}
	return &Client{s: s, http: &http.Client{Transport: tr, Timeout: s.Timeout,
		// A redirect could carry the credentials elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// GetConfig reads the dynamic configuration. Each member answers from the
// copy its HA loop last read, up to loop_wait old.
func (c *Client) GetConfig(ctx context.Context) (map[string]any, error) {
	var cfg map[string]any
	return cfg, c.call(ctx, http.MethodGet, "/config", nil, &cfg)
}

// PatchConfig writes a JSON merge patch and returns the configuration as
// Patroni wrote it. Lists are replaced whole.
func (c *Client) PatchConfig(ctx context.Context, patch map[string]any) (map[string]any, error) {
	body, err := json.Marshal(patch)
	if err != nil {
		return nil, err
	}
	var cfg map[string]any
	return cfg, c.call(ctx, http.MethodPatch, "/config", body, &cfg)
}

// freshReadKey is a key no configuration has: a patch that only sets it to
// null changes nothing, so Patroni writes nothing and answers with the
// configuration it has just read from the DCS, not the copy its HA loop
// last read. It needs the same rights as a write.
const freshReadKey = "slotkeeper_fresh_read"

// ReadFresh reads the configuration as the DCS holds it now.
func (c *Client) ReadFresh(ctx context.Context) (map[string]any, error) {
	return c.PatchConfig(ctx, map[string]any{freshReadKey: nil})
}

// Info is what GET /patroni says of the member and its cluster.
type Info struct {
	Version, Scope string
}

// GetInfo reads Patroni's version and scope.
func (c *Client) GetInfo(ctx context.Context) (Info, error) {
	var raw struct {
		Patroni struct {
			Version string `json:"version"`
			Scope   string `json:"scope"`
		} `json:"patroni"`
	}
	err := c.call(ctx, http.MethodGet, "/patroni", nil, &raw)
	return Info{Version: raw.Patroni.Version, Scope: raw.Patroni.Scope}, err
}

// call tries each URL, the last one that answered first, until one gives
// an answer; an answer that refuses (4xx) is final, since another member
// would refuse too.
func (c *Client) call(ctx context.Context, method, path string, body []byte, out any) error {
	var errs []error
	for i := range c.s.URLs {
		idx := (c.sticky + i) % len(c.s.URLs)
		err := c.once(ctx, method, c.s.URLs[idx], path, body, out)
		if err == nil {
			c.sticky = idx
			return nil
		}
		var pe *Error
		if errors.As(err, &pe) && pe.Kind != KindUnreachable {
			return err
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return &Error{Kind: KindUnreachable, Message: "no Patroni REST API answered", Err: oneLine(errs)}
}

func (c *Client) once(ctx context.Context, method, base, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(base, "/")+path, bytes.NewReader(body))
	if err != nil {
		return &Error{Kind: KindRefused, Message: "bad URL " + base, Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	if c.s.Username != "" {
		req.SetBasicAuth(c.s.Username, c.s.Password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &Error{Kind: KindUnreachable, Message: base, Err: err}
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return &Error{Kind: KindUnreachable, Message: base, Err: err}
	}
	if e := statusError(base, method, path, resp.StatusCode, data); e != nil {
		return e
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &Error{Kind: KindRefused, Message: fmt.Sprintf("%s %s%s: answer is not JSON", method, base, path), Err: err}
	}
	return nil
}

func statusError(base, method, path string, code int, body []byte) *Error {
	switch {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return &Error{Kind: KindUnauthorized, Code: code, Message: fmt.Sprintf("%s %s%s: %d", method, base, path, code)}
	case code >= 500:
		return &Error{Kind: KindUnreachable, Code: code, Message: fmt.Sprintf("%s %s%s: %d %s", method, base, path, code, snippet(body))}
	}
	return &Error{Kind: KindRefused, Code: code, Message: fmt.Sprintf("%s %s%s: %d %s", method, base, path, code, snippet(body))}
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// oneLine joins errors with "; ": the result ends up in a condition message.
func oneLine(errs []error) error {
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	return errors.New(strings.Join(msgs, "; "))
}
