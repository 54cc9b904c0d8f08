package awsfake

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Whoami signs sts:GetCallerIdentity with the key through the real SDK and
// returns the ARN the endpoint answers: the check that a key works. The AWS
// configuration is built explicitly, never from the environment, and
// without retries.
func Whoami(ctx context.Context, endpoint string, k aws.Credentials) (string, error) {
	c := sts.NewFromConfig(aws.Config{
		Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, k.SessionToken),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	})
	out, err := c.GetCallerIdentity(ctx, nil)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Arn), nil
}
