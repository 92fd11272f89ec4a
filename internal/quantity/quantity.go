// Package quantity reads and writes the quantities fanbench's scenario
// files, flags and environment variables give with a unit: byte sizes
// ("20MiB", "300MB", "4190208") and bandwidths ("100Mbit"). ParseBytes is
// the one byte-size parser of the project: scenarios, the limiter grammar
// (budget:SIZE), the spill cache's FANBENCH_CACHE_MAX and the command's
// -size, -memlimit and -max flags all read sizes through it.
package quantity

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// unit is a suffix and how many base units (bytes, bits per second) it
// stands for.
type unit struct {
	suffix string
	mult   int64
}

// byteUnits are the units of a byte count: powers of 2 with an "i", powers of
// 10 without, as the IEC and SI prefixes mean. FormatBytes prefers the
// earlier entries.
var byteUnits = []unit{
	{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"kB", 1e3},
	{"B", 1},
}

// bandwidthUnits are the units of a bandwidth, in bits per second: powers of
// 10, as network speeds are quoted.
var bandwidthUnits = []unit{
	{"Gbit", 1e9}, {"Mbit", 1e6}, {"kbit", 1e3}, {"bit", 1},
}

// The units each parser takes, for error messages.
const (
	ByteUnitList      = "B, KiB, MiB, GiB, TiB, kB, MB, GB or TB"
	BandwidthUnitList = "bit, kbit, Mbit or Gbit"
)

// splitQuantity splits s into a decimal number without a sign or exponent
// ("20", "1.5") and the unit after it, with optional spaces between them.
func splitQuantity(s string) (num, unit string, ok bool) {
	i, dot := 0, false
	for i < len(s) {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
		case c == '.' && !dot && i > 0:
			dot = true
		default:
			goto done
		}
		i++
	}
done:
	num = s[:i]
	if num == "" || num[len(num)-1] == '.' {
		return "", "", false
	}
	return num, strings.TrimLeft(s[i:], " "), true
}

// lookupUnit returns the multiplier of suffix among units.
func lookupUnit(units []unit, suffix string) (int64, bool) {
	for _, u := range units {
		if u.suffix == suffix {
			return u.mult, true
		}
	}
	return 0, false
}

// ParseBytes reads a byte count: a decimal number and an optional unit
// (ByteUnitList), such as "20MiB", "1.5 GiB", "300MB" or "4190208". The
// result must be a whole number of bytes that fits an int64. It accepts no
// sign, so the result is never negative.
func ParseBytes(s string) (int64, error) {
	num, suffix, ok := splitQuantity(s)
	mult := int64(1)
	if ok && suffix != "" {
		mult, ok = lookupUnit(byteUnits, suffix)
	}
	if !ok {
		return 0, fmt.Errorf("%q is not a size in bytes (want a number and an optional unit: %s; e.g. 20MiB)", s, ByteUnitList)
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, fmt.Errorf("%q is not a size in bytes", s)
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	switch {
	case !r.IsInt():
		return 0, fmt.Errorf("%q is not a whole number of bytes", s)
	case !r.Num().IsInt64():
		return 0, fmt.Errorf("%q is too large (at most %d bytes)", s, int64(math.MaxInt64))
	}
	return r.Num().Int64(), nil
}

// FormatBytes writes n with the first unit of byteUnits that divides it
// exactly, so that ParseBytes gives n back: "20MiB", "300MB", "4190208B".
func FormatBytes(n int64) string {
	if n == 0 {
		return "0"
	}
	for _, u := range byteUnits {
		if n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + "B" // unreachable: B divides every n
}

// ParseBandwidth reads a bandwidth in bits per second: a decimal number and
// a unit (BandwidthUnitList), such as "100Mbit" or "2.5 Gbit". The unit is
// required, so a bare number cannot be mistaken for bytes. It accepts no
// sign, so the result is never negative.
func ParseBandwidth(s string) (float64, error) {
	num, suffix, ok := splitQuantity(s)
	var mult int64
	if ok {
		mult, ok = lookupUnit(bandwidthUnits, suffix)
	}
	if !ok {
		return 0, fmt.Errorf("%q is not a positive bandwidth (want a number and a unit: %s; e.g. 100Mbit)", s, BandwidthUnitList)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsInf(f*float64(mult), 0) {
		return 0, fmt.Errorf("%q is not a bandwidth this model can use", s)
	}
	return f * float64(mult), nil
}

// FormatBandwidth writes bits per second with the largest unit that gives a
// whole number, so that ParseBandwidth gives v back: "100Mbit", "1500kbit",
// "0.5bit".
func FormatBandwidth(v float64) string {
	for _, u := range bandwidthUnits {
		if q := v / float64(u.mult); q == math.Trunc(q) && q*float64(u.mult) == v {
			return strconv.FormatFloat(q, 'f', -1, 64) + u.suffix
		}
	}
	return strconv.FormatFloat(v, 'f', -1, 64) + "bit"
}
