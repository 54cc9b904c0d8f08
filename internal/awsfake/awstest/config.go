package awstest

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Config returns an SDK config for c in us-east-1, built explicitly (never
// from this machine's AWS_* environment or files) and without retries, so
// that a test sees each answer of the fake as it came.
func Config(c aws.Credentials) aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// IAM returns an IAM client of the fake at url, signed with c (Config),
// with opts applied after the endpoint is set.
func IAM(url string, c aws.Credentials, opts ...func(*iam.Options)) *iam.Client {
	return iam.NewFromConfig(Config(c), append([]func(*iam.Options){func(o *iam.Options) {
		o.BaseEndpoint = aws.String(url)
	}}, opts...)...)
}

// STS returns an STS client of the fake at url, as IAM does.
func STS(url string, c aws.Credentials, opts ...func(*sts.Options)) *sts.Client {
	return sts.NewFromConfig(Config(c), append([]func(*sts.Options){func(o *sts.Options) {
		o.BaseEndpoint = aws.String(url)
	}}, opts...)...)
}

// SecretsManager returns a Secrets Manager client of the fake at url, as
// IAM does.
func SecretsManager(url string, c aws.Credentials, opts ...func(*secretsmanager.Options)) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(Config(c), append([]func(*secretsmanager.Options){func(o *secretsmanager.Options) {
		o.BaseEndpoint = aws.String(url)
	}}, opts...)...)
}

// SSM returns an SSM client of the fake at url, as IAM does.
func SSM(url string, c aws.Credentials, opts ...func(*ssm.Options)) *ssm.Client {
	return ssm.NewFromConfig(Config(c), append([]func(*ssm.Options){func(o *ssm.Options) {
		o.BaseEndpoint = aws.String(url)
	}}, opts...)...)
}

// DynamoDB returns a DynamoDB client of the fake at url, as IAM does.
func DynamoDB(url string, c aws.Credentials, opts ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.NewFromConfig(Config(c), append([]func(*dynamodb.Options){func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(url)
	}}, opts...)...)
}
