package srp

import (
	"strings"
	"testing"
	"time"
)

func TestFormatTimestamp(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2024, 10, 6, 13, 37, 50, 0, time.UTC), "Sun Oct 6 13:37:50 UTC 2024"},
		{time.Date(2024, 10, 16, 3, 7, 5, 999, time.UTC), "Wed Oct 16 03:07:05 UTC 2024"},
		{time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), "Wed Jan 1 00:00:00 UTC 2025"},
		{time.Date(2024, 10, 6, 23, 0, 0, 0, time.FixedZone("x", -2*3600)), "Mon Oct 7 01:00:00 UTC 2024"},
	}
	for _, tt := range tests {
		if got := FormatTimestamp(tt.in); got != tt.want {
			t.Errorf("FormatTimestamp(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{in: "Sun Oct 6 13:37:50 UTC 2024", want: time.Date(2024, 10, 6, 13, 37, 50, 0, time.UTC)},
		{in: "Sun Oct 06 13:37:50 UTC 2024", want: time.Date(2024, 10, 6, 13, 37, 50, 0, time.UTC)},
		{in: "Thu Feb 29 23:59:59 UTC 2024", want: time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC)},
		{in: "Mon Oct 6 13:37:50 UTC 2024", wantErr: true}, // wrong weekday
		{in: "Sun Oct 6 13:37:50 GMT 2024", wantErr: true},
		{in: "Sun Oct  6 13:37:50 UTC 2024", want: time.Date(2024, 10, 6, 13, 37, 50, 0, time.UTC)}, // asctime-style
		{in: "Sun Oct 6 25:37:50 UTC 2024", wantErr: true},
		{in: "Fri Feb 30 13:37:50 UTC 2024", wantErr: true},
		{in: "2024-10-06T13:37:50Z", wantErr: true},
		{in: "", wantErr: true},
		{in: "Sun Oct 6 13:37:50 UTC 2024" + strings.Repeat(" ", 40), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTimestamp(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && !got.Equal(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}
