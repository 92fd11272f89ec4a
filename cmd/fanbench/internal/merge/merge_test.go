package merge

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fanbench/fanbench/harness/result"
)

// part returns a part of a 2-shard batch of smoke's streamed and
// copy-per-peer cases at fixed:8, holding the records of its units.
func part(t *testing.T, index int, edit func(*result.Batch)) *Part {
	t.Helper()
	units := []string{"smoke/copy-per-peer/fixed:8", "smoke/streamed/fixed:8"}
	mine := units[index-1 : index]
	b := result.Batch{ID: "batch-" + string(rune('0'+index)), Started: time.Date(2026, 12, 1, 10, index, 0, 0, time.UTC), Planned: 2, Finished: 2,
		Notes: []string{"a note both have"}, Baselines: map[string]string{"smoke": "copy-per-peer"},
		Shard: &result.Shard{Index: index, Count: 2, Kind: "run", Plan: "p", Scenarios: []string{"smoke"}, Version: "v", Units: units, Mine: mine, Done: mine,
			Order: []string{
				"runs/smoke/streamed-fixed_8-1.json", "runs/smoke/copy-per-peer-fixed_8-1.json",
				"runs/smoke/copy-per-peer-fixed_8-2.json", "runs/smoke/streamed-fixed_8-2.json",
			},
			Config: []string{"goos: linux"}}}
	strategy := strings.Split(mine[0], "/")[1]
	var recs []*result.Record
	for rep := 1; rep <= 2; rep++ {
		recs = append(recs, &result.Record{Version: result.Version, Scenario: "smoke", Strategy: strategy, Limiter: "fixed:8", Rep: rep, Status: result.OK, Batch: b.ID})
	}
	if edit != nil {
		edit(&b)
	}
	return &Part{Dir: filepath.Join("shards", string(rune('0'+index))), Results: &result.Results{Batch: b, Records: recs}}
}

// TestJoin checks a join: the records in the whole batch's order, each of
// the joined batch, the counts summed, notes kept once with a line that
// names the shards, the configuration kept.
func TestJoin(t *testing.T) {
	j, err := Join([]*Part{part(t, 2, nil), part(t, 1, nil)}, "joined")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range j.Results.Records {
		if r.Batch != "joined" {
			t.Errorf("record %s of batch %s", RecordPath(r), r.Batch)
		}
		got = append(got, RecordPath(r))
	}
	if want := j.Parts[0].Batch.Shard.Order; !slices.Equal(got, want) {
		t.Errorf("records in the order\n%q\nwant\n%q", got, want)
	}
	b := j.Results.Batch
	if b.ID != "joined" || b.Planned != 4 || b.Finished != 4 || b.Shard != nil || b.Started != time.Date(2026, 12, 1, 10, 1, 0, 0, time.UTC) {
		t.Errorf("batch %+v", b)
	}
	if len(b.Notes) != 2 || b.Notes[0] != "a note both have" || !strings.HasPrefix(b.Notes[1], "joined by fanbench merge from 2 shards: 1/2 (batch batch-1, shards/1), 2/2 (batch batch-2, shards/2)") {
		t.Errorf("notes %q", b.Notes)
	}
	if j.Kind != "run" || !slices.Equal(j.Config, []string{"goos: linux"}) {
		t.Errorf("kind %q, config %q", j.Kind, j.Config)
	}
}

// TestJoinProblems checks that Join names every problem.
func TestJoinProblems(t *testing.T) {
	for _, tc := range []struct {
		name  string
		parts func() []*Part
		want  []string
	}{
		{"kind and count", func() []*Part {
			return []*Part{part(t, 1, nil), part(t, 2, func(b *result.Batch) { b.Shard.Kind, b.Shard.Count = "fit", 3 })}
		}, []string{
			`the shards disagree on the kind of batch: shard 1/2 (shards/1): "run"; shard 2/3 (shards/2): "fit"`,
			`the shards disagree on the shard count: shard 1/2 (shards/1): "2"; shard 2/3 (shards/2): "3"`,
		}},
		{"configuration", func() []*Part {
			return []*Part{part(t, 1, nil), part(t, 2, func(b *result.Batch) { b.Shard.Config = []string{"goos: darwin"} })}
		}, []string{`the shards disagree on the benchfmt configuration: shard 1/2 (shards/1): "goos: linux"; shard 2/2 (shards/2): "goos: darwin"`}},
		{"plan", func() []*Part {
			return []*Part{part(t, 1, nil), part(t, 2, func(b *result.Batch) { b.Shard.Plan = "q" })}
		}, []string{`the shards disagree on the plan (the scenarios' settings, flags and runs)`}},
		{"undone unit", func() []*Part {
			return []*Part{part(t, 1, func(b *result.Batch) { b.Shard.Done = nil }), part(t, 2, nil)}
		}, []string{"1 of 2 units missing: smoke/copy-per-peer/fixed:8"}},
		{"twice and missing", func() []*Part { return []*Part{part(t, 1, nil), part(t, 1, nil)} },
			[]string{"shard 1/2 given twice: shards/1 and shards/1", "1 of 2 units missing (shard 2/2 not given): smoke/streamed/fixed:8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Join(tc.parts(), "x")
			var e *Error
			if !errors.As(err, &e) || !slices.EqualFunc(e.Problems, tc.want, strings.HasPrefix) {
				t.Errorf("Join = %v\nwant problems %q", err, tc.want)
			}
		})
	}
}
