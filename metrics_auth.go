package main

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authenticationclient "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authorizationclient "k8s.io/client-go/kubernetes/typed/authorization/v1"
	"k8s.io/client-go/rest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// reviewTimeout bounds the API server's answer on one caller, so a slow API
// server cannot pile up scrapes.
const reviewTimeout = 10 * time.Second

// metricsAuth is the FilterProvider of secure metrics. It does what
// controller-runtime's filters.WithAuthenticationAndAuthorization does (a
// TokenReview for who the caller is, a SubjectAccessReview for whether that
// user may use the path), with the client-go the operator already has:
// that package pulls in k8s.io/apiserver and some thirty more modules.
func metricsAuth(cfg *rest.Config, hc *http.Client) (metricsserver.Filter, error) {
	authn, err := authenticationclient.NewForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, err
	}
	authz, err := authorizationclient.NewForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, err
	}
	g := gate{tokens: authn.TokenReviews(), access: authz.SubjectAccessReviews()}
	return g.filter, nil
}

// gate lets a request through once the API server vouched for its caller.
type gate struct {
	tokens authenticationclient.TokenReviewInterface
	access authorizationclient.SubjectAccessReviewInterface
}

// filter is a metricsserver.Filter. A caller learns 401 (no or a bad
// token) or 403 (a user without the right), never why in detail; the log
// says more at verbosity 4.
func (g gate) filter(log logr.Logger, next http.Handler) (http.Handler, error) {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, why, err := g.check(r)
		switch {
		case err != nil:
			log.Error(err, "checking a metrics caller with the API server", "path", r.URL.Path)
		case code != http.StatusOK:
			log.V(4).Info("metrics request refused", "path", r.URL.Path, "reason", why)
		}
		if code != http.StatusOK {
			http.Error(w, http.StatusText(code), code)
			return
		}
		next.ServeHTTP(w, r)
	}), nil
}

// check returns 200 when the request may go on, else the status to answer
// with and why.
func (g gate) check(r *http.Request) (int, string, error) {
	token, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		return http.StatusUnauthorized, "no bearer token", nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), reviewTimeout)
	defer cancel()
	user, err := g.authenticate(ctx, token)
	if err != nil {
		return http.StatusInternalServerError, "TokenReview failed", err
	}
	if user == nil {
		return http.StatusUnauthorized, "token not accepted", nil
	}
	allowed, reason, err := g.authorize(ctx, *user, strings.ToLower(r.Method), r.URL.Path)
	if err != nil {
		return http.StatusInternalServerError, "SubjectAccessReview failed", err
	}
	if !allowed {
		return http.StatusForbidden, user.Username + " may not: " + reason, nil
	}
	return http.StatusOK, "", nil
}

// bearerToken reads "Authorization: Bearer <token>"; the scheme's case does
// not matter (RFC 9110).
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "bearer") || token == "" {
		return "", false
	}
	return token, true
}

// authenticate asks the API server whose token it is; nil when it is
// nobody's (unknown, expired, for another audience).
func (g gate) authenticate(ctx context.Context, token string) (*authenticationv1.UserInfo, error) {
	review := &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token}}
	got, err := g.tokens.Create(ctx, review, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	if !got.Status.Authenticated {
		return nil, nil
	}
	return &got.Status.User, nil
}

// authorize asks whether RBAC (or whichever authorizer the cluster runs)
// lets user use the non-resource path with verb, as for a request to the
// API server itself: a ClusterRole with nonResourceURLs ["/metrics"] and
// verbs ["get"] grants a scrape.
func (g gate) authorize(ctx context.Context, user authenticationv1.UserInfo, verb, path string) (bool, string, error) {
	extra := make(map[string]authorizationv1.ExtraValue, len(user.Extra))
	for k, v := range user.Extra {
		extra[k] = authorizationv1.ExtraValue(v)
	}
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: user.Username, UID: user.UID, Groups: user.Groups, Extra: extra,
		NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: path, Verb: verb},
	}}
	got, err := g.access.Create(ctx, review, metav1.CreateOptions{})
	if err != nil {
		return false, "", err
	}
	return got.Status.Allowed && !got.Status.Denied, got.Status.Reason, nil
}
