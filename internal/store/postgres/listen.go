package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// revokedChannel is the notification channel revocations are announced on.
const revokedChannel = "roster_token_revoked"

// notifyRevoked is Dialect.NotifyRevoked: pg_notify in the revoking
// transaction is delivered to every listener when, and only if, it commits.
const notifyRevoked = "SELECT pg_notify('" + revokedChannel + "', $1)"

// watchRevoked returns the store's WatchRevoked: one connection of its own
// per watch LISTENs for revocations and calls fn with each token id. The
// first LISTEN is made before it returns, so a revocation committed after
// that is never missed; if the connection drops, it reconnects with
// backoff and calls fn("") once listening again, since revocations in the
// gap were not heard.
func watchRevoked(url string) func(ctx context.Context, fn func(string)) error {
	return func(ctx context.Context, fn func(string)) error {
		conn, err := listen(ctx, url)
		if err != nil {
			return err
		}
		go func() {
			backoff := 100 * time.Millisecond
			for {
				for {
					n, err := conn.WaitForNotification(ctx)
					if err != nil {
						break
					}
					fn(n.Payload)
				}
				conn.Close(context.Background())
				for {
					if ctx.Err() != nil {
						return
					}
					select {
					case <-ctx.Done():
						return
					case <-time.After(backoff):
					}
					if conn, err = listen(ctx, url); err == nil {
						break
					}
					backoff = min(2*backoff, 10*time.Second)
				}
				backoff = 100 * time.Millisecond
				fn("")
			}
		}()
		return nil
	}
}

func listen(ctx context.Context, url string) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connect to listen for revocations: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+revokedChannel); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("listen for revocations: %w", err)
	}
	return conn, nil
}
