package quantity

import (
	"strings"
	"testing"
)

func TestParseBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  string // a part of the error, "" for none
	}{
		{"0", 0, ""},
		{"3", 3, ""},
		{"3B", 3, ""},
		{"20MiB", 20 << 20, ""},
		{"20 MiB", 20 << 20, ""},
		{"1.5GiB", 3 << 29, ""},
		{"0.5KiB", 512, ""},
		{"300MB", 300e6, ""},
		{"1GB", 1e9, ""},
		{"1kB", 1000, ""},
		{"4TiB", 4 << 40, ""},
		{"2TB", 2e12, ""},
		{"9223372036854775807", 1<<63 - 1, ""},
		{"9223372036854775808", 0, "too large"},
		{"8388608TiB", 0, "too large"},
		{"1.5B", 0, "whole number"},
		{"0.1KiB", 0, "whole number"},
		{"", 0, "not a size"},
		{"MiB", 0, "not a size"},
		{"-1MiB", 0, "not a size"},
		{"+1MiB", 0, "not a size"},
		{"1e6", 0, "not a size"},
		{"1.MiB", 0, "not a size"},
		{".5MiB", 0, "not a size"},
		{"1mib", 0, "not a size"},
		{"1Mb", 0, "not a size"},
		{"1KB", 0, "not a size"},
		{"1 2B", 0, "not a size"},
	} {
		got, err := ParseBytes(tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseBytes(%q) = %d, %v; want an error with %q", tc.in, got, err, tc.err)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0"}, {1, "1B"}, {1024, "1KiB"}, {20 << 20, "20MiB"}, {4 << 30, "4GiB"}, {1 << 40, "1TiB"},
		{300e6, "300MB"}, {1e9, "1GB"}, {1000, "1kB"}, {4190208, "4092KiB"}, {4190207, "4190207B"},
		{1<<63 - 1, "9223372036854775807B"},
	} {
		got := FormatBytes(tc.n)
		if got != tc.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
		if back, err := ParseBytes(got); err != nil || back != tc.n {
			t.Errorf("ParseBytes(FormatBytes(%d)) = %d, %v", tc.n, back, err)
		}
	}
}

func TestBandwidth(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		text string // FormatBandwidth(want)
	}{
		{"100Mbit", 100e6, "100Mbit"},
		{"1 Gbit", 1e9, "1Gbit"},
		{"2.5Gbit", 2.5e9, "2500Mbit"},
		{"64kbit", 64e3, "64kbit"},
		{"1bit", 1, "1bit"},
		{"0.5bit", 0.5, "0.5bit"},
		{"0Mbit", 0, "0Gbit"},
	} {
		got, err := ParseBandwidth(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseBandwidth(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if text := FormatBandwidth(tc.want); text != tc.text {
			t.Errorf("FormatBandwidth(%v) = %q, want %q", tc.want, text, tc.text)
		}
	}
	for _, in := range []string{"", "100", "100Mbps", "100mbit", "-5Mbit", "1e400Gbit", "Mbit", "100 MB"} {
		if v, err := ParseBandwidth(in); err == nil {
			t.Errorf("ParseBandwidth(%q) = %v, want an error", in, v)
		}
	}
}
