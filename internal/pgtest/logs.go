package pgtest

import (
	"io"
	"os"
	"strings"
)

const logTailBytes = 8 << 10

// Logs returns the last lines of the server log, for failure messages.
func (s *Server) Logs() string {
	data, _ := readTail(s.logPath, logTailBytes)
	return strings.TrimRight(data, "\n")
}

// logSize is where the log ends now; logSince reads what came after, so a
// failed start is judged by its own messages only.
func (s *Server) logSize() int64 {
	fi, err := os.Stat(s.logPath)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func (s *Server) logSince(offset int64) string { return readFrom(s.logPath, offset) }

// readFrom returns what path holds after offset, at most 1 MiB.
func readFrom(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	data, _ := io.ReadAll(io.LimitReader(f, 1<<20))
	return string(data)
}

// readTail returns up to n bytes from the end of path, starting at a line.
func readTail(path string, n int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	start := max(fi.Size()-n, 0)
	buf := make([]byte, fi.Size()-start)
	if _, err := f.ReadAt(buf, start); err != nil && err != io.EOF {
		return "", err
	}
	text := string(buf)
	if start > 0 {
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			text = text[i+1:]
		}
	}
	return text, nil
}
