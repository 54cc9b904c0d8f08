package config

import (
	"testing"
	"time"
)

// TestStateDynamoDB: a DynamoDB state takes its region from its target
// and a lease of 30 seconds by default, and leaves path unset.
func TestStateDynamoDB(t *testing.T) {
	c, err := Parse("/etc/rotatord/rotatord.yaml", []byte(`version: 1
state: {backend: dynamodb, table: rotatord-state, target: prod, protection_key_env: K}
targets:
  - {name: prod, region: eu-west-1, access_key_id: AKIAIOSFODNN7EXAMPLE, secret_access_key_env: S}
secrets:
  - {name: /app, target: prod, access_key_id: AKIAFAKEAPPKEY000001, authentication_credentials: use-target-creds}
`))
	if err != nil {
		t.Fatal(err)
	}
	s := c.State
	if s.Backend != BackendDynamoDB || s.Region != "eu-west-1" || s.LeaseDuration.D() != 30*time.Second || s.Path != "" {
		t.Errorf("state %+v", s)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("/etc/rotatord/rotatord.yaml", out); err != nil {
		t.Errorf("Parse(Marshal()): %v\n%s", err, out)
	}
}
