package postgres

import (
	"encoding/binary"
	"net"
	"strings"
	"testing"
	"time"
)

// A server that announces a 512 MiB message gets the connection closed at
// once; without a bound pgx would wait for (and then buffer) all of it.
func TestServerMessageIsBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 1024)
		_, _ = c.Read(buf) // the startup message
		header := []byte{'E', 0, 0, 0, 0}
		binary.BigEndian.PutUint32(header[1:], 512<<20)
		_, _ = c.Write(header)
		time.Sleep(10 * time.Second)
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	_, err = Connect(t.Context(), ConnConfig{Host: "127.0.0.1", Port: port, User: "u", Password: "p",
		TLSMode: "disable", ConnectTimeout: 8 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "invalid body length") {
		t.Fatalf("want the oversized message refused, got %v", err)
	}
}
