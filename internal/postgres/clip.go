package postgres

import "unicode/utf8"

// maxServerText bounds every string a server sends that may reach status,
// conditions, Events or logs. PostgreSQL's own names are at most 63 bytes
// and its settings short; a server (or an impostor) that sends more must
// not make the operator's status writes fail on size.
const maxServerText = 256

// Clip cuts s to at most n bytes on a rune boundary, marking the cut.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// clipText clips a string the server sent.
func clipText(s string) string { return Clip(s, maxServerText) }

// clipAll clips each string a pointer points to.
func clipAll(ps ...*string) {
	for _, p := range ps {
		*p = clipText(*p)
	}
}
