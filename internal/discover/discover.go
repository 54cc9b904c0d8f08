// Package discover lists every IAM user's access keys in an account: each
// key's user and path, status, creation date and age, last use (date,
// service, region), and the rotatord secret that manages it, if any. It
// reads them from IAM's credential report (one CSV for the account, plus
// ListAccessKeys for the key IDs the report lacks) or, where the caller may
// not read the report, with ListUsers, ListAccessKeys and
// GetAccessKeyLastUsed; both give the same rows. It only reads: it never
// changes a user or a key. `rotatord discover` prints what it finds.
package discover

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
)

// Source is where Discover reads the keys' last use.
type Source string

// The sources.
const (
	// Auto reads the credential report and falls back to PerUser when the
	// caller may not generate or read it (AccessDenied).
	Auto Source = "auto"
	// Report reads the credential report, and fails where the caller may
	// not.
	Report Source = "report"
	// PerUser calls ListUsers, ListAccessKeys and GetAccessKeyLastUsed.
	PerUser Source = "per-user"
)

// ParseSource checks a --source value.
func ParseSource(s string) (Source, error) {
	switch src := Source(s); src {
	case Auto, Report, PerUser:
		return src, nil
	}
	return "", fmt.Errorf("--source %q: want auto, report or per-user", s)
}

// Key is one IAM access key as Discover finds it. Times are UTC, to the
// second. (`rotatord discover -o json|yaml` prints a copy of its fields;
// see docs/discover.md.)
type Key struct {
	User        string
	Path        string
	AccessKeyID string
	Status      string // "Active" or "Inactive"
	Created     time.Time
	// AgeDays is the whole days from Created to the time of the discovery.
	AgeDays int
	// LastUsed is nil for a key IAM has never seen used; LastUsedService
	// and LastUsedRegion are then empty.
	LastUsed        *time.Time
	LastUsedService string
	LastUsedRegion  string
	// ManagedBy is the name of the rotatord secret that holds this key, ""
	// for none.
	ManagedBy string
}

// Options tune Discover. The zero value reads the report (or falls back),
// every path, with no filter.
type Options struct {
	// Source is Auto (default), Report or PerUser.
	Source Source
	// PathPrefix keeps the users whose path begins with it ("/prod/");
	// default "/", every user.
	PathPrefix string
	// OlderThan keeps the keys created more than OlderThan before now; 0
	// keeps every key.
	OlderThan time.Duration
	// Unmanaged keeps only the keys no rotatord secret manages.
	Unmanaged bool
	// Managed maps an access key ID to the rotatord secret that holds it.
	Managed map[string]string
	// Now is the time ages are counted from (default time.Now).
	Now func() time.Time
	// Progress, when set, is told how many of the total steps (users
	// whose keys are read) are done: first 0 of total, then after each
	// user. Calls come from several goroutines, but never at once.
	Progress func(done, total int)
	// Wait waits before the attempt-th new look at a credential report
	// that is still being generated (attempt counts from 1). It returns
	// ctx's error if ctx ends first. Default: a back-off from 1 s to 10 s,
	// up to about 5 minutes in all, then Discover gives up.
	Wait func(ctx context.Context, attempt int) error
	// Workers is how many users' keys are read at once (default 4); the
	// client's rate limit bounds the calls whatever the number.
	Workers int
	// Logger reports a fallback from the report to per-user calls
	// (default: slog.Default()).
	Logger *slog.Logger
}

// Discover lists the access keys of every user of the account client
// reaches (under opts.PathPrefix) and applies opts's filters. Keys are
// ordered by user name, then creation date, then key ID. It makes only
// read calls: the credential report's, or ListUsers, ListAccessKeys and
// GetAccessKeyLastUsed.
func Discover(ctx context.Context, client *iam.Client, opts Options) ([]Key, error) {
	if opts.Source == "" {
		opts.Source = Auto
	}
	if opts.PathPrefix == "" {
		opts.PathPrefix = "/"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Wait == nil {
		opts.Wait = backoff
	}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Progress == nil {
		opts.Progress = func(int, int) {}
	}
	var keys []Key
	var err error
	switch opts.Source {
	case PerUser:
		keys, err = perUser(ctx, client, opts)
	case Report, Auto:
		keys, err = fromReport(ctx, client, opts)
		if opts.Source == Auto && isAccessDenied(err) {
			opts.Logger.Info("the target may not read the credential report; reading each user's keys instead",
				"err", err)
			keys, err = perUser(ctx, client, opts)
		}
	default:
		return nil, fmt.Errorf("discover: unknown source %q", opts.Source)
	}
	if err != nil {
		return nil, err
	}
	return finish(keys, opts), nil
}

// finish fills in age and manager, filters and sorts.
func finish(keys []Key, opts Options) []Key {
	now := opts.Now()
	out := keys[:0]
	for _, k := range keys {
		k.AgeDays = int(now.Sub(k.Created) / (24 * time.Hour))
		k.ManagedBy = opts.Managed[k.AccessKeyID]
		if opts.OlderThan > 0 && now.Sub(k.Created) <= opts.OlderThan {
			continue
		}
		if opts.Unmanaged && k.ManagedBy != "" {
			continue
		}
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b Key) int {
		return cmp.Or(strings.Compare(a.User, b.User), a.Created.Compare(b.Created), strings.Compare(a.AccessKeyID, b.AccessKeyID))
	})
	return out
}

// isAccessDenied reports whether err is IAM's refusal of the action.
func isAccessDenied(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "AccessDenied" || ae.ErrorCode() == "AccessDeniedException")
}

// maxWaits bounds how often Discover looks again at a report in progress.
const maxWaits = 34 // 1+2+4+8 s, then 10 s each: about 5 minutes

func backoff(ctx context.Context, attempt int) error {
	d := min(time.Second<<min(attempt-1, 4), 10*time.Second)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
