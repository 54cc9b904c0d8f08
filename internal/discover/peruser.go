package discover

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// notApplicable is what IAM answers for a last use it has no value of.
const notApplicable = "N/A"

// perUser lists the users under opts.PathPrefix, then each one's keys and
// each key's last use: 1 call per 1000 users, then 1 per user and 1 per key.
func perUser(ctx context.Context, c *iam.Client, opts Options) ([]Key, error) {
	var users []types.User
	p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{PathPrefix: aws.String(opts.PathPrefix), MaxItems: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list users under %s: %w", opts.PathPrefix, err)
		}
		users = append(users, page.Users...)
	}
	return keysOf(ctx, len(users), opts, func(i int) ([]Key, error) {
		u := users[i]
		name := aws.ToString(u.UserName)
		listed, err := listKeys(ctx, c, name)
		if err != nil {
			return nil, err
		}
		var ks []Key
		for _, m := range listed {
			k := newKey(name, aws.ToString(u.Path), m)
			if err := lastUsed(ctx, c, &k); err != nil {
				return nil, err
			}
			ks = append(ks, k)
		}
		return ks, nil
	})
}

// keysOf runs one(i) for each of n users, at most opts' parallelism at
// once, and returns their keys in the users' order.
func keysOf(ctx context.Context, n int, opts Options, one func(i int) ([]Key, error)) ([]Key, error) {
	per := make([][]Key, n)
	err := forEach(ctx, n, opts, func(i int) error {
		ks, err := one(i)
		per[i] = ks
		return err
	})
	if err != nil {
		return nil, err
	}
	var keys []Key
	for _, ks := range per {
		keys = append(keys, ks...)
	}
	return keys, nil
}

// newKey is the row of one listed key of user, without its last use.
func newKey(user, path string, m types.AccessKeyMetadata) Key {
	return Key{User: user, Path: path, AccessKeyID: aws.ToString(m.AccessKeyId),
		Status: string(m.Status), Created: aws.ToTime(m.CreateDate).UTC()}
}

// listKeys returns a user's access keys (all pages).
func listKeys(ctx context.Context, c *iam.Client, user string) ([]types.AccessKeyMetadata, error) {
	var out []types.AccessKeyMetadata
	p := iam.NewListAccessKeysPaginator(c, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the access keys of %s: %w", user, err)
		}
		out = append(out, page.AccessKeyMetadata...)
	}
	return out, nil
}

// lastUsed fills in k's last use from GetAccessKeyLastUsed.
func lastUsed(ctx context.Context, c *iam.Client, k *Key) error {
	out, err := c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(k.AccessKeyID)})
	if err != nil {
		return fmt.Errorf("last use of %s's key %s: %w", k.User, k.AccessKeyID, err)
	}
	if u := out.AccessKeyLastUsed; u != nil && u.LastUsedDate != nil {
		t := u.LastUsedDate.UTC()
		k.LastUsed = &t
		k.LastUsedService, k.LastUsedRegion = orEmpty(aws.ToString(u.ServiceName)), orEmpty(aws.ToString(u.Region))
	}
	return nil
}

// orEmpty is v, or "" for IAM's "N/A".
func orEmpty(v string) string {
	if v == notApplicable {
		return ""
	}
	return v
}

// forEach runs fn(0..n-1) on opts.Workers goroutines and reports progress
// after each, under a lock. It stops at the first error and returns it.
func forEach(ctx context.Context, n int, opts Options, fn func(i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
	)
	opts.Progress(0, n)
	for range min(opts.Workers, max(n, 1)) {
		wg.Go(func() {
			for i := range next {
				if err := fn(i); err != nil {
					cancel(err)
					continue
				}
				mu.Lock()
				done++
				opts.Progress(done, n)
				mu.Unlock()
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}
