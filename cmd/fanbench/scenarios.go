package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/scenarios"
	"github.com/olekukonko/tablewriter"
)

const scenariosUsage = `usage: fanbench scenarios [-show NAME|PATH]

Lists the built-in scenarios, or prints one with every default written out
(a starting point for a scenario file of your own).

Examples:
  fanbench scenarios
  fanbench scenarios -show smoke > my.yaml

Flags:
`

func cmdScenarios(_ context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newCommandFlags("scenarios", scenariosUsage, stdout, stderr)
	show := fs.String("show", "", "print this scenario in full")
	if err := fs.parse(args); err != nil {
		return err
	}
	if *show != "" {
		s, err := scenarios.Lookup(*show)
		if err != nil {
			return usageError{err}
		}
		_, err = stdout.Write(s.Format())
		return err
	}
	t := tablewriter.NewWriter(stdout)
	t.Header("name", "size", "limiters", "strategies", "client", "memory limit", "description")
	for _, s := range scenarios.Builtins() {
		limit := "-"
		if s.MemoryLimit > 0 {
			limit = mib(s.MemoryLimit)
		}
		clients := strings.Join(s.Clients, ", ")
		if clients == "" {
			clients = client.Default
		}
		t.Append(s.Name, mib(s.Source.Size), fmt.Sprint(s.Limiters), fmt.Sprint(len(s.Strategies)), clients, limit, s.Description)
	}
	return t.Render()
}
