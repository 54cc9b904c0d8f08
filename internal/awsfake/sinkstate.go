package awsfake

import (
	"fmt"
	"slices"
	"time"
)

// Secret is a Secrets Manager secret as the direct helpers report it: a
// copy, safe to keep and change.
type Secret struct {
	Name string
	ARN  string // arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX
	// KmsKeyID is the KmsKeyId given to CreateSecret; "" means the AWS
	// managed key aws/secretsmanager.
	KmsKeyID    string
	Description string
	Tags        map[string]string
	// Versions are all versions the secret keeps, oldest first, those
	// without a staging label (deprecated) included.
	Versions []SecretVersion
}

// SecretVersion is one version of a secret.
type SecretVersion struct {
	ID           string   // the ClientRequestToken that created it
	Stages       []string // e.g. ["AWSCURRENT"]; empty for a deprecated version
	SecretString string   // "" for a binary secret
	SecretBinary []byte   // nil for a string secret
	Created      time.Time
}

// Parameter is an SSM parameter as the direct helpers report it.
type Parameter struct {
	Name         string
	ARN          string
	Type         string // String, StringList or SecureString
	Value        string // the plaintext, also for a SecureString
	KeyID        string // the KMS key of a SecureString ("alias/aws/ssm" by default); "" otherwise
	Tier         string // Standard or Advanced (Intelligent-Tiering resolved)
	Description  string
	Version      int64 // 1 for the first put, incremented by each overwrite
	LastModified time.Time
}

// Secret returns the secret named id (a name or an ARN), whoever owns
// it. It fails with ErrNotFound.
func (s *Server) Secret(id string) (Secret, error) {
	s.lock()
	defer s.mu.Unlock()
	sec := s.findSecretLocked(id)
	if sec == nil {
		return Secret{}, fmt.Errorf("awsfake: secret %s: %w", id, ErrNotFound)
	}
	out := Secret{Name: sec.name, ARN: sec.arn, KmsKeyID: sec.kmsKeyID, Description: sec.description}
	if len(sec.tags) > 0 {
		out.Tags = map[string]string{}
		for _, t := range sec.tags {
			out.Tags[t.Key] = t.Value
		}
	}
	for _, v := range sec.versions {
		out.Versions = append(out.Versions, exportVersion(v))
	}
	return out, nil
}

// SecretValue returns the version of secret id (a name or an ARN) that
// has the staging label stage (e.g. "AWSCURRENT"). It fails with
// ErrNotFound if the secret or the label does not exist.
func (s *Server) SecretValue(id, stage string) (SecretVersion, error) {
	s.lock()
	defer s.mu.Unlock()
	sec := s.findSecretLocked(id)
	if sec == nil {
		return SecretVersion{}, fmt.Errorf("awsfake: secret %s: %w", id, ErrNotFound)
	}
	v := sec.holder(stage)
	if v == nil {
		return SecretVersion{}, fmt.Errorf("awsfake: secret %s: stage %s %w", id, stage, ErrNotFound)
	}
	return exportVersion(v), nil
}

func exportVersion(v *secretVersion) SecretVersion {
	out := SecretVersion{ID: v.id, Stages: slices.Clone(v.stages), SecretBinary: slices.Clone(v.bin), Created: v.created}
	if v.str != nil {
		out.SecretString = *v.str
	}
	return out
}

// Parameter returns the SSM parameter name, whoever owns it. It fails
// with ErrNotFound.
func (s *Server) Parameter(name string) (Parameter, error) {
	s.lock()
	defer s.mu.Unlock()
	p := s.params[name]
	if p == nil {
		return Parameter{}, fmt.Errorf("awsfake: parameter %s: %w", name, ErrNotFound)
	}
	return Parameter{
		Name: p.name, ARN: p.arn, Type: p.typ, Value: p.value, KeyID: p.keyID, Tier: p.tier,
		Description: p.description, Version: p.version, LastModified: p.modified,
	}, nil
}
