package ssmfake

import (
	"fmt"
	"time"

	"github.com/rotatord/rotatord/internal/awsfake"
)

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

// Parameter returns the SSM parameter name, whoever owns it. It fails
// with awsfake.ErrNotFound.
func (f *Parameters) Parameter(name string) (Parameter, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.params[name]
	if p == nil {
		return Parameter{}, fmt.Errorf("awsfake: parameter %s: %w", name, awsfake.ErrNotFound)
	}
	return Parameter{
		Name: p.name, ARN: p.arn, Type: p.typ, Value: p.value, KeyID: p.keyID, Tier: p.tier,
		Description: p.description, Version: p.version, LastModified: p.modified,
	}, nil
}
