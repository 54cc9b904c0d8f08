package iamrotate

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rotatord/rotatord/internal/state"
)

// StoreCredentials returns the credentials of a target whose own key
// rotatord rotates (rotator_type: target): the current version of the
// rotating secret in the store, or fallback (the configured key) until the
// store holds one. It reads the store on every Retrieve, so every call made
// after a rotation signs with the new key; do not wrap it in a cache.
func StoreCredentials(store Store, secret string, fallback aws.CredentialsProvider) aws.CredentialsProvider {
	return storeCredentials{store: store, secret: secret, fallback: fallback}
}

type storeCredentials struct {
	store    Store
	secret   string
	fallback aws.CredentialsProvider
}

func (c storeCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	st, err := c.store.Get(ctx, c.secret)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return aws.Credentials{}, fmt.Errorf("target credentials from state of %s: %w", c.secret, err)
	}
	if st != nil {
		if cur := st.Current(); cur != nil && !cur.Value.IsZero() {
			return aws.Credentials{AccessKeyID: cur.AccessKeyID, SecretAccessKey: cur.Value.Reveal(), Source: "rotatord state"}, nil
		}
	}
	if c.fallback == nil {
		return aws.Credentials{}, fmt.Errorf("target credentials: %s has no current key", c.secret)
	}
	return c.fallback.Retrieve(ctx)
}
