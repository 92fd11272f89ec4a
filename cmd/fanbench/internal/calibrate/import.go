package calibrate

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/exit"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/pick"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/reports/heaptrack"
)

// ImportOptions are fanbench import-heaptrack's command line.
type ImportOptions struct {
	// Capture is heaptrack's capture or heaptrack_print's text.
	Capture string
	// Dir is a results directory of a run of the same case ("" for none);
	// Scenario, Strategy and Limiter choose the run (pick.Run).
	Dir                         string
	Scenario, Strategy, Limiter string
	// Out is where the import is written as JSON: DIR/heaptrack-import.json
	// when empty with a Dir, nowhere without.
	Out string
}

// Import is fanbench import-heaptrack: it maps the capture's peak onto
// fanbench's sites (heaptrack.Map), beside the chosen run's live bytes by
// site when o.Dir is set, prints the import on stdout and writes it as
// JSON. An unreadable capture or run is bad input (exit.Usage).
func Import(ctx context.Context, stdout io.Writer, o ImportOptions) error {
	c, _, err := heaptrack.Open(ctx, o.Capture)
	if err != nil {
		return exit.UsageError(fmt.Errorf("import-heaptrack: %w", err))
	}
	rep := heaptrack.NewReport(c, heaptrack.Map(c, heaptrack.DefaultRules))
	var peak int64
	if o.Dir != "" {
		var rec *result.Record
		if rec, err = pick.Run(o.Dir, o.Scenario, o.Strategy, o.Limiter); err != nil {
			return exit.UsageError(fmt.Errorf("import-heaptrack: %w", err))
		}
		rep.Beside(fmt.Sprintf("%s/%s/%s rep %d", rec.Scenario, rec.Strategy, rec.Limiter, rec.Rep), rec.Live.AtPeak)
		peak = rec.Live.Peak
		if o.Out == "" {
			o.Out = filepath.Join(o.Dir, "heaptrack-import.json")
		}
	}
	if err := rep.WriteText(stdout, c, peak); err != nil {
		return err
	}
	if o.Out == "" {
		return nil
	}
	b, err := rep.JSON()
	if err != nil {
		return err
	}
	if err := result.WriteFileAtomic(o.Out, b); err != nil {
		return err
	}
	fmt.Fprintln(stdout, o.Out)
	return nil
}
