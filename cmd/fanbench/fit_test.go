package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/exit"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/fit"
	"github.com/fanbench/fanbench/harness/result"
)

// TestFitSmall runs fit on a 3 MB upload under a limit between the client's
// resident memory at caps 1 and 3, and checks its answer against its own
// runs: the answer's completes, the next cap's is killed, the byte budget
// allows the answer's cap and no more, and a budget run holds exactly what
// the cap run of the same cap holds.
func TestFitSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("runs up to a dozen child processes")
	}
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	common := []string{"-size", "3000000", "-modes", "shared-buffer", "-cache=false"}
	args := append([]string{"run", "-limiter", "fixed:1,fixed:3", "-profile=false", "-o", filepath.Join(dir, "probe")}, common...)
	if err := run(context.Background(), &stdout, &stderr, args); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	res, err := result.LoadDir(filepath.Join(dir, "probe"))
	if err != nil {
		t.Fatal(err)
	}
	resident := map[string]int64{}
	for _, r := range res.Records {
		resident[r.Limiter] = r.Memory.PeakResident
	}
	if resident["fixed:1"] >= resident["fixed:3"] {
		t.Fatalf("resident %v does not grow with the cap", resident)
	}
	limit := (resident["fixed:1"] + resident["fixed:3"]) / 2
	out := filepath.Join(dir, "fit")
	stdout.Reset()
	args = append([]string{"fit", "-memlimit", fmt.Sprint(limit), "-o", out}, common...)
	if err := run(context.Background(), &stdout, &stderr, args); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	es, err := fit.ReadFile(out)
	if err != nil || len(es) != 1 {
		t.Fatalf("fit.json: %v, %v", es, err)
	}
	e := es[0]
	if e.Strategy != "shared-buffer" || e.Size != 3000000 || e.MemLimit != limit || e.CapBound != 3 || e.MaxFixedCap < 1 || e.MaxFixedCap > 2 {
		t.Fatalf("answer %+v", e)
	}
	at, ok := (&fit.Answer{Runs: e.CapRuns}).At(e.MaxFixedCap)
	if !ok || !at.Fits || at.Resident >= limit || at.Resident != e.Resident {
		t.Errorf("the answer's run %+v", at)
	}
	if e.Next == nil || e.Next.Fits || e.Next.Step != e.MaxFixedCap+1 || e.Next.Status != "oom" {
		t.Errorf("the next cap's run %+v", e.Next)
	}
	if e.MaxByteBudget == nil || *e.MaxByteBudget != int64(e.MaxFixedCap+1)*e.LargestChunk-1 || e.LargestChunk < 1_000_000 {
		t.Errorf("max byte budget %v for cap %d", e.MaxByteBudget, e.MaxFixedCap)
	}
	for _, b := range e.BudgetRuns {
		if c, ok := (&fit.Answer{Runs: e.CapRuns}).At(b.Step); ok && (c.Resident != b.Resident || c.Fits != b.Fits) {
			t.Errorf("budget run %+v, cap run %+v: not the same", b, c)
		}
	}
	// Every run's record is in the results directory, and the answer is
	// printed with the setting.
	for _, o := range append(e.CapRuns, e.BudgetRuns...) {
		if _, err := os.Stat(filepath.Join(out, o.Record)); err != nil {
			t.Error(err)
		}
	}
	if want := fmt.Sprintf("ant --store-concurrency %d", e.MaxFixedCap); !strings.Contains(stdout.String(), want) || e.Setting == "" {
		t.Errorf("output lacks %q:\n%s", want, stdout.String())
	}
	if _, err := os.Stat(filepath.Join(out, "fit.svg")); err != nil {
		t.Error(err)
	}
}

// TestFitErrors checks fit's bad input: exit 2 naming the flag.
func TestFitErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"fit"}, "seed-20mb has no memory limit: give -memlimit SIZE"},
		{[]string{"fit", "-memlimit", "0"}, "-memlimit: must be > 0"},
		{[]string{"fit", "-memlimit", "1GiB", "-size", "2"}, "-size: must be ≥ 3 bytes"},
		{[]string{"fit", "-memlimit", "1GiB", "-modes", "zero-copy"}, `-modes: unknown strategy "zero-copy"`},
		{[]string{"fit", "-memlimit", "1GiB", "smoke", "seed-20mb"}, "fit: one scenario at a time, got 2"},
		{[]string{"fit", "-memlimit", "1GiB", "-limiter", "fixed:8"}, "flag provided but not defined: -limiter"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), &stdout, &stderr, append(tc.args, "-o", t.TempDir()))
			if exitCode(err) != exit.Usage || !strings.Contains(err.Error()+stderr.String(), tc.want) {
				t.Errorf("err %v (exit %d), want exit 2 saying %q", err, exitCode(err), tc.want)
			}
		})
	}
}
