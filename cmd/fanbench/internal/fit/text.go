package fit

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"

	"github.com/fanbench/fanbench/reports/runs"
)

// The real client's settings that fit's answers map to.
const (
	// capFlag is ant's option that caps the store channel: it lowers the
	// AIMD limiter's ceiling (ant-client ant-core/src/data/client/mod.rs
	// L185–194, after commit 768e3bd; shared/reference/uploader.md §2).
	capFlag = "--store-concurrency"
	// unpinnedCap is the value of capFlag that ant reads as "not pinned",
	// the store channel's old default, 8 (same place): pinning it does
	// nothing, so the highest cap that works as a pin below 9 is 7.
	unpinnedCap = 8
	// budgetConst is the constant of the in-flight byte budget (ant-client
	// ant-core/src/data/client/batch.rs, V2-461), 64 MiB upstream.
	budgetConst = "STORE_INFLIGHT_BYTE_BUDGET"
	// UpstreamBudget is its value upstream, in bytes.
	UpstreamBudget = 64 << 20
)

// Setting returns what to put into ant's configuration to keep e's upload
// under its limit, one line: the store cap as ant's option (one lower when
// the answer is the cap ant reads as unpinned), and the byte budget as the
// constant's value; or why there is nothing to set.
func Setting(e *Entry) string {
	switch {
	case e.MaxFixedCap == 0:
		return "none: even one store at a time is killed at this limit"
	case e.MaxFixedCap >= e.CapBound:
		return fmt.Sprintf("none needed: every store cap up to %d completes", e.CapBound)
	}
	s := fmt.Sprintf("ant %s %d", capFlag, e.MaxFixedCap)
	if e.MaxFixedCap == unpinnedCap {
		s = fmt.Sprintf("ant %s %d (%d is read as not pinned)", capFlag, unpinnedCap-1, unpinnedCap)
	}
	if b := e.MaxByteBudget; b != nil && *b > 0 {
		s += fmt.Sprintf("; or %s = %s (%s)", budgetConst, rustInt(*b), runs.FormatMiB(runs.MiB(*b)))
	}
	return s
}

// rustInt writes n with _ between groups of three digits, as a Rust
// literal: 50_282_495.
func rustInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('_')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// WriteText writes the entries as a table, then each entry's setting.
func WriteText(w io.Writer, entries []Entry) error {
	t := tablewriter.NewWriter(w)
	t.Header("strategy", "size", "limit", "model proposes", "max cap", "resident at it", "next cap", "max byte budget", "runs")
	for i := range entries {
		e := &entries[i]
		next := "-"
		if e.Next != nil {
			next = fmt.Sprintf("%d: %s at %d/%d chunks", e.Next.Step, e.Next.Status, e.Next.Stored, e.Next.Total)
		}
		budget := "not needed"
		switch b := e.MaxByteBudget; {
		case b == nil:
		case *b == 0:
			budget = "none fits"
		default:
			budget = fmt.Sprintf("%d B (%s)", *b, runs.FormatMiB(runs.MiB(*b)))
		}
		maxCap := strconv.Itoa(e.MaxFixedCap)
		if e.MaxFixedCap >= e.CapBound {
			maxCap += " (all)"
		}
		t.Append(e.Strategy, runs.FormatBytes(e.Size), runs.FormatBytes(e.MemLimit), strconv.Itoa(e.ProposedCap), maxCap,
			mibOr(e.Resident), next, budget, strconv.Itoa(len(e.CapRuns)+len(e.BudgetRuns)))
	}
	if err := t.Render(); err != nil {
		return err
	}
	fmt.Fprintln(w, "max cap: the highest fixed store cap whose run completes under the limit (the client's resident memory); next cap: the run one cap higher, killed;")
	fmt.Fprintf(w, "max byte budget: the highest in-flight byte budget that completes with the AIMD limiter at its ceiling (upstream's is %s)\n", runs.FormatBytes(UpstreamBudget))
	for i := range entries {
		e := &entries[i]
		fmt.Fprintf(w, "%s, %s under %s: %s\n", e.Strategy, runs.FormatBytes(e.Size), runs.FormatBytes(e.MemLimit), e.Setting)
	}
	return nil
}

func mibOr(b int64) string {
	if b == 0 {
		return "-"
	}
	return runs.FormatMiB(runs.MiB(b))
}
