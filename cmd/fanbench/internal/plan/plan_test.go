package plan

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Shard
		err  string
	}{
		{"1/3", Shard{1, 3}, ""},
		{"3/3", Shard{3, 3}, ""},
		{"1/1", Shard{1, 1}, ""},
		{"0/3", Shard{}, `"0/3": shards count from 1 (1/3 to 3/3)`},
		{"4/3", Shard{}, `"4/3": shard 4 is beyond the count 3 (1/3 to 3/3)`},
		{"a/b", Shard{}, `"a/b" is not i/n (two whole numbers, the shard and the count, e.g. 2/4)`},
		{"3", Shard{}, `"3" is an index without a count: want i/n, e.g. 3/4`},
		{"3/", Shard{}, `"3/" is not i/n`},
		{"1/0", Shard{}, `"1/0": the count must be ≥ 1`},
		{"-1/3", Shard{}, `"-1/3": shards count from 1`},
		{"", Shard{}, `"" is not i/n`},
	} {
		got, err := Parse(tc.in)
		if tc.err == "" {
			if err != nil || got != tc.want {
				t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
			t.Errorf("Parse(%q) = %v, %v; want error %q", tc.in, got, err, tc.err)
		}
	}
}

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flag  string
		count int
		env   map[string]string
		want  Shard
		from  string
		err   string
	}{
		{"nothing", "", 0, nil, Shard{}, "", ""},
		{"flag", "2/4", 0, nil, Shard{2, 4}, "-shard", ""},
		{"flag wins", "2/4", 0, map[string]string{EnvK8sIndex: "0", EnvCount: "3"}, Shard{2, 4}, "-shard", ""},
		{"bad flag", "4/3", 0, nil, Shard{}, "", `-shard "4/3": shard 4 is beyond the count 3`},
		{"flag and -shards", "1/3", 3, nil, Shard{}, "", "-shards 3: -shard 1/3 carries its count"},
		{"k8s with -shards", "", 3, map[string]string{EnvK8sIndex: "2"}, Shard{3, 3}, EnvK8sIndex, ""},
		{"k8s with env count", "", 0, map[string]string{EnvK8sIndex: "0", EnvCount: "4"}, Shard{1, 4}, EnvK8sIndex, ""},
		{"k8s wins over bazel", "", 0, map[string]string{EnvK8sIndex: "1", EnvCount: "2", EnvBazelIndex: "0", EnvBazelTotal: "5"}, Shard{2, 2}, EnvK8sIndex, ""},
		{"k8s without count", "", 0, map[string]string{EnvK8sIndex: "2"}, Shard{}, "",
			"JOB_COMPLETION_INDEX=2 (a Kubernetes Indexed Job) gives an index without a count: give -shards N or set FANBENCH_SHARDS"},
		{"k8s beyond", "", 0, map[string]string{EnvK8sIndex: "3", EnvCount: "3"}, Shard{}, "",
			"JOB_COMPLETION_INDEX=3 is beyond the 3 shards of FANBENCH_SHARDS (indexes 0 to 2)"},
		{"k8s not a number", "", 3, map[string]string{EnvK8sIndex: "x"}, Shard{}, "", `JOB_COMPLETION_INDEX="x" is not a whole number`},
		{"k8s bad count", "", 0, map[string]string{EnvK8sIndex: "0", EnvCount: "zero"}, Shard{}, "", `FANBENCH_SHARDS="zero" is not a count of shards ≥ 1`},
		{"-shards alone", "", 4, nil, Shard{}, "", "-shards 4 without an index"},
		{"-shards negative", "", -1, nil, Shard{}, "", "-shards -1: the count must be ≥ 1"},
		{"bazel", "", 0, map[string]string{EnvBazelIndex: "0", EnvBazelTotal: "2"}, Shard{1, 2}, EnvBazelIndex, ""},
		{"bazel without total", "", 0, map[string]string{EnvBazelIndex: "1"}, Shard{}, "", "TEST_SHARD_INDEX=1 gives an index without a count: TEST_TOTAL_SHARDS is not set"},
		{"bazel total alone", "", 0, map[string]string{EnvBazelTotal: "2"}, Shard{}, "", "TEST_TOTAL_SHARDS=2 without TEST_SHARD_INDEX"},
		{"bazel beyond", "", 0, map[string]string{EnvBazelIndex: "2", EnvBazelTotal: "2"}, Shard{}, "", "TEST_SHARD_INDEX=2 is beyond the 2 shards of TEST_TOTAL_SHARDS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, from, err := Resolve(tc.flag, tc.count, func(k string) string { return tc.env[k] })
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Errorf("Resolve = %v %q %v; want error %q", got, from, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want || from != tc.from {
				t.Errorf("Resolve = %v %q %v; want %v %q", got, from, err, tc.want, tc.from)
			}
		})
	}
}

func TestAcknowledge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "status")
	if err := Acknowledge(func(string) string { return "" }); err != nil {
		t.Errorf("Acknowledge without the variable = %v", err)
	}
	if err := Acknowledge(func(k string) string { return map[string]string{EnvBazelStatus: path}[k] }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("status file not touched: %v", err)
	}
}

func TestAssign(t *testing.T) {
	units := func(ws ...float64) []Unit {
		var out []Unit
		for i, w := range ws {
			out = append(out, Unit{Key: fmt.Sprintf("c%02d", i), Weight: w})
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		units []Unit
		count int
		want  map[string]int
	}{
		{"equal weights go round", units(1, 1, 1, 1), 3, map[string]int{"c00": 1, "c01": 2, "c02": 3, "c03": 1}},
		{"heaviest first", units(1, 10, 1, 1, 9), 2, map[string]int{"c01": 1, "c04": 2, "c00": 2, "c02": 1, "c03": 2}},
		{"one shard", units(3, 2), 1, map[string]int{"c00": 1, "c01": 1}},
		{"more shards than units", units(1, 1), 4, map[string]int{"c00": 1, "c01": 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Assign(tc.units, tc.count)
			if err != nil || !maps.Equal(got, tc.want) {
				t.Errorf("Assign = %v, %v; want %v", got, err, tc.want)
			}
			// The order the units come in does not matter.
			rev := slices.Clone(tc.units)
			slices.Reverse(rev)
			if again, _ := Assign(rev, tc.count); !maps.Equal(again, got) {
				t.Errorf("Assign of the units reversed = %v, want %v", again, got)
			}
		})
	}
	if _, err := Assign(units(1, 1), 0); err == nil {
		t.Error("Assign to 0 shards: no error")
	}
	if _, err := Assign([]Unit{{"a", 1}, {"a", 2}}, 2); err == nil || !strings.Contains(err.Error(), `"a" given twice`) {
		t.Errorf("a repeated key: %v", err)
	}
	if _, err := Assign([]Unit{{"a", -1}}, 2); err == nil {
		t.Error("a negative weight: no error")
	}
}

func TestEstimate(t *testing.T) {
	e := NewEstimate([]float64{100, 100, 300, 500})
	if _, ok := e.Left(); ok {
		t.Error("a pace before any run finished")
	}
	e.Done(100, 10*time.Second)
	if left, ok := e.Left(); !ok || left != 90*time.Second {
		t.Errorf("after 100 of 1000 in 10 s: %v %v left, want 1m30s", left, ok)
	}
	e.Done(300, 50*time.Second)
	if left, _ := e.Left(); left != 90*time.Second {
		t.Errorf("after 400 of 1000 in 60 s: %v left, want 1m30s", left)
	}
	e.Done(600, time.Minute)
	if left, _ := e.Left(); left != 0 {
		t.Errorf("all done: %v left", left)
	}
}
