package postgres

import (
	"slices"
	"strings"
	"testing"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
)

const harvestedSecret = "never-for-strangers"

// TestWeakAuthRequestsGetNoPassword points the defaults at a hostile
// endpoint that asks for the password in cleartext or as md5, or accepts
// without asking, with and without TLS (a self-signed certificate, which
// TLS mode require accepts). The password must never reach it, and the
// refusal must be classified so that the condition says what to do.
func TestWeakAuthRequestsGetNoPassword(t *testing.T) {
	for _, method := range []pgtest.HarvestMethod{pgtest.HarvestCleartext, pgtest.HarvestMD5, pgtest.HarvestTrust} {
		for _, tlsMode := range []string{"require", "disable"} {
			t.Run(string(method)+"/tls-"+tlsMode, func(t *testing.T) {
				h := startHarvester(t, method, tlsMode != "disable")
				_, err := Connect(t.Context(), ConnConfig{Host: h.Host(), Port: h.Port(),
					User: "slotkeeper", Password: harvestedSecret, TLSMode: tlsMode})
				if got := h.Received(); len(got) > 0 {
					t.Fatalf("the hostile server received %q", got)
				}
				if h.Asked() == 0 {
					t.Fatal("the hostile server never got to ask: the test proves nothing")
				}
				e := Classify(err)
				if e == nil || e.Reason != ReasonAuthMethodRefused {
					t.Fatalf("want reason %s, got %v", ReasonAuthMethodRefused, err)
				}
				if strings.Contains(e.Error(), harvestedSecret) || !strings.Contains(e.Error(), "spec.authMethods") {
					t.Errorf("message must say what to do and never hold the password: %s", e.Error())
				}
			})
		}
	}
}

// TestAllowedWeakMethodIsHonoured is the control: when the configuration
// allows cleartext, the same endpoint receives the password, so the test
// above fails if the harvester stops harvesting.
func TestAllowedWeakMethodIsHonoured(t *testing.T) {
	h := startHarvester(t, pgtest.HarvestCleartext, false)
	_, err := Connect(t.Context(), ConnConfig{Host: h.Host(), Port: h.Port(), User: "slotkeeper",
		Password: harvestedSecret, TLSMode: "disable", AuthMethods: []string{"scram-sha-256", "password"}})
	if err == nil {
		t.Fatal("the harvester refuses every login")
	}
	if got := h.Received(); !slices.Equal(got, []string{harvestedSecret}) {
		t.Fatalf("with password allowed the endpoint should receive it, got %q", got)
	}
}

func TestAuthPolicy(t *testing.T) {
	for _, tc := range []struct {
		tls           string
		methods       []string
		require, bind string
	}{
		{"", nil, "scram-sha-256", "prefer"},
		{"disable", nil, "scram-sha-256", "prefer"},
		{"require", nil, "scram-sha-256", "require"},
		{"verify-full", []string{"scram-sha-256"}, "scram-sha-256", "require"},
		{"require", []string{"scram-sha-256", "md5"}, "scram-sha-256,md5", "prefer"},
		{"verify-full", []string{"password"}, "password", "prefer"},
		{"disable", []string{"scram-sha-256", "none"}, "scram-sha-256,none", "prefer"},
	} {
		c := ConnConfig{Host: "db", User: "u", TLSMode: tc.tls, AuthMethods: tc.methods}
		pc, err := c.Config()
		if err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		if pc.RequireAuth != tc.require || pc.ChannelBinding != tc.bind {
			t.Errorf("tls %q methods %v: require_auth %q channel_binding %q, want %q %q",
				tc.tls, tc.methods, pc.RequireAuth, pc.ChannelBinding, tc.require, tc.bind)
		}
	}
}

func startHarvester(t *testing.T, method pgtest.HarvestMethod, offerTLS bool) *pgtest.Harvester {
	t.Helper()
	h, err := pgtest.StartHarvester(method, offerTLS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}
