package pgtest

import (
	"context"
	"fmt"
	"regexp"
	"slices"

	"github.com/jackc/pgx/v5"
)

// simpleName is what Subscribe accepts as subscription, slot and publication
// names: they are spliced into a utility statement, which takes no parameters.
var simpleName = regexp.MustCompile(`^[a-z0-9_]+$`)

// Subscribe creates subscription name on s, a real logical consumer of
// publication through the existing slot on the publisher that
// publisherConnInfo reaches. It copies no data: the test creates the tables
// and the slot, so it knows from which point on changes must arrive.
// failover marks the subscription failover = true, on PostgreSQL 17 and
// later only (earlier majors lack the option).
func (s *Server) Subscribe(ctx context.Context, name, publisherConnInfo, slot, publication string, failover bool) error {
	for _, id := range []string{name, slot, publication} {
		if !simpleName.MatchString(id) {
			return fmt.Errorf("pgtest: Subscribe: %q is not a name matching %s", id, simpleName)
		}
	}
	sql := fmt.Sprintf(`CREATE SUBSCRIPTION %s CONNECTION %s PUBLICATION %s
		WITH (create_slot = false, slot_name = %s, copy_data = false`,
		name, quoteLiteral(publisherConnInfo), publication, quoteLiteral(slot))
	if failover && s.Major >= 17 {
		sql += ", failover = true"
	}
	if err := s.Exec(ctx, sql+")"); err != nil {
		return s.errorf("CREATE SUBSCRIPTION %s: %w", name, err)
	}
	return nil
}

// IDs returns the ids in table, ordered, duplicates kept so that a caller
// can detect changes applied twice.
func (s *Server) IDs(ctx context.Context, table string) ([]int64, error) {
	conn, err := s.Connect(ctx, "postgres")
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT id FROM `+pgx.Identifier{table}.Sanitize()+` ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// IDLSNs maps each id in table to its lsn column as text ("" for NULL); on
// the publisher that is the WAL insert position of the row's insert.
func (s *Server) IDLSNs(ctx context.Context, table string) (map[int64]string, error) {
	conn, err := s.Connect(ctx, "postgres")
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT id, coalesce(lsn::text, '') FROM `+pgx.Identifier{table}.Sanitize())
	if err != nil {
		return nil, err
	}
	out := map[int64]string{}
	var id int64
	var lsn string
	_, err = pgx.ForEachRow(rows, []any{&id, &lsn}, func() error {
		out[id] = lsn
		return nil
	})
	return out, err
}

// CompareIDs compares the ids a consumer received (got) with those it should
// have (want): missing are in want but not in got, extra in got but not in
// want, duplicated occur more than once in got. Each list is sorted and
// names an id once; nil when empty.
func CompareIDs(want, got []int64) (missing, extra, duplicated []int64) {
	wanted := map[int64]bool{}
	for _, id := range want {
		wanted[id] = true
	}
	seen := map[int64]int{}
	for _, id := range got {
		seen[id]++
		switch {
		case seen[id] == 2:
			duplicated = append(duplicated, id)
		case seen[id] == 1 && !wanted[id]:
			extra = append(extra, id)
		}
	}
	for id := range wanted {
		if seen[id] == 0 {
			missing = append(missing, id)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	slices.Sort(duplicated)
	return missing, extra, duplicated
}
