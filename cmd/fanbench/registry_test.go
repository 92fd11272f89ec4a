package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fanbench/fanbench/harness/result"
	"github.com/fanbench/fanbench/harness/upload/strategy"
	"github.com/fanbench/fanbench/harness/uploader"
	"github.com/fanbench/fanbench/reports/html"
	"github.com/fanbench/fanbench/scenarios"
)

// TestStrategyRegistry registers one more strategy, in one place, and sees
// it everywhere a strategy's name is asked for: the command's help, the
// scenario validator and the report, which lists it in the registry's
// order, before a strategy the registry does not know.
func TestStrategyRegistry(t *testing.T) {
	def, _ := strategy.SharedBuffer.Def()
	def.Name, def.Summary = "zz-test-extra", "a test's copy of shared-buffer"
	_, remove := strategy.Register(def)
	t.Cleanup(remove)

	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), &stdout, &stderr, []string{"run", "-h"}); exitCode(err) != 0 {
		t.Fatalf("run -h: %v", err)
	}
	if !regexp.MustCompile(`-strategies string\n\s+comma-separated buffer strategies: copy-per-peer, .*streamed, zz-test-extra `).Match(stdout.Bytes()) {
		t.Errorf("run -h does not list the registered strategy under -strategies:\n%s", stdout.String())
	}

	yaml := func(strategies string) []byte {
		return []byte("name: extra\ndescription: d\nsource: {size: 1MiB}\nstrategies: " + strategies + "\n")
	}
	s, err := scenarios.Parse("extra.yaml", yaml("[zz-test-extra, streamed]"))
	if err != nil {
		t.Fatalf("the validator refuses the registered strategy: %v", err)
	}
	if got := strings.Join(s.Strategies, " "); got != "zz-test-extra streamed" {
		t.Errorf("strategies %q", got)
	}
	all, err := scenarios.Parse("all.yaml", []byte("name: all\ndescription: d\nsource: {size: 1MiB}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := all.Strategies[len(all.Strategies)-1]; got != "zz-test-extra" {
		t.Errorf("a scenario without strategies runs %q, not the registered one last", all.Strategies)
	}
	if _, err := scenarios.Parse("unknown.yaml", yaml("[zz-not-registered]")); err == nil ||
		!strings.Contains(err.Error(), `unknown.yaml:4:14: strategies[0]: unknown strategy "zz-not-registered"`) ||
		!strings.Contains(err.Error(), "streamed or zz-test-extra") {
		t.Errorf("an unregistered strategy: %v", err)
	}

	var recs []*result.Record
	for _, st := range []string{"aa-not-registered", "zz-test-extra", "copy-per-peer"} {
		recs = append(recs, &result.Record{Version: result.Version, Scenario: "extra", Strategy: st, Limiter: "aimd", Rep: 1,
			Status: result.OK, Stored: 3, Total: 3, Live: result.Live{Peak: 1 << 20}})
	}
	var page bytes.Buffer
	if err := html.Write(&page, recs, html.Options{}); err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile(`</span>([a-z-]+)</td>`).FindAllSubmatch(page.Bytes(), -1)
	var order []string
	for _, r := range rows {
		order = append(order, string(r[1]))
	}
	if got := strings.Join(order, " "); got != "copy-per-peer zz-test-extra aa-not-registered" {
		t.Errorf("the report's table lists %q, want the registry's order, then the others", got)
	}
}

// TestUploaderNames checks that an uploader the registry does not know is
// refused, with the known ones listed: as a flag (naming it) and as a
// scenario key (at its file, line and field); both exit 2.
func TestUploaderNames(t *testing.T) {
	known := strings.Join(uploader.Names(), ", ")
	if !strings.HasPrefix(known, uploader.Default) {
		t.Fatalf("uploaders %q: the default first, then the others", known)
	}
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("name: bad\ndescription: d\nsource: {size: 1MiB}\nuploader: nope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "-uploader", "nope", "smoke"}, `-uploader: unknown uploader "nope" (known: ` + known + ")"},
		{[]string{"fit", "-uploader", "nope", "-memlimit", "1GiB", "smoke"}, `-uploader: unknown uploader "nope" (known: ` + known + ")"},
		{[]string{"run", path}, path + `:4:1: uploader: unknown uploader "nope" (known: ` + known + ")"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), &stdout, &stderr, tc.args)
		if code := exitCode(err); code != 2 {
			t.Errorf("%q: exit %d (%v), want 2", tc.args, code, err)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to say %s", tc.args, err, tc.want)
		}
	}
}
