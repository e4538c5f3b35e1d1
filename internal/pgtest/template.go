package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// templateRecipe changes whenever what initTemplate produces changes, so old
// cached templates are not reused.
const templateRecipe = "r1"

var templateMu sync.Mutex // one initdb at a time within this process

// templateDir returns a freshly initdb'ed data directory for binDir's
// version, creating it on first use. Other processes may race us: each
// builds in a private temporary directory and renames it into place, and
// the loser discards its copy, so a template that exists is complete.
func templateDir(ctx context.Context, major int, binDir string) (string, error) {
	version, err := binaryVersion(binDir, major)
	if err != nil {
		return "", err
	}
	u := currentServerUser()
	key := fmt.Sprintf("%d-%s-u%d-%s", major, version, u.uid, templateRecipe)
	final := filepath.Join(templatesRoot(), key)
	if fileExists(filepath.Join(final, "PG_VERSION")) {
		return final, nil
	}
	templateMu.Lock()
	defer templateMu.Unlock()
	if fileExists(filepath.Join(final, "PG_VERSION")) {
		return final, nil
	}
	if err := u.makeServerDir(templatesRoot()); err != nil {
		return "", fmt.Errorf("pgtest: template root: %w", err)
	}
	if err := u.checkTraversable(templatesRoot()); err != nil {
		return "", err
	}
	removeStaleBuilds(templatesRoot())
	work, err := os.MkdirTemp(templatesRoot(), key+".tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	if err := u.makeServerDir(work); err != nil {
		return "", err
	}
	data := filepath.Join(work, "data")
	if err := initTemplate(ctx, binDir, data); err != nil {
		return "", err
	}
	if err := os.Rename(data, final); err != nil && !fileExists(filepath.Join(final, "PG_VERSION")) {
		return "", fmt.Errorf("pgtest: publishing template: %w", err)
	}
	return final, nil
}

// initTemplate runs initdb into data and installs our pg_hba.conf and the
// include of the per-server settings file.
func initTemplate(ctx context.Context, binDir, data string) error {
	cmd := serverCommand(ctx, filepath.Dir(data), filepath.Join(binDir, "initdb"),
		"-D", data, "-U", "postgres",
		"--auth-local=trust", "--auth-host=scram-sha-256",
		"-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := StartChild(cmd); err != nil {
		return fmt.Errorf("pgtest: initdb: %w", err)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("pgtest: initdb: %w\n%s", err, strings.TrimSpace(out.String()))
	}
	u := currentServerUser()
	hba := filepath.Join(data, "pg_hba.conf")
	if err := os.WriteFile(hba, []byte(hbaConf), 0o600); err != nil {
		return err
	}
	if err := u.chown(hba); err != nil {
		return err
	}
	return appendFile(filepath.Join(data, "postgresql.conf"),
		"\n# Added by pgtest: per-server settings, rewritten on every start.\ninclude '"+confFile+"'\n")
}

// removeStaleBuilds deletes build directories left by processes killed
// during initdb; a live build takes seconds, so an hour-old one is dead.
func removeStaleBuilds(root string) {
	builds, _ := filepath.Glob(filepath.Join(root, "*.tmp-*"))
	for _, dir := range builds {
		if fi, err := os.Stat(dir); err == nil && time.Since(fi.ModTime()) > time.Hour {
			_ = os.RemoveAll(dir)
		}
	}
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(text)
	return errors.Join(err, f.Close())
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
