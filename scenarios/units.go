package scenarios

import (
	"strconv"
	"strings"
	"time"

	"github.com/fanbench/fanbench/internal/quantity"
)

// The units a scenario file's sizes and bandwidths take, for error
// messages (package quantity).
const (
	byteUnitList      = quantity.ByteUnitList
	bandwidthUnitList = quantity.BandwidthUnitList
)

// ParseBytes reads a byte count as scenario files write it: a decimal
// number and an optional unit, such as "20MiB", "1.5 GiB", "300MB" or
// "4190208" (quantity.ParseBytes, the project's one byte-size parser).
func ParseBytes(s string) (int64, error) { return quantity.ParseBytes(s) }

// FormatBytes writes n as ParseBytes reads it back: "20MiB", "300MB",
// "4190208B" (quantity.FormatBytes).
func FormatBytes(n int64) string { return quantity.FormatBytes(n) }

// parseBandwidth reads a bandwidth in bits per second (quantity.ParseBandwidth).
func parseBandwidth(s string) (float64, error) { return quantity.ParseBandwidth(s) }

// formatBandwidth writes bits per second as parseBandwidth reads them back
// (quantity.FormatBandwidth).
func formatBandwidth(v float64) string { return quantity.FormatBandwidth(v) }

// formatDuration writes d as time.Duration.String does, without the zero
// minutes and seconds it appends: "10m" rather than "10m0s", "1h" rather
// than "1h0m0s". time.ParseDuration reads both.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// formatNumber writes f so that the scenario decoder reads it back exactly.
func formatNumber(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}
