package html

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/reports/runs"
)

// calRow is one row of the calibration table; figures are preformatted.
type calRow struct {
	Scenario, Strategy, Limiter, Rep string
	Live, ReplayLive, Same           string
	Prediction, ReplayNet, Ratio     string
	HeapPeak, FinishGrow, Mapped     string
	Color                            string // the strategy's colour, #rrggbb
}

// calibrationSection is the page's section on calibration.json.
type calibrationSection struct {
	Rows []calRow
	// Heaptrack says some row has heaptrack's figures (fanbench calibrate
	// -heaptrack), which get their own columns.
	Heaptrack bool
	// Differ counts the rows whose replay counted another peak live than
	// fanbench.
	Differ int
	// Stale lists the batches of rows that are not the page's batch.
	Stale []string
	// Notes are the rows' client_resident_notes, "strategy: note".
	Notes []string
}

// buildCalibration turns calibration.json's rows into the section, in the
// rows' order of scenario, strategy (the palette's order), limiter and
// repetition; nil when there are none.
func buildCalibration(cal []result.Calibration, batch string, pal *palette) *calibrationSection {
	if len(cal) == 0 {
		return nil
	}
	cal = slices.Clone(cal)
	slices.SortStableFunc(cal, func(a, b result.Calibration) int {
		return cmp.Or(cmp.Compare(a.Scenario, b.Scenario), runs.CompareStrategies(a.Strategy, b.Strategy),
			runs.CompareLimiters(a.Limiter, b.Limiter), cmp.Compare(a.Rep, b.Rep))
	})
	sec := &calibrationSection{}
	stale := map[string]bool{}
	for _, c := range cal {
		r := calRow{Scenario: c.Scenario, Strategy: c.Strategy, Limiter: c.Limiter, Rep: strconv.Itoa(c.Rep),
			Live: mibText(c.PeakLive), ReplayLive: mibText(c.ReplayPeakLive), Same: "=",
			Prediction: "—", ReplayNet: mibText(c.ReplayVmHWM), Ratio: "—", HeapPeak: "—", FinishGrow: "—", Mapped: "—",
			Color: strategyHex(pal, c.Strategy)}
		if c.PeakLive != c.ReplayPeakLive {
			r.Same = "≠"
			sec.Differ++
		}
		if c.ClientResident > 0 {
			r.Prediction = mibText(c.ClientResident)
		}
		if c.ResidentRatio > 0 {
			r.Ratio = fmt.Sprintf("%.3f", c.ResidentRatio)
		}
		if c.HeaptrackPeakHeap > 0 {
			sec.Heaptrack = true
			r.HeapPeak, r.FinishGrow = mibText(c.HeaptrackPeakHeap), mibText(c.HeaptrackFinishGrow)
			r.Mapped = fmt.Sprintf("%.1f%%", 100*c.HeaptrackMappedShare)
		}
		if c.ClientResidentNote != "" {
			sec.Notes = append(sec.Notes, fmt.Sprintf("%s · %s · %s · rep %d: %s", c.Scenario, c.Strategy, c.Limiter, c.Rep, c.ClientResidentNote))
		}
		if c.Batch != "" && batch != "" && c.Batch != batch && !stale[c.Batch] {
			stale[c.Batch] = true
			sec.Stale = append(sec.Stale, c.Batch)
		}
		sec.Rows = append(sec.Rows, r)
	}
	return sec
}

// strategyHex is the strategy's colour as #rrggbb; grey for a strategy no
// record of the page has.
func strategyHex(pal *palette, strategy string) string {
	c, ok := pal.strategy[strategy]
	if !ok {
		return "#999999"
	}
	r, g, b, _ := c.RGBA()
	return fmt.Sprintf("#%02x%02x%02x", r>>8, g>>8, b>>8)
}

// mibText formats bytes as MiB with one decimal.
func mibText(b int64) string { return runs.FormatMiB(runs.MiB(b)) }
