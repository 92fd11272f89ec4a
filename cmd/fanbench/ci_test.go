package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// ciDir holds the CI files users copy: a GitHub Actions workflow and a
// Kubernetes Indexed Job with its merge.
const ciDir = "../../docs/ci"

// commandLine is one fanbench command line found in a CI file: its
// arguments after the program's name, the environment it runs with, and
// where it was found.
type commandLine struct {
	args  []string
	env   map[string]string
	where string
}

// TestCICommandLines checks that every fanbench command line of docs/ci
// parses as fanbench's own flag parsing reads it, with the scenarios it
// names and the shard it resolves (the workflow's matrix expressions and
// shell variables given sample values, the Kubernetes Job's environment
// and index): each command runs in parse-only mode and must return nil.
func TestCICommandLines(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(ciDir, "*.y*ml"))
	if err != nil || len(files) < 2 {
		t.Fatalf("CI files: %v, %v", files, err)
	}
	var lines []commandLine
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ls, err := ciCommandLines(f, data)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, ls...)
	}
	kinds := map[string]bool{}
	for _, l := range lines {
		kinds[l.args[0]] = true
		t.Run(l.where, func(t *testing.T) {
			for _, k := range []string{"JOB_COMPLETION_INDEX", "FANBENCH_SHARDS", "TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS"} {
				t.Setenv(k, l.env[k])
			}
			var stdout, stderr bytes.Buffer
			ctx := context.WithValue(context.Background(), parseOnlyKey{}, true)
			if err := run(ctx, &stdout, &stderr, l.args); err != nil {
				t.Errorf("fanbench %s: %v\n%s", strings.Join(l.args, " "), err, stderr.String())
			}
		})
	}
	// The files show the three steps of a sharded batch at least.
	for _, k := range []string{"compare", "run", "merge"} {
		if !kinds[k] {
			t.Errorf("no fanbench %s command line in %s", k, ciDir)
		}
	}
}

// TestCICommandLinesFail checks that the check can fail: a command line it
// extracts that fanbench refuses, is refused.
func TestCICommandLinesFail(t *testing.T) {
	ls, err := ciCommandLines("bad.yml", []byte(`jobs:
  x:
    strategy: {matrix: {shard: [1, 2]}}
    steps:
      - run: go run ./cmd/fanbench run -shard ${{ matrix.shard }}/0 smoke
`))
	if err != nil || len(ls) != 1 {
		t.Fatalf("%v, %v", ls, err)
	}
	ctx := context.WithValue(context.Background(), parseOnlyKey{}, true)
	var out bytes.Buffer
	if err := run(ctx, &out, &out, ls[0].args); err == nil || !strings.Contains(err.Error(), `-shard "1/0": the count must be ≥ 1`) {
		t.Errorf("run %q = %v", ls[0].args, err)
	}
}

// ciCommandLines finds the fanbench command lines of a CI file: in a
// GitHub Actions workflow, in each step's run script (a line that runs
// fanbench or go run ./cmd/fanbench, with its continuations), with the
// workflow's expressions replaced by sample values (a matrix variable by
// its first value, strategy.job-total by the matrix's size) and shell
// variables by "HEAD"; in a Kubernetes Job, each container whose command
// is fanbench, with its args, its env and, for an Indexed Job, index 0.
func ciCommandLines(file string, data []byte) ([]commandLine, error) {
	var out []commandLine
	for i, doc := range bytes.Split(data, []byte("\n---\n")) {
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, i+1, err)
		}
		if jobs, ok := m["jobs"].(map[string]any); ok {
			ls, err := workflowLines(file, jobs)
			if err != nil {
				return nil, err
			}
			out = append(out, ls...)
		}
		if m["kind"] == "Job" {
			out = append(out, jobLines(file, m)...)
		}
	}
	return out, nil
}

var exprRE = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

func workflowLines(file string, jobs map[string]any) ([]commandLine, error) {
	var out []commandLine
	for _, name := range slices.Sorted(maps.Keys(jobs)) {
		job, _ := jobs[name].(map[string]any)
		values := map[string]string{}
		if strat, ok := job["strategy"].(map[string]any); ok {
			if matrix, ok := strat["matrix"].(map[string]any); ok {
				total := 1
				for k, v := range matrix {
					if list, ok := v.([]any); ok && len(list) > 0 {
						values["matrix."+k] = fmt.Sprint(list[0])
						total *= len(list)
					}
				}
				values["strategy.job-total"] = fmt.Sprint(total)
			}
		}
		steps, _ := job["steps"].([]any)
		for si, s := range steps {
			step, _ := s.(map[string]any)
			script, _ := step["run"].(string)
			script = strings.ReplaceAll(script, "\\\n", " ")
			for li, line := range strings.Split(script, "\n") {
				var err error
				line = exprRE.ReplaceAllStringFunc(line, func(e string) string {
					k := exprRE.FindStringSubmatch(e)[1]
					v, ok := values[k]
					if !ok {
						v = "1" // a value of the event (a number, a sha) is no flag of fanbench's
					}
					return v
				})
				words, err := shellWords(line)
				if err != nil {
					return nil, fmt.Errorf("%s: job %s, step %d, line %d: %w", file, name, si+1, li+1, err)
				}
				if args, ok := afterFanbench(words); ok {
					out = append(out, commandLine{args: args, where: fmt.Sprintf("%s/%s/step%d", filepath.Base(file), name, si+1)})
				}
			}
		}
	}
	return out, nil
}

// afterFanbench returns the arguments after the program in words, when
// words run fanbench.
func afterFanbench(words []string) ([]string, bool) {
	for i, w := range words {
		if (w == "fanbench" || w == "./cmd/fanbench") && i+1 < len(words) {
			return words[i+1:], true
		}
	}
	return nil, false
}

// shellWords splits a line of a POSIX shell script into words: quotes
// removed, $NAME and ${NAME} replaced by "HEAD", a # comment dropped.
func shellWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote == '\'' && c != '\'':
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			if quote == c {
				quote = 0
			} else if quote == 0 {
				quote = c
			} else {
				cur.WriteByte(c)
			}
			in = true
		case c == '$' && quote != '\'' && i+1 < len(line) && (line[i+1] == '{' || line[i+1] == '_' || line[i+1] >= 'A' && line[i+1] <= 'Z'):
			j := i + 1
			if line[j] == '{' {
				j = strings.IndexByte(line[i:], '}') + i
			} else {
				for j+1 < len(line) && (line[j+1] == '_' || line[j+1] >= 'A' && line[j+1] <= 'Z' || line[j+1] >= '0' && line[j+1] <= '9') {
					j++
				}
			}
			cur.WriteString("HEAD")
			in, i = true, j
		case quote == 0 && (c == ' ' || c == '\t'):
			if in {
				words, in = append(words, cur.String()), false
				cur.Reset()
			}
		case quote == 0 && c == '#' && !in:
			i = len(line)
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote in %q", quote, line)
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

func jobLines(file string, job map[string]any) []commandLine {
	meta, _ := job["metadata"].(map[string]any)
	spec, _ := job["spec"].(map[string]any)
	tmpl, _ := spec["template"].(map[string]any)
	pod, _ := tmpl["spec"].(map[string]any)
	containers, _ := pod["containers"].([]any)
	var out []commandLine
	for _, c := range containers {
		ctr, _ := c.(map[string]any)
		env := map[string]string{}
		if spec["completionMode"] == "Indexed" {
			env["JOB_COMPLETION_INDEX"] = "0"
		}
		list, _ := ctr["env"].([]any)
		for _, e := range list {
			kv, _ := e.(map[string]any)
			env[fmt.Sprint(kv["name"])] = fmt.Sprint(kv["value"])
		}
		var words []string
		for _, key := range []string{"command", "args"} {
			ws, _ := ctr[key].([]any)
			for _, w := range ws {
				// Kubernetes expands $(NAME) from the container's
				// environment.
				words = append(words, os.Expand(strings.NewReplacer("$(", "${", ")", "}").Replace(fmt.Sprint(w)), func(k string) string { return env[k] }))
			}
		}
		if args, ok := afterFanbench(words); ok {
			out = append(out, commandLine{args: args, env: env, where: fmt.Sprintf("%s/%v", filepath.Base(file), meta["name"])})
		}
	}
	return out
}
