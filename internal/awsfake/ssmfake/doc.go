// Package ssmfake is AWS Systems Manager Parameter Store for an
// awsfake.Server, for tests: [Register] adds it to a server.
//
// It serves PutParameter, GetParameter, GetParameters and DeleteParameter
// (awsJson 1.1), with String, StringList and SecureString types, tiers and
// their size limits, and the KMS key of each SecureString;
// [Parameters.Parameter] reads one back. A caller that is not an admin
// may use only the parameters it created.
//
// Parameters have one namespace for all regions; the ARN of a parameter
// carries the region its creator signed for. An unknown parameter is "not
// found" whoever asks. KMS is not modelled: key ids are recorded, never
// checked. Only a parameter's latest version is kept.
package ssmfake
