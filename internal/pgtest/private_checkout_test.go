package pgtest

import (
	"os"
	"path/filepath"
	"testing"
)

// A checkout in a directory only its owner may enter (root's home, a
// mktemp -d), as CI and many newcomers have it: the servers, which run as
// an unprivileged user when the tests run as root, must still start.
func TestServerFromPrivateCheckout(t *testing.T) {
	const major = 17
	real, err := BinDir(major)
	if err != nil {
		t.Fatal(err)
	}
	private := t.TempDir()
	if err := os.Chmod(private, 0o700); err != nil {
		t.Fatal(err)
	}
	checkout := filepath.Join(private, "slotkeeper")
	if err := os.MkdirAll(filepath.Join(checkout, "bin", "pg"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(checkout, "go.mod"), []byte("module "+modulePath+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// As hack/install-postgres.sh leaves it: bin/pg/<major> links to the
	// installation (a shared cache when installed as root).
	if err := os.Symlink(filepath.Dir(real), filepath.Join(checkout, "bin", "pg", "17")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLOTKEEPER_ROOT", checkout)
	s := StartPrimaryT(t, Options{Major: major, Name: "private-checkout"})
	var one int
	conn, err := s.Connect(t.Context(), "postgres")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if err := conn.QueryRow(t.Context(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1: %v", err)
	}
}
