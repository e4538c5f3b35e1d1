package pgtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// patroniClient talks to the members' REST APIs, with basic auth when the
// cluster has restapi.authentication (Patroni asks for it on the writing
// endpoints only; sending it on reads is harmless).
type patroniClient struct {
	user, password string
	http           *http.Client
}

func newPatroniClient(user, password string) *patroniClient {
	// No client timeout: POST /switchover takes seconds by design; every
	// call is bounded by its context instead.
	return &patroniClient{user: user, password: password, http: &http.Client{}}
}

// do sends a request with an optional JSON body and returns the status and
// the response body.
func (pc *patroniClient) do(ctx context.Context, method, url string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if pc.user != "" {
		req.SetBasicAuth(pc.user, pc.password)
	}
	resp, err := pc.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, data, err
}

// json sends a request that must answer 200 with JSON, decoded into out.
func (pc *patroniClient) json(ctx context.Context, method, url string, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	status, data, err := pc.do(ctx, method, url, body)
	if err != nil {
		return fmt.Errorf("pgtest: Patroni %s %s: %w", method, url, err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("pgtest: Patroni %s %s: HTTP %d: %s", method, url, status, strings.TrimSpace(string(data)))
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("pgtest: Patroni %s %s: decoding %q: %w", method, url, data, err)
	}
	return nil
}

// GetConfig returns GET /config of the member: the dynamic configuration
// as that member last read it from the DCS.
func (c *PatroniCluster) GetConfig(ctx context.Context, member string) (map[string]any, error) {
	m, err := c.Member(member)
	if err != nil {
		return nil, err
	}
	var cfg map[string]any
	return cfg, c.http.json(ctx, http.MethodGet, m.RESTURL+"/config", nil, &cfg)
}

// PatchConfig sends PATCH /config to the member (a JSON merge: a null
// removes a key; lists such as ignore_slots are replaced whole) and returns
// the configuration as written, which Patroni sends back.
func (c *PatroniCluster) PatchConfig(ctx context.Context, member string, patch map[string]any) (map[string]any, error) {
	m, err := c.Member(member)
	if err != nil {
		return nil, err
	}
	var cfg map[string]any
	return cfg, c.http.json(ctx, http.MethodPatch, m.RESTURL+"/config", patch, &cfg)
}

// Pause puts the cluster in maintenance mode (PATCH /config pause: true)
// and waits until every running Patroni reports it: a paused Patroni
// neither fails over nor touches replication slots.
func (c *PatroniCluster) Pause(ctx context.Context) error { return c.setPause(ctx, true) }

// Resume ends maintenance mode and waits until no running Patroni reports it.
func (c *PatroniCluster) Resume(ctx context.Context) error { return c.setPause(ctx, false) }

func (c *PatroniCluster) setPause(ctx context.Context, pause bool) error {
	var running []*patroniNode
	for _, m := range c.members {
		if m.running() {
			running = append(running, m)
		}
	}
	if len(running) == 0 {
		return fmt.Errorf("pgtest: Patroni cluster %s: no member's Patroni is running", c.Scope)
	}
	if _, err := c.PatchConfig(ctx, running[0].member.Name, map[string]any{"pause": pause}); err != nil {
		return err
	}
	return c.poll(ctx, fmt.Sprintf("every running Patroni to report pause=%v", pause), func() (bool, error) {
		for _, m := range running {
			st, err := c.memberStatus(ctx, m)
			if err != nil || st.Pause != pause {
				return false, err
			}
		}
		return true, nil
	})
}

// patroniStatus is the part of GET /patroni the rig reads.
type patroniStatus struct {
	State string `json:"state"`
	Role  string `json:"role"`
	Pause bool   `json:"pause"`
}

func (c *PatroniCluster) memberStatus(ctx context.Context, n *patroniNode) (patroniStatus, error) {
	var st patroniStatus
	return st, c.http.json(ctx, http.MethodGet, n.member.RESTURL+"/patroni", nil, &st)
}

// patroniClusterStatus is GET /cluster: the DCS as the member sees it.
type patroniClusterStatus struct {
	Members []struct {
		Name  string `json:"name"`
		Role  string `json:"role"`
		State string `json:"state"`
	} `json:"members"`
	Pause bool `json:"pause"`
}

// clusterStatus asks the members in turn until one answers.
func (c *PatroniCluster) clusterStatus(ctx context.Context) (patroniClusterStatus, error) {
	var st patroniClusterStatus
	var err error
	for _, n := range c.members {
		if err = c.http.json(ctx, http.MethodGet, n.member.RESTURL+"/cluster", nil, &st); err == nil {
			return st, nil
		}
	}
	return st, err
}

// waitREST waits until the node's REST API answers (any status).
func (c *PatroniCluster) waitREST(ctx context.Context, n *patroniNode) error {
	return c.poll(ctx, "the REST API of "+n.member.Name, func() (bool, error) {
		if !n.running() {
			return false, pollFatal{fmt.Errorf("pgtest: Patroni of %s exited\n%s", n.member.Name, n.logs())}
		}
		attempt, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, _, err := c.http.do(attempt, http.MethodGet, n.member.RESTURL+"/liveness", nil)
		return err == nil, nil
	})
}
