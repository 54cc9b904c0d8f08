package awsfake_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/rotatord/rotatord/internal/awsfake/awsfaketest"
)

// config is an SDK configuration for k and region, never from the
// environment, without retries.
func config(k aws.Credentials, region, url string) aws.Config {
	return aws.Config{
		Region: region, BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, k.SessionToken),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// Requests to the JSON services, made with their real SDK clients, are
// recorded under the service names IAM reports (their namespaces) and the
// region the client signed for; a request the service refuses counts too,
// as its key was used to sign it.
func TestLastUsedServiceNames(t *testing.T) {
	s, url := awsfaketest.Start(t)
	admin := iam.NewFromConfig(config(s.SeedUser("admin", true), "us-east-1", url))
	alice, bob, carol := s.SeedUser("alice", false), s.SeedUser("bob", false), s.SeedUser("carol", false)

	if _, err := ssm.NewFromConfig(config(alice, "eu-west-1", url)).PutParameter(t.Context(), &ssm.PutParameterInput{
		Name: aws.String("/alice/p"), Value: aws.String("v"), Type: "SecureString",
	}); err != nil {
		t.Fatalf("PutParameter: %v", err)
	}
	if _, err := secretsmanager.NewFromConfig(config(bob, "us-west-2", url)).CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{
		Name: aws.String("bob/s"), SecretString: aws.String("v"),
	}); err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	if _, err := dynamodb.NewFromConfig(config(carol, "ap-south-1", url)).DescribeTable(t.Context(), &dynamodb.DescribeTableInput{
		TableName: aws.String("missing"),
	}); err == nil {
		t.Fatal("DescribeTable of a missing table: got no error")
	}

	for _, tt := range []struct {
		key             aws.Credentials
		service, region string
	}{{alice, "ssm", "eu-west-1"}, {bob, "secretsmanager", "us-west-2"}, {carol, "dynamodb", "ap-south-1"}} {
		out, err := admin.GetAccessKeyLastUsed(t.Context(), &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(tt.key.AccessKeyID)})
		if err != nil {
			t.Fatalf("GetAccessKeyLastUsed: %v", err)
		}
		u := out.AccessKeyLastUsed
		if aws.ToString(u.ServiceName) != tt.service || aws.ToString(u.Region) != tt.region || u.LastUsedDate == nil {
			t.Errorf("%s: got service %q, region %q, date %v; want %s, %s, a date", aws.ToString(out.UserName),
				aws.ToString(u.ServiceName), aws.ToString(u.Region), u.LastUsedDate, tt.service, tt.region)
		}
	}
}
