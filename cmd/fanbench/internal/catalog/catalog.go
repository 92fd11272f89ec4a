// Package catalog lists what fanbench can run, as tables for a terminal:
// the built-in scenarios (fanbench scenarios) and the client profiles
// (fanbench clients).
package catalog

import (
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/progress"
	"github.com/fanbench/fanbench/harness/client"
	"github.com/fanbench/fanbench/scenarios"
)

// Scenarios writes the table of the built-in scenarios.
func Scenarios(w io.Writer) error {
	t := tablewriter.NewWriter(w)
	t.Header("name", "size", "limiters", "strategies", "client", "memory limit", "description")
	for _, s := range scenarios.Builtins() {
		limit := "-"
		if s.MemoryLimit > 0 {
			limit = progress.MiB(s.MemoryLimit)
		}
		clients := strings.Join(s.Clients, ", ")
		if clients == "" {
			clients = client.Default
		}
		t.Append(s.Name, progress.MiB(s.Source.Size), fmt.Sprint(s.Limiters), fmt.Sprint(len(s.Strategies)), clients, limit, s.Description)
	}
	return t.Render()
}

// Clients writes the table of the client profiles, the default marked.
func Clients(w io.Writer) error {
	t := tablewriter.NewWriter(w)
	t.Header("client", "commit", "date", "what differs")
	for _, p := range client.Profiles() {
		name := p.Name
		if name == client.Default {
			name += " (default)"
		}
		t.Append(name, p.Commit, p.Date, p.Summary)
	}
	return t.Render()
}
