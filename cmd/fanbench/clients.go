package main

import (
	"context"
	"fmt"
	"io"

	"github.com/fanbench/fanbench/harness/client"
	"github.com/olekukonko/tablewriter"
)

const clientsUsage = `usage: fanbench clients

Lists the client profiles: everything in the modelled uploader that is not
the buffer strategy (the transport, when the store cap is read, the byte
budget, the timeouts, how waves and proofs are held), each pinned to the
upstream ant-client commit it follows. Any strategy runs on any client;
choose one with run -client NAME or a scenario's client: key. The first is
the default.

Flags:
`

func cmdClients(_ context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newCommandFlags("clients", clientsUsage, stdout, stderr)
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("clients: unexpected argument %q", fs.Arg(0))}
	}
	t := tablewriter.NewWriter(stdout)
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
