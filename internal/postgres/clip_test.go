package postgres

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClipText(t *testing.T) {
	for _, in := range []string{"", "logical", strings.Repeat("x", maxServerText),
		strings.Repeat("x", 1<<20), strings.Repeat("é", 300), "a" + strings.Repeat("日本", 200)} {
		got := clipText(in)
		if len(got) > maxServerText || !utf8.ValidString(got) {
			t.Errorf("clip of %d bytes: %d bytes, valid %v", len(in), len(got), utf8.ValidString(got))
		}
		if len(in) <= maxServerText && got != in {
			t.Errorf("a short string was changed: %q", got)
		}
		if len(in) > maxServerText && !strings.HasSuffix(got, "…") {
			t.Errorf("a cut is not marked: %q", got[len(got)-8:])
		}
	}
}
