// Package secretsmanager is the sink that writes each new key to an AWS
// Secrets Manager secret as JSON ({"AccessKeyId": …, "SecretAccessKey": …},
// key names configurable). It is two-phase: Put stages the value as a new
// version labelled AWSPENDING, and Commit moves AWSCURRENT to it (Secrets
// Manager moves AWSPREVIOUS to the version that was current), so readers of
// AWSCURRENT switch only once the rotation commits, and readers of
// AWSPREVIOUS get the old key.
//
// Config is its configuration (type: secretsmanager): fields, defaults,
// rules, and the sink it builds.
package secretsmanager

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/rotatord/rotatord/internal/awscall"
	"github.com/rotatord/rotatord/internal/sink"
)

// Stages Secrets Manager uses.
const (
	stageCurrent = "AWSCURRENT"
	stagePending = "AWSPENDING"
)

var _ sink.Sink = (*Sink)(nil)

// Sink writes credentials to one secret.
type Sink struct {
	client *sm.Client
	c      Config
	id     string
}

// New returns the sink c describes, writing through an AWS configuration
// with the credentials and region of c's target. Each call to Secrets
// Manager ends within awscall.DefaultTimeout, or cfg's own shorter bound.
func New(c Config, cfg aws.Config) (*Sink, error) {
	if c.SecretID == "" {
		return nil, errors.New("secretsmanager sink: secret_id is empty")
	}
	if c.KeyIDField == "" {
		c.KeyIDField = DefaultKeyIDField
	}
	if c.SecretField == "" {
		c.SecretField = DefaultSecretField
	}
	awscall.Bound(&cfg, awscall.DefaultTimeout)
	return &Sink{client: sm.NewFromConfig(cfg), c: c, id: c.SinkID()}, nil
}

// Put stages the credential as a new version labelled AWSPENDING. The
// version id is derived from the secret's name and the access key id, so a
// repeated Put (a retry, a restart) is the same version. A missing secret
// is created when create: true; its first value is current at once.
func (s *Sink) Put(ctx context.Context, c sink.Credential) error {
	value, err := s.value(c)
	if err != nil {
		return s.errorf("encode: %w", err)
	}
	token := versionID(c)
	_, err = s.client.PutSecretValue(ctx, &sm.PutSecretValueInput{
		SecretId: aws.String(s.c.SecretID), SecretString: aws.String(value),
		ClientRequestToken: aws.String(token), VersionStages: []string{stagePending},
	})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) && s.c.Create {
		return s.create(ctx, value, token)
	}
	if err != nil {
		return s.errorf("put secret value: %w", err)
	}
	return nil
}

func (s *Sink) create(ctx context.Context, value, token string) error {
	in := &sm.CreateSecretInput{
		Name: aws.String(s.c.SecretID), SecretString: aws.String(value), ClientRequestToken: aws.String(token),
		Description: aws.String("AWS access key rotated by rotatord"),
	}
	if s.c.KMSKeyID != "" {
		in.KmsKeyId = aws.String(s.c.KMSKeyID)
	}
	for k, v := range s.c.Tags {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	slices.SortFunc(in.Tags, func(a, b types.Tag) int { return cmp.Compare(*a.Key, *b.Key) })
	if _, err := s.client.CreateSecret(ctx, in); err != nil {
		return s.errorf("create secret: %w", err)
	}
	return nil
}

// Commit moves AWSCURRENT to the credential's version; Secrets Manager
// moves AWSPREVIOUS to the version that was current. Committing a version
// that is current already does nothing.
func (s *Sink) Commit(ctx context.Context, c sink.Credential) error {
	d, err := s.client.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String(s.c.SecretID)})
	if err != nil {
		return s.errorf("describe secret: %w", err)
	}
	token := versionID(c)
	var current string
	for id, stages := range d.VersionIdsToStages {
		if slices.Contains(stages, stageCurrent) {
			current = id
		}
	}
	if current == token {
		return nil
	}
	if _, ok := d.VersionIdsToStages[token]; !ok {
		return s.errorf("commit: version %s of access key %s is not in the secret; it was never staged", token, c.AccessKeyID)
	}
	in := &sm.UpdateSecretVersionStageInput{
		SecretId: aws.String(s.c.SecretID), VersionStage: aws.String(stageCurrent), MoveToVersionId: aws.String(token),
	}
	if current != "" {
		in.RemoveFromVersionId = aws.String(current)
	}
	if _, err := s.client.UpdateSecretVersionStage(ctx, in); err != nil {
		return s.errorf("move AWSCURRENT: %w", err)
	}
	return nil
}

// Holds reports whether the secret's AWSCURRENT version holds c.
func (s *Sink) Holds(ctx context.Context, c sink.Credential) (bool, error) {
	out, err := s.client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(s.c.SecretID), VersionStage: aws.String(stageCurrent)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return false, nil
	}
	if err != nil {
		return false, s.errorf("get secret value: %w", err)
	}
	var got map[string]any
	if json.Unmarshal([]byte(aws.ToString(out.SecretString)), &got) != nil {
		return false, nil
	}
	return got[s.c.KeyIDField] == c.AccessKeyID && got[s.c.SecretField] == c.SecretAccessKey.Reveal(), nil
}

func (s *Sink) value(c sink.Credential) (string, error) {
	b, err := json.Marshal(map[string]string{s.c.KeyIDField: c.AccessKeyID, s.c.SecretField: c.SecretAccessKey.Reveal()})
	return string(b), err
}

// versionID is the Secrets Manager version (ClientRequestToken) of a
// credential: a UUID-shaped hash of the secret's name and the key id.
func versionID(c sink.Credential) string {
	h := sha256.Sum256([]byte("rotatord\x00" + c.Secret + "\x00" + c.AccessKeyID))
	h[6] = h[6]&0x0f | 0x50 // version 5-shaped
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func (s *Sink) errorf(format string, args ...any) error {
	return fmt.Errorf("sink %s: "+format, append([]any{s.id}, args...)...)
}
