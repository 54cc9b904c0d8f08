package awstest

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// GetSecretValue returns the value of secret id's version at stage, read
// through c, failing the test at once on error.
func GetSecretValue(t testing.TB, c *secretsmanager.Client, id, stage string) *secretsmanager.GetSecretValueOutput {
	t.Helper()
	out, err := c.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id), VersionStage: aws.String(stage)})
	if err != nil {
		t.Fatalf("GetSecretValue(%s, %s): %v", id, stage, err)
	}
	return out
}
