package pprofui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/exit"
	"github.com/fanbench/fanbench/cmd/fanbench/internal/pick"
	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/upload/strategy"
)

// Request is fanbench pprof's command line, parsed.
type Request struct {
	// Options are the top view, the browser and the writers; Command
	// fills in the profiles and the listener.
	Options
	// Dirs are the results directories given: one at most, results when
	// none.
	Dirs []string
	// Scenario, Strategy and Limiter choose the case (pick.PeakProfile);
	// Base a strategy, BaseDir a results directory, whose peak profile of
	// the same case is subtracted.
	Scenario, Strategy, Limiter string
	Base, BaseDir               string
	// HTTP is the web UI's loopback host:port.
	HTTP string
	// Given are the flags given, by name.
	Given map[string]bool
	// ParseOnly checks the command line and opens nothing.
	ParseOnly bool
}

// Command is fanbench pprof: it checks the command line, chooses the peak
// profile (and the one to subtract) from the records, and opens it. Every
// error before pprof runs is bad input (exit.Usage).
func Command(ctx context.Context, r Request) error {
	stderr := r.Stderr
	set, o := r.Given, r.Options
	scenario, strat, limiter, base, baseDir := &r.Scenario, &r.Strategy, &r.Limiter, &r.Base, &r.BaseDir
	dir := "results"
	switch pos := r.Dirs; len(pos) {
	case 0:
	case 1:
		dir = pos[0]
	default:
		return exit.UsageError(fmt.Errorf("one results directory expected, got %q", pos))
	}
	flagName := "-strategy"
	if set["mode"] && !set["strategy"] {
		flagName = "-mode"
	}
	switch _, err := strategy.Parse(*strat); {
	case o.Top && (set["http"] || set["browser"]):
		return exit.UsageError(errors.New("-top prints the text view and serves nothing: drop -http and -browser"))
	case err != nil:
		return exit.UsageError(fmt.Errorf("%s: %w", flagName, err))
	case *base != "" && *baseDir != "":
		return exit.UsageError(errors.New("-base and -base-dir: subtract another strategy's profile, or another commit's, not both"))
	}
	if *baseDir == "" {
		// A directory of fanbench compare -base: head against base.
		if h, b := filepath.Join(dir, "head"), filepath.Join(dir, "base"); pick.IsDir(h) && pick.IsDir(b) && !pick.IsDir(filepath.Join(dir, result.RunsDir)) {
			fmt.Fprintf(stderr, "fanbench: %s is a comparison: the head's peak profile against the base's\n", dir)
			dir, *baseDir = h, b
		}
	}
	if *base != "" {
		if _, err := strategy.Parse(*base); err != nil {
			return exit.UsageError(fmt.Errorf("-base: %w", err))
		}
		if *base == *strat {
			return exit.UsageError(fmt.Errorf("-base: %s is %s itself; the difference would be empty", *base, flagName))
		}
	}
	if r.ParseOnly {
		return nil
	}
	var err error
	if !o.Top {
		// Listen before reading anything, so a refused address is refused
		// first; the listener resolves port 0 to the port pprof announces.
		if o.Listener, err = Listen(r.HTTP); err != nil {
			return exit.UsageError(fmt.Errorf("-http: %w", err))
		}
		defer o.Listener.Close()
	}
	recs, err := pick.Records(dir, stderr)
	if err != nil {
		return exit.UsageError(err)
	}
	prof, err := pick.PeakProfile(dir, recs, *scenario, *strat, *limiter)
	if err != nil {
		return exit.UsageError(err)
	}
	fmt.Fprintf(stderr, "fanbench: peak profile of %s/%s (%s): %s\n", prof.Scenario, prof.Strategy, prof.Limiter, prof.Path)
	var bp *pick.Profile
	switch {
	case *base != "":
		bp, err = pick.BaseProfile(dir, recs, prof, *base)
	case *baseDir != "":
		var baseRecs []*result.Record
		if baseRecs, err = pick.Records(*baseDir, stderr); err != nil {
			return exit.UsageError(fmt.Errorf("-base-dir: %w", err))
		}
		bp, err = pick.SameCase(*baseDir, baseRecs, prof)
	}
	if err != nil {
		return exit.UsageError(err)
	}
	if bp != nil {
		fmt.Fprintf(stderr, "fanbench: minus the peak profile of %s/%s (%s): %s\n", bp.Scenario, bp.Strategy, bp.Limiter, bp.Path)
		o.Base = bp.Path
	}
	o.Profile = prof.Path
	return Open(ctx, o)
}
