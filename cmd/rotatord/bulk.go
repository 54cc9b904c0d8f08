package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/control"
	"github.com/rotatord/rotatord/internal/iamrotate"
)

// The results of one secret in a bulk rotation.
const (
	bulkRotated    = "rotated"     // a new key, delivered (and the old one revoked, if asked)
	bulkResumed    = "resumed"     // an open rotation finished
	bulkPending    = "pending"     // the new key waits for a sink; both keys stay valid
	bulkFailed     = "failed"      // see the detail
	bulkSkipped    = "skipped"     // already revoked for this --reason by an earlier run
	bulkNotStarted = "not started" // interrupted before its turn
)

// bulkRequest is what one bulk rotation does.
type bulkRequest struct {
	names []string
	// revoke, if set, revokes each replaced key.
	revoke *iamrotate.Revoke
	// parallel is how many rotations are asked for at once.
	parallel int
}

// bulkRow is one secret's line in the summary (and the -o json/yaml
// document).
type bulkRow struct {
	Name     string  `json:"name" yaml:"name"`
	Result   string  `json:"result" yaml:"result"`
	OldKeyID *string `json:"old_key_id" yaml:"old_key_id"`
	NewKeyID *string `json:"new_key_id" yaml:"new_key_id"`
	Version  *int    `json:"version" yaml:"version"`
	Detail   *string `json:"detail" yaml:"detail"`
}

// bulkDoc is the summary of `rotatord rotate -o json|yaml`.
type bulkDoc struct {
	Rotations []bulkRow `json:"rotations" yaml:"rotations"`
	Rotated   int       `json:"rotated" yaml:"rotated"`
	Pending   int       `json:"pending" yaml:"pending"`
	Failed    int       `json:"failed" yaml:"failed"`
	Skipped   int       `json:"skipped" yaml:"skipped"`
	NotDone   int       `json:"not_started" yaml:"not_started"`
}

// selectSecrets returns the canonical names a bulk rotation covers: the
// names given (each must be configured), every secret under folder, or
// every secret (all), in the configuration's order. rotateFlags.check has
// made sure that exactly one of them is given.
func selectSecrets(cfg *config.Config, names []string, folder string, all bool) ([]string, error) {
	var out []string
	switch {
	case all:
		for _, s := range cfg.Secrets {
			out = append(out, s.Name)
		}
	case folder != "":
		f, err := config.CanonicalFolder(folder)
		if err != nil {
			return nil, errUsage{err}
		}
		for _, s := range cfg.Secrets {
			if f == "/" || config.InFolder(s.Name, f) {
				out = append(out, s.Name)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("no secret under %s (see rotatord list %s)", f, f)
		}
	default:
		for _, n := range names {
			n = config.CanonicalName(n)
			if cfg.SecretByName(n) == nil {
				return nil, fmt.Errorf("%w: %s (see rotatord list)", control.ErrUnknownSecret, n)
			}
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out, nil
}

// runBulk rotates req.names through b, req.parallel at a time, drawing
// progress on bar, and returns one row per name in order.
// When ctx ends, no further rotation starts; those are "not started".
func runBulk(ctx context.Context, b backend, req bulkRequest, bar *progressBar) []bulkRow {
	rows := make([]bulkRow, len(req.names))
	todo := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range max(1, min(req.parallel, len(req.names))) {
		wg.Go(func() {
			for i := range todo {
				rows[i] = rotateOne(ctx, b, req, req.names[i])
				mu.Lock()
				done++
				bar.set(done, len(req.names))
				mu.Unlock()
			}
		})
	}
	bar.set(0, len(req.names))
	next := 0
feed:
	for ; next < len(req.names); next++ {
		select {
		case todo <- next:
		case <-ctx.Done():
			break feed
		}
	}
	close(todo)
	wg.Wait()
	for i := next; i < len(req.names); i++ {
		rows[i] = bulkRow{Name: req.names[i], Result: bulkNotStarted, Detail: optional("interrupted before its turn; run the command again")}
	}
	return rows
}

// busyRetries is how many times a bulk rotation waits for a job the daemon
// already runs on a secret (the rotation of an earlier, interrupted run,
// say) and asks again.
const busyRetries = 3

// rotateOne rotates one secret of a bulk rotation and describes the
// outcome. A secret the daemon is busy with is waited for, then asked
// again (and skipped if that job revoked it for the same reason: see
// iamrotate.Revoke).
func rotateOne(ctx context.Context, b backend, req bulkRequest, name string) bulkRow {
	for range busyRetries {
		row, err := tryOne(ctx, b, req, name)
		if !errors.Is(err, control.ErrBusy) {
			return row
		}
		if err := waitIdle(ctx, b, name); err != nil {
			return bulkRow{Name: name, Result: bulkFailed, Detail: optional(err.Error())}
		}
	}
	row, _ := tryOne(ctx, b, req, name)
	return row
}

// waitIdle waits until the daemon has no job for the secret queued or
// running.
func waitIdle(ctx context.Context, r control.Reader, name string) error {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		d, err := r.Status(ctx, name)
		if err != nil {
			return fmt.Errorf("wait for the daemon's job on %s: %w", name, err)
		}
		if d.State != "queued" && d.State != "running" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the daemon's job on %s: %w", name, ctx.Err())
		case <-t.C:
		}
	}
}

// tryOne is one attempt of rotateOne; it returns the rotation's error too.
func tryOne(ctx context.Context, b backend, req bulkRequest, name string) (bulkRow, error) {
	row := bulkRow{Name: name}
	var res *iamrotate.Result
	var err error
	if req.revoke != nil {
		res, err = b.RotateRevoke(ctx, name, *req.revoke)
	} else {
		res, err = b.Rotate(ctx, name)
	}
	if res != nil {
		row.OldKeyID, row.NewKeyID = optional(res.OldKeyID), optional(res.NewKeyID)
		if res.Version > 0 {
			row.Version = &res.Version
		}
	}
	switch {
	case errors.Is(err, iamrotate.ErrDeliveryPending):
		row.Result, row.Detail = bulkPending, optional(err.Error())
	case err != nil:
		row.Result, row.Detail = bulkFailed, optional(err.Error())
	case res.Skipped:
		row.Result, row.Detail = bulkSkipped, optional("already rotated and revoked for this reason")
	default:
		row.Result = bulkRotated
		if res.Resumed {
			row.Result = bulkResumed
		}
		detail := fmt.Sprintf("version %d, replaced %s", res.Version, res.OldKeyID)
		if req.revoke != nil {
			detail += ", revoked"
		}
		row.Detail = optional(detail)
	}
	return row, err
}

// summarize counts rows by result.
func summarize(rows []bulkRow) bulkDoc {
	d := bulkDoc{Rotations: rows}
	for _, r := range rows {
		switch r.Result {
		case bulkRotated, bulkResumed:
			d.Rotated++
		case bulkPending:
			d.Pending++
		case bulkFailed:
			d.Failed++
		case bulkSkipped:
			d.Skipped++
		default:
			d.NotDone++
		}
	}
	return d
}

// writeBulkTable prints the summary: one line per secret, then the counts.
func writeBulkTable(w io.Writer, d bulkDoc) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tRESULT\tKEY ID\tDETAIL")
	for _, r := range d.Rotations {
		key := r.NewKeyID // the new key; while it is not current, the old one
		if key == nil {
			key = r.OldKeyID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Result, dash(unptr(key)), dash(unptr(r.Detail)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d rotated, %d pending delivery, %d failed, %d skipped, %d not started\n",
		d.Rotated, d.Pending, d.Failed, d.Skipped, d.NotDone)
	return err
}

// bulkError is the command's error for its exit status: 1 if any failed
// or did not start, 3 if any delivery is pending, nil otherwise.
func bulkError(d bulkDoc) error {
	switch {
	case d.Failed > 0 || d.NotDone > 0:
		return fmt.Errorf("%d of %d rotations failed and %d did not start (see the table); run the command again to retry them",
			d.Failed, len(d.Rotations), d.NotDone)
	case d.Pending > 0:
		return fmt.Errorf("%d of %d new keys wait for a sink: %w; both keys stay valid until the sinks have them (run the command again to retry)",
			d.Pending, len(d.Rotations), iamrotate.ErrDeliveryPending)
	}
	return nil
}

func unptr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
