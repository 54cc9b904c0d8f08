// Package ssm is the sink that writes each new key to AWS Systems Manager
// Parameter Store as SecureString: one parameter holding JSON
// ({"AccessKeyId": …, "SecretAccessKey": …}), or two parameters, the key id
// (String) and the secret access key (SecureString).
//
// Config is its configuration (type: ssm): fields, defaults, rules, and
// the sink it builds.
package ssm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/rotatord/rotatord/internal/awscall"
	"github.com/rotatord/rotatord/internal/sink"
)

var _ sink.Sink = (*Sink)(nil)

// Sink writes credentials to one or two parameters.
type Sink struct {
	client *ssm.Client
	c      Config
	id     string
}

// New returns the sink c describes, writing through an AWS configuration
// with the credentials and region of c's target. Each call to Parameter
// Store ends within awscall.DefaultTimeout, or cfg's own shorter bound.
func New(c Config, cfg aws.Config) (*Sink, error) {
	if c.Name == "" && (c.IDParameter == "" || c.SecretParameter == "") {
		return nil, errors.New("ssm sink: name, or id_parameter and secret_parameter, are required")
	}
	if c.Tier == "" {
		c.Tier = TierStandard
	}
	awscall.Bound(&cfg, awscall.DefaultTimeout)
	return &Sink{client: ssm.NewFromConfig(cfg), c: c, id: c.SinkID()}, nil
}

// Put overwrites the parameter(s). With two parameters the secret access
// key is written first and the key id last: a reader that sees the new key
// id finds the new secret beside it.
func (s *Sink) Put(ctx context.Context, c sink.Credential) error {
	if s.c.Name != "" {
		b, err := json.Marshal(map[string]string{keyIDField: c.AccessKeyID, secretField: c.SecretAccessKey.Reveal()})
		if err != nil {
			return s.errorf("encode: %w", err)
		}
		return s.put(ctx, s.c.Name, string(b), types.ParameterTypeSecureString)
	}
	if err := s.put(ctx, s.c.SecretParameter, c.SecretAccessKey.Reveal(), types.ParameterTypeSecureString); err != nil {
		return err
	}
	return s.put(ctx, s.c.IDParameter, c.AccessKeyID, types.ParameterTypeString)
}

func (s *Sink) put(ctx context.Context, name, value string, typ types.ParameterType) error {
	in := &ssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String(value), Type: typ, Overwrite: aws.Bool(true),
		Tier: types.ParameterTier(s.c.Tier), Description: aws.String("AWS access key rotated by rotatord"),
	}
	if typ == types.ParameterTypeSecureString && s.c.KeyID != "" {
		in.KeyId = aws.String(s.c.KeyID)
	}
	if _, err := s.client.PutParameter(ctx, in); err != nil {
		return s.errorf("put parameter %s: %w", name, err)
	}
	return nil
}

// Holds reports whether the parameter(s) hold c.
func (s *Sink) Holds(ctx context.Context, c sink.Credential) (bool, error) {
	if s.c.Name != "" {
		v, ok, err := s.get(ctx, s.c.Name)
		if err != nil || !ok {
			return false, err
		}
		var got map[string]string
		if json.Unmarshal([]byte(v), &got) != nil {
			return false, nil
		}
		return got[keyIDField] == c.AccessKeyID && got[secretField] == c.SecretAccessKey.Reveal(), nil
	}
	id, ok, err := s.get(ctx, s.c.IDParameter)
	if err != nil || !ok || id != c.AccessKeyID {
		return false, err
	}
	secret, ok, err := s.get(ctx, s.c.SecretParameter)
	return ok && secret == c.SecretAccessKey.Reveal(), err
}

func (s *Sink) get(ctx context.Context, name string) (string, bool, error) {
	out, err := s.client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	var nf *types.ParameterNotFound
	if errors.As(err, &nf) {
		return "", false, nil
	}
	if err != nil {
		return "", false, s.errorf("get parameter %s: %w", name, err)
	}
	return aws.ToString(out.Parameter.Value), true, nil
}

func (s *Sink) errorf(format string, args ...any) error {
	return fmt.Errorf("sink %s: "+format, append([]any{s.id}, args...)...)
}
