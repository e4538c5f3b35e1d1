package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/slotkeeper/slotkeeper/internal/pgtest"
	"github.com/slotkeeper/slotkeeper/test/harness"
)

// showPostgresSlots prints the slots as PostgreSQL itself sees them on
// server (described by role), so the reader can match them with the
// Kubernetes objects.
func (d *demo) showPostgresSlots(ctx context.Context, server *pgtest.Server, role string) error {
	fmt.Printf("\n$ psql -h %s -p %d -c 'SELECT ... FROM pg_replication_slots'   (on %s)\n",
		server.Host, server.Port, role)
	slots, err := harness.Slots(ctx, server)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SLOT_NAME\tSLOT_TYPE\tDATABASE\tPLUGIN\tACTIVE\tRESTART_LSN")
	for _, s := range slots {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%t\t%s\n", s.Name, s.Type, s.Database, s.Plugin, s.Active, s.RestartLSN)
	}
	return w.Flush()
}
