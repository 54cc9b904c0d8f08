// Package smfake is AWS Secrets Manager for an awsfake.Server, for tests:
// [Register] adds it to a server.
//
// It serves CreateSecret, DescribeSecret, PutSecretValue, GetSecretValue
// and UpdateSecretVersionStage (awsJson 1.1), with versions, staging
// labels (AWSCURRENT, AWSPREVIOUS, AWSPENDING moved as AWS moves them) and
// idempotent ClientRequestTokens; [Secrets.Secret] and
// [Secrets.SecretValue] read them back. A caller that is not an admin may
// use only the secrets it created.
//
// Secrets have one namespace for all regions; the ARN of a secret carries
// the region its creator signed for. An unknown secret is "not found"
// whoever asks. KMS is not modelled: key ids are recorded, never checked.
package smfake
