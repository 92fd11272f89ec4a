package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/runner"
)

func TestMain(m *testing.M) {
	runner.MaybeChild() // the runs re-execute this test binary
	os.Exit(m.Run())
}

func TestRunErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string // in the error or on stderr
	}{
		{nil, 2, "no command"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"run", "-size", "2"}, 2, "size: must be ≥ 3 bytes"},
		{[]string{"run", "-modes", "zero-copy"}, 2, `-modes: unknown strategy "zero-copy"`},
		{[]string{"run", "-limiter", "fixed:0"}, 2, `limiter "fixed:0"`},
		{[]string{"run", "-payment", "free"}, 2, `unknown payment mode "free"`},
		{[]string{"run", "-scale", "-1"}, 2, "scale: must be > 0"},
		{[]string{"run", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"run", "-memlimit", "NaN"}, 2, `-memlimit: "NaN" is not a positive size`},
		{[]string{"run", "-memlimit", "Inf"}, 2, `-memlimit: "Inf" is not a positive size`},
		{[]string{"run", "-memlimit", "99999999999GiB"}, 2, `is not a positive size`},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), &stdout, &stderr, tc.args)
			if err == nil {
				t.Fatal("no error")
			}
			if got := exitCode(err); got != tc.code {
				t.Errorf("exit code %d, want %d (err %v)", got, tc.code, err)
			}
			if msg := err.Error() + stderr.String(); !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not say %q", msg, tc.want)
			}
		})
	}
}

func TestRunSmall(t *testing.T) {
	var stdout, stderr bytes.Buffer
	dir := t.TempDir()
	args := []string{"run", "-size", "3000", "-modes", "copy-per-peer,streamed", "-limiter", "fixed:4", "-cache=false", "-o", dir}
	if err := run(context.Background(), &stdout, &stderr, args); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"copy-per-peer", "streamed", "3/3", "[3]", "results.json"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr.String(), "[4/4]") {
		t.Errorf("no progress on stderr:\n%s", stderr.String())
	}
	// One measured run and one profiling run per strategy.
	recs, err := filepath.Glob(filepath.Join(dir, "runs", "*", "*.json"))
	if err != nil || len(recs) != 4 {
		t.Fatalf("records on disk: %v, %v", recs, err)
	}
	for _, p := range recs {
		r, err := result.Read(p)
		if err != nil || r.Status != result.OK || r.Live.Peak == 0 || r.Profile != (r.PeakProfile != "") {
			t.Errorf("%s: %+v, %v", p, r, err)
		}
	}
}
