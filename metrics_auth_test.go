package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fakeTokens accepts the tokens "good" and "reader", as users of the same
// name.
type fakeTokens struct {
	err   error
	calls int
}

func (f *fakeTokens) Create(_ context.Context, tr *authenticationv1.TokenReview, _ metav1.CreateOptions) (*authenticationv1.TokenReview, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	out := tr.DeepCopy()
	if tr.Spec.Token == "good" || tr.Spec.Token == "reader" {
		out.Status.Authenticated = true
		out.Status.User = authenticationv1.UserInfo{Username: tr.Spec.Token, UID: "u1", Groups: []string{"g"},
			Extra: map[string]authenticationv1.ExtraValue{"k": {"v"}}}
	}
	return out, nil
}

// fakeAccess allows only user "reader" to GET /metrics, and keeps what it
// was asked.
type fakeAccess struct {
	err  error
	last *authorizationv1.SubjectAccessReview
}

func (f *fakeAccess) Create(_ context.Context, sar *authorizationv1.SubjectAccessReview, _ metav1.CreateOptions) (*authorizationv1.SubjectAccessReview, error) {
	f.last = sar
	if f.err != nil {
		return nil, f.err
	}
	out := sar.DeepCopy()
	a := sar.Spec.NonResourceAttributes
	out.Status.Allowed = sar.Spec.User == "reader" && a != nil && a.Path == "/metrics" && a.Verb == "get"
	return out, nil
}

func TestMetricsAuth(t *testing.T) {
	apiDown := errors.New("connection refused")
	for _, tc := range []struct {
		name      string
		header    string
		tokensErr error
		accessErr error
		want      int
	}{
		{name: "no header", want: http.StatusUnauthorized},
		{name: "not a bearer token", header: "Basic cmVhZGVyOng=", want: http.StatusUnauthorized},
		{name: "empty token", header: "Bearer ", want: http.StatusUnauthorized},
		{name: "unknown token", header: "Bearer forged", want: http.StatusUnauthorized},
		{name: "user without the right", header: "Bearer good", want: http.StatusForbidden},
		{name: "reader", header: "Bearer reader", want: http.StatusOK},
		{name: "scheme in lower case", header: "bearer reader", want: http.StatusOK},
		{name: "TokenReview fails", header: "Bearer reader", tokensErr: apiDown, want: http.StatusInternalServerError},
		{name: "SubjectAccessReview fails", header: "Bearer reader", accessErr: apiDown, want: http.StatusInternalServerError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tokens, access := &fakeTokens{err: tc.tokensErr}, &fakeAccess{err: tc.accessErr}
			rec, served := serveThroughGate(t, gate{tokens: tokens, access: access}, tc.header)
			if rec.Code != tc.want {
				t.Errorf("status %d, want %d", rec.Code, tc.want)
			}
			if served != (tc.want == http.StatusOK) {
				t.Errorf("metrics handler reached: %v with status %d", served, rec.Code)
			}
			// A request without a token must not cost the API server a call.
			if tc.header == "" && tokens.calls > 0 {
				t.Errorf("%d TokenReviews for a request without a token", tokens.calls)
			}
		})
	}
}

// The SubjectAccessReview must carry the whole identity: RBAC may grant
// /metrics to a group rather than to the user.
func TestMetricsAuthAsksForTheCaller(t *testing.T) {
	access := &fakeAccess{}
	serveThroughGate(t, gate{tokens: &fakeTokens{}, access: access}, "Bearer good")
	if access.last == nil {
		t.Fatal("no SubjectAccessReview")
	}
	s := access.last.Spec
	if s.User != "good" || s.UID != "u1" || len(s.Groups) != 1 || s.Groups[0] != "g" || len(s.Extra["k"]) != 1 {
		t.Errorf("SubjectAccessReview spec %+v: want the TokenReview's user, uid, groups and extra", s)
	}
	if a := s.NonResourceAttributes; a == nil || a.Path != "/metrics" || a.Verb != "get" || s.ResourceAttributes != nil {
		t.Errorf("SubjectAccessReview attributes %+v / %+v: want non-resource get /metrics", a, s.ResourceAttributes)
	}
}

// serveThroughGate sends GET /metrics through the gate's filter and says
// whether the handler behind it ran.
func serveThroughGate(t *testing.T, g gate, header string) (*httptest.ResponseRecorder, bool) {
	t.Helper()
	served := false
	h, err := g.filter(logr.Discard(), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		served = true
		w.WriteHeader(http.StatusOK)
	}))
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	if header != "" {
		req.Header.Set("Authorization", header)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec, served
}
