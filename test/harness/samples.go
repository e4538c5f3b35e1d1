package harness

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
)

// The samples point at 127.0.0.1:5432 (primary) and :5433 (standby); the
// harness servers listen on 127.0.0.1 too, on free ports.
const (
	SamplePrimaryPort = "5432"
	SampleStandbyPort = "5433"
)

// samplePort matches a `port:` line of the rendered samples (with or without
// the list dash), so values like 54321 or targetPort are never touched.
var samplePort = regexp.MustCompile(`(?m)^([ \t]*(?:- )?port: )(\d+)[ \t]*$`)

// RenderSamples renders config/samples with kubectl kustomize, as a user's
// `kubectl apply -k` would, and points the ports at the given servers.
func RenderSamples(ctx context.Context, k Kubectl, root string, primaryPort, standbyPort int) (string, error) {
	manifest, err := k.Output(ctx, "kustomize", filepath.Join(root, "config", "samples"))
	if err != nil {
		return "", err
	}
	return RewritePorts(manifest, map[string]int{
		SamplePrimaryPort: primaryPort,
		SampleStandbyPort: standbyPort,
	})
}

// RewritePorts replaces the sample ports in one pass, so a new port that
// happens to equal another sample port is never rewritten twice. Every
// sample port must occur: if the samples change, the harness must be told.
func RewritePorts(manifest string, ports map[string]int) (string, error) {
	seen := map[string]bool{}
	out := samplePort.ReplaceAllStringFunc(manifest, func(line string) string {
		m := samplePort.FindStringSubmatch(line)
		port, ok := ports[m[2]]
		if !ok {
			return line
		}
		seen[m[2]] = true
		return m[1] + strconv.Itoa(port)
	})
	for sample := range ports {
		if !seen[sample] {
			return "", fmt.Errorf("config/samples has no host with port %s any more; update test/harness", sample)
		}
	}
	return out, nil
}
