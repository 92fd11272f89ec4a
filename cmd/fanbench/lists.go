package main

import (
	"context"
	"fmt"
	"io"

	"github.com/fanbench/fanbench/cmd/fanbench/internal/catalog"
	"github.com/fanbench/fanbench/scenarios"
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
	if _, err := fs.parse(args); err != nil {
		return err
	}
	if *show != "" {
		s, err := scenarios.Lookup(*show)
		if err != nil {
			return usageError(err)
		}
		_, err = stdout.Write(s.Format())
		return err
	}
	return catalog.Scenarios(stdout)
}

const clientsUsage = `usage: fanbench clients

Lists the client profiles: everything in the modelled uploader that is not
the buffer strategy (the transport, when the store cap is read, the byte
budget, the timeouts, how waves and proofs are held), each pinned to the
upstream ant-client commit it follows. Any strategy runs on any client;
choose one with run -client NAME or a scenario's client: key. The first is
the default.

Examples:
  fanbench clients
  fanbench run -client apr28,newest smoke

Flags:
`

func cmdClients(_ context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newCommandFlags("clients", clientsUsage, stdout, stderr)
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(fmt.Errorf("clients: unexpected argument %q", pos[0]))
	}
	return catalog.Clients(stdout)
}
