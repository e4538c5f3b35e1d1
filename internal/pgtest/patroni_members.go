package pgtest

import (
	"context"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
)

// Options returns the options the cluster was started with, defaults
// filled in (e.g. LoopWait, to size a wait).
func (c *PatroniCluster) Options() PatroniOptions { return c.opts }

// Members returns the members in creation order (member 0 bootstrapped).
func (c *PatroniCluster) Members() []PatroniMember {
	out := make([]PatroniMember, len(c.members))
	for i, m := range c.members {
		out[i] = m.member
	}
	return out
}

// Member returns the member called name.
func (c *PatroniCluster) Member(name string) (PatroniMember, error) {
	n, err := c.node(name)
	if err != nil {
		return PatroniMember{}, err
	}
	return n.member, nil
}

func (c *PatroniCluster) node(name string) (*patroniNode, error) {
	for _, m := range c.members {
		if m.member.Name == name {
			return m, nil
		}
	}
	return nil, fmt.Errorf("pgtest: Patroni cluster %s has no member %q", c.Scope, name)
}

// SuperuserConnString returns a URL connection string for the superuser on
// the member's database postgres (password authentication, scram-sha-256).
func (c *PatroniCluster) SuperuserConnString(member string) string {
	m, err := c.Member(member)
	if err != nil {
		return ""
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(PatroniSuperuser, PatroniSuperuserPassword),
		Host:     m.PGAddr(),
		Path:     "/postgres",
		RawQuery: "sslmode=disable&connect_timeout=5",
	}
	return u.String()
}

// Connect opens a superuser connection to the member's database postgres.
func (c *PatroniCluster) Connect(ctx context.Context, member string) (*pgx.Conn, error) {
	if _, err := c.Member(member); err != nil {
		return nil, err
	}
	return pgx.Connect(ctx, c.SuperuserConnString(member))
}

// Exec runs sql as superuser on the member (simple protocol without args,
// so sql may hold several statements).
func (c *PatroniCluster) Exec(ctx context.Context, member, sql string, args ...any) error {
	conn, err := c.Connect(ctx, member)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

// QueryRow runs a one-row query as superuser on the member.
func (c *PatroniCluster) QueryRow(ctx context.Context, member, sql string, args []any, dest ...any) error {
	conn, err := c.Connect(ctx, member)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.QueryRow(ctx, sql, args...).Scan(dest...)
}
