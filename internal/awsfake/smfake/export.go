package smfake

import (
	"fmt"
	"slices"
	"time"

	"github.com/rotatord/rotatord/internal/awsfake"
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

// Secret returns the secret named id (a name or an ARN), whoever owns
// it. It fails with awsfake.ErrNotFound.
func (f *Secrets) Secret(id string) (Secret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sec := f.findSecretLocked(id)
	if sec == nil {
		return Secret{}, fmt.Errorf("awsfake: secret %s: %w", id, awsfake.ErrNotFound)
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
// awsfake.ErrNotFound if the secret or the label does not exist.
func (f *Secrets) SecretValue(id, stage string) (SecretVersion, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sec := f.findSecretLocked(id)
	if sec == nil {
		return SecretVersion{}, fmt.Errorf("awsfake: secret %s: %w", id, awsfake.ErrNotFound)
	}
	v := sec.holder(stage)
	if v == nil {
		return SecretVersion{}, fmt.Errorf("awsfake: secret %s: stage %s %w", id, stage, awsfake.ErrNotFound)
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
