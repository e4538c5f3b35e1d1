package patroni

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// staleREST answers GET /config from a copy refreshed only on demand, as a
// Patroni member answers from what its HA loop last read, and PATCH /config
// from the current configuration, as Patroni does: the fault a
// read-modify-write must survive.
type staleREST struct {
	mu          sync.Mutex
	current     map[string]any
	cached      map[string]any
	status      int // answer every call with this code when not 0
	patchStatus int // answer PATCH with this code when not 0
	patches     int
}

func (s *staleREST) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status != 0 {
		w.WriteHeader(s.status)
		return
	}
	switch r.Method {
	case http.MethodGet:
		_ = json.NewEncoder(w).Encode(s.cached)
	case http.MethodPatch:
		if s.patchStatus != 0 {
			w.WriteHeader(s.patchStatus)
			return
		}
		var patch map[string]any
		if err := json.NewDecoder(r.Body).Decode(&patch); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		for k, v := range patch {
			if v == nil {
				delete(s.current, k) // JSON merge patch: null removes
				continue
			}
			s.current[k] = v
		}
		s.patches++
		_ = json.NewEncoder(w).Encode(s.current)
	}
}

// loop makes the cached copy current, as the member's next HA loop would.
func (s *staleREST) loop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(s.current)
	s.cached = nil
	_ = json.Unmarshal(b, &s.cached)
}

func newKeeper(t *testing.T, srv *staleREST) *Keeper {
	t.Helper()
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	k, err := NewRegistry().Configure(types.NamespacedName{Name: "db"}, Settings{URLs: []string{"http://127.0.0.1:1", hs.URL}, Timeout: time.Second}, "x")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKeeperSurvivesStaleReads(t *testing.T) {
	foreign := map[string]any{"name": "debezium"}
	srv := &staleREST{current: map[string]any{"ignore_slots": []any{foreign}, "loop_wait": 10.0}}
	srv.loop()
	k := newKeeper(t, srv)
	ctx := context.Background()
	if wrote, err := k.Ensure(ctx, cdc); err != nil || !wrote {
		t.Fatalf("Ensure = %v, %v", wrote, err)
	}
	// GET /config still answers from the old copy, without slotkeeper's
	// first entry; the write reads fresh, so that entry survives.
	k.lastAt = time.Time{}
	if wrote, err := k.Ensure(ctx, phys); err != nil || !wrote {
		t.Fatalf("Ensure = %v, %v", wrote, err)
	}
	if covered, err := k.Covers(ctx, cdc); err != nil || !covered {
		t.Fatalf("Covers = %v, %v after Ensure", covered, err)
	}
	if wrote, err := k.Ensure(ctx, cdc); err != nil || wrote {
		t.Fatalf("a second Ensure wrote again: %v, %v", wrote, err)
	}
	list := IgnoreSlots(srv.current)
	if len(list) != 3 || !HasEntry(srv.current, cdc) || !HasEntry(srv.current, phys) || list[0].(map[string]any)["name"] != "debezium" {
		t.Fatalf("ignore_slots %v: the first entry was lost to a stale read", list)
	}
	srv.loop()
	// Removal takes only slotkeeper's entry, and a stale read afterwards
	// does not bring it back.
	if err := k.Remove(ctx, cdc); err != nil {
		t.Fatal(err)
	}
	k.lastAt = time.Time{}
	if _, err := k.Ensure(ctx, phys); err != nil {
		t.Fatal(err)
	}
	if HasEntry(srv.current, cdc) || !HasEntry(srv.current, phys) || IgnoreSlots(srv.current)[0].(map[string]any)["name"] != "debezium" {
		t.Fatalf("after removal: %v", IgnoreSlots(srv.current))
	}
}

func TestKeeperReportsRefusals(t *testing.T) {
	for code, kind := range map[int]Kind{401: KindUnauthorized, 403: KindUnauthorized, 409: KindRefused, 503: KindUnreachable} {
		srv := &staleREST{current: map[string]any{}, status: code}
		_, err := newKeeper(t, srv).Ensure(context.Background(), cdc)
		var pe *Error
		if !errors.As(err, &pe) || pe.Kind != kind {
			t.Errorf("HTTP %d: %v, want kind %d", code, err, kind)
		}
	}
}

func TestCredentialsOnlyOverHTTPS(t *testing.T) {
	_, err := NewClient(Settings{URLs: []string{"https://a:8008", "http://b:8008"}, Username: "u", Password: "p"})
	if err == nil {
		t.Fatal("credentials accepted for an http URL")
	}
	if _, err := NewClient(Settings{URLs: []string{"https://a:8008"}, Username: "u", Password: "p"}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewClient(Settings{URLs: []string{"http://admin:secret@a:8008"}}); err == nil {
		t.Fatal("credentials inside a URL accepted")
	}
}

// The server reconcile only reads; a refused write must still reach its
// condition, until a write (or a fresh read, which needs the same rights)
// succeeds.
func TestWriteErrReportsARefusedWrite(t *testing.T) {
	srv := &staleREST{current: map[string]any{}, patchStatus: http.StatusUnauthorized}
	srv.loop()
	k := newKeeper(t, srv)
	if _, err := k.Ensure(context.Background(), cdc); err == nil {
		t.Fatal("Ensure succeeded against a 401")
	}
	if _, err := k.Observe(context.Background(), 0); err != nil {
		t.Fatalf("Observe, which needs no rights: %v", err)
	}
	var pe *Error
	if err := k.WriteErr(); !errors.As(err, &pe) || pe.Kind != KindUnauthorized {
		t.Fatalf("WriteErr after a refused write: %v", err)
	}
	srv.patchStatus = 0
	if covered, err := k.Covers(context.Background(), phys); err != nil || covered {
		t.Fatalf("Covers = %v, %v", covered, err)
	}
	if err := k.WriteErr(); err != nil {
		t.Fatalf("WriteErr after a fresh read succeeded: %v", err)
	}
	if _, err := k.Ensure(context.Background(), cdc); err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.current[freshReadKey]; ok {
		t.Fatal("the fresh read left its key in the configuration")
	}
}

// Credentials go only to a server whose certificate the CA signed.
func TestCredentialsOnlyToAVerifiedServer(t *testing.T) {
	var gotAuth []string
	var mu sync.Mutex
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		mu.Lock()
		gotAuth = append(gotAuth, fmt.Sprintf("%v %s:%s", ok, user, pass))
		mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"ignore_slots": []any{}})
	}))
	defer srv.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	settings := Settings{URLs: []string{srv.URL}, Username: "u", Password: "p", Timeout: time.Second}

	// The system roots do not know the test server: nothing is sent.
	c, err := NewClient(settings)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetConfig(context.Background()); err == nil {
		t.Fatal("an unverified server was trusted")
	}
	if len(gotAuth) != 0 {
		t.Fatalf("credentials reached an unverified server: %v", gotAuth)
	}
	settings.CAPEM = ca
	if c, err = NewClient(settings); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetConfig(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(gotAuth) != 1 || gotAuth[0] != "true u:p" {
		t.Fatalf("auth seen: %v", gotAuth)
	}
	if _, err := NewClient(Settings{URLs: []string{srv.URL}, CAPEM: []byte("not a certificate")}); err == nil {
		t.Fatal("a CA without a certificate was accepted")
	}
}
