package userpool

import (
	"testing"

	"github.com/cognate-dev/cognate/internal/store"
)

func TestParseFilter(t *testing.T) {
	t.Parallel()
	alice := store.User{Username: "alice", Status: "CONFIRMED", Enabled: true, Attributes: map[string]string{"email": "alice@example.com"}}
	tests := []struct {
		in      string
		wantErr bool
		match   bool
	}{
		{`email = "alice@example.com"`, false, true},
		{`email="alice@example.com"`, false, true},
		{`email ^= "alice@"`, false, true},
		{`email ^= "bob"`, false, false},
		{`username = "alice"`, false, true},
		{`status = "Enabled"`, false, true},
		{`cognito:user_status = "UNCONFIRMED"`, false, false},
		{`email = alice`, true, false},
		{`email = "a"b"`, true, false},
		{`= "x"`, true, false},
		{`custom:x = "y"`, true, false},
		{`email != "x"`, true, false},
	}
	for _, tc := range tests {
		f, err := parseFilter(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("parseFilter(%q) error %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if err == nil && f.match(alice) != tc.match {
			t.Errorf("parseFilter(%q).match = %v, want %v", tc.in, !tc.match, tc.match)
		}
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, seed := range []string{`email = "a@b"`, `username ^= "x"`, `"`, `^=`, `a ^= ""`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := parseFilter(s)
		if err == nil && flt != nil {
			flt.match(store.User{Attributes: map[string]string{}})
		}
	})
}
