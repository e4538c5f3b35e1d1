package postgres

import "testing"

func TestParseLSN(t *testing.T) {
	tests := []struct {
		in      string
		want    LSN
		wantErr bool
	}{
		{in: "0/0", want: 0},
		{in: "16/B374D848", want: 0x16B374D848},
		{in: "16/b374d848", want: 0x16B374D848},
		{in: "FFFFFFFF/FFFFFFFF", want: 0xFFFFFFFFFFFFFFFF},
		{in: "0/1", want: 1},
		{in: "", wantErr: true},
		{in: "16", wantErr: true},
		{in: "/1", wantErr: true},
		{in: "1/", wantErr: true},
		{in: "G/0", wantErr: true},
		{in: "100000000/0", wantErr: true},
		{in: "-1/0", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseLSN(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseLSN(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && got != tt.want {
			t.Errorf("ParseLSN(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestLSNString(t *testing.T) {
	for _, s := range []string{"0/0", "16/B374D848", "0/1000028", "FFFFFFFF/FFFFFFFF"} {
		l, err := ParseLSN(s)
		if err != nil {
			t.Fatal(err)
		}
		if l.String() != s {
			t.Errorf("round trip %q -> %q", s, l.String())
		}
	}
}

func TestLSNScanAndValue(t *testing.T) {
	var l LSN
	if err := l.Scan("16/B374D848"); err != nil || l != 0x16B374D848 {
		t.Fatalf("Scan(string) = %v, %v", l, err)
	}
	if err := l.Scan([]byte("0/10")); err != nil || l != 0x10 {
		t.Fatalf("Scan([]byte) = %v, %v", l, err)
	}
	if err := l.Scan(nil); err == nil {
		t.Fatal("Scan(nil) should fail")
	}
	if err := l.Scan(42); err == nil {
		t.Fatal("Scan(int) should fail")
	}
	v, err := LSN(0x10).Value()
	if err != nil || v != "0/10" {
		t.Fatalf("Value = %v, %v", v, err)
	}
}
