// Package awsfake is an AWS endpoint for tests and for `rotatord demo`.
//
// A [Server] speaks the real wire protocols, so the real aws-sdk-go-v2
// clients work against it unchanged: point them at its URL with
// BaseEndpoint. It serves IAM and STS (the awsQuery protocol), Secrets
// Manager and SSM Parameter Store (awsJson 1.1: X-Amz-Target and JSON
// bodies) and DynamoDB (awsJson 1.0) on one endpoint and tells them apart
// by the service name in the SigV4 credential scope. Every request must carry a valid SigV4 signature
// made with a key the server holds; the server recomputes the signature
// from the request, so a changed body or a wrong secret is rejected as AWS
// would reject it.
//
// The server models what rotatord depends on:
//   - IAM users, each with at most two access keys, and the actions
//     CreateUser, GetUser, ListAccessKeys, CreateAccessKey, UpdateAccessKey,
//     DeleteAccessKey and GetAccessKeyLastUsed;
//   - STS GetCallerIdentity and AssumeRole, with session credentials;
//   - Secrets Manager CreateSecret, DescribeSecret, PutSecretValue,
//     GetSecretValue and UpdateSecretVersionStage, with versions, staging
//     labels (AWSCURRENT, AWSPREVIOUS, AWSPENDING moved as AWS moves them)
//     and idempotent ClientRequestTokens ([Server.Secret],
//     [Server.SecretValue] read them back);
//   - SSM PutParameter, GetParameter, GetParameters and DeleteParameter,
//     with String, StringList and SecureString types, tiers and their size
//     limits, and the KMS key of each SecureString ([Server.Parameter]);
//   - DynamoDB CreateTable, DescribeTable, DeleteTable, UpdateTimeToLive,
//     DescribeTimeToLive, UpdateContinuousBackups,
//     DescribeContinuousBackups, GetItem, PutItem, DeleteItem, UpdateItem,
//     Query and TransactWriteItems. Condition, update, key condition,
//     filter and projection expressions are checked and evaluated as
//     DynamoDB does (reserved words, undefined or unused names and values,
//     syntax errors, Number arithmetic to 38 digits), items are limited to
//     400 KB, transactions apply all their actions or none and list a
//     CancellationReason per action, and a retried transaction with the
//     same ClientRequestToken takes effect once ([Server.Table] reads a
//     table and its items back, [Server.ExpireItems] runs the TTL sweep);
//   - eventual consistency: keys created through CreateAccessKey can be made
//     valid only some time after their creation ([Server.SetKeyDelay]);
//   - a two-level permission model: an admin principal may act on any user,
//     secret, parameter or table, any other principal only on its own keys
//     and on the secrets, parameters and tables it created (a role session:
//     those its role created);
//   - fault injection per action: error responses, errors after the action
//     took effect, dropped connections, latency and holds.
//
// Choices where AWS offers more than a test needs:
//   - permissions are not policies: a user or role is admin or not;
//   - any principal of the account may assume a role unless the role names
//     its trusted users (Role.TrustedUsers); a role with an ExternalID
//     demands it;
//   - the signature's date is not checked against the clock, so tests may
//     use a fake clock (WithClock) far from the SDK's real signing time;
//   - faults, latency and holds apply to the next calls of an action
//     whatever their credentials, before authentication;
//   - the JSON services answer in their own dialect: a wrong secret is
//     InvalidSignatureException, an unknown or deleted key
//     UnrecognizedClientException, a denial AccessDeniedException, all with
//     status 400; the Throttling and ServiceFailure faults become
//     ThrottlingException and the service's internal error
//     (InternalServiceError, InternalServerError);
//   - Secrets Manager and SSM have one namespace for all regions; the ARN of
//     a secret or parameter carries the region its creator signed for. An
//     unknown secret or parameter is "not found" whoever asks. KMS is not
//     modelled: key ids are recorded, never checked. Only a parameter's
//     latest version is kept;
//   - DynamoDB tables likewise have one namespace for all regions. Tables
//     are ACTIVE and TTL is ENABLED at once, every read is strongly
//     consistent, and no ConsumedCapacity is reported. An item past its TTL
//     stays readable until [Server.ExpireItems] deletes it, as AWS deletes
//     expired items lazily, days later at worst. Secondary indexes, Scan,
//     the batch actions, nested document paths (a.b, a[0]), the legacy
//     parameters (Expected, KeyConditions, ...) and
//     ReturnValuesOnConditionCheckFailure ALL_OLD are not modelled and fail
//     loudly.
//
// An action the server does not implement fails loudly: the client gets an
// InvalidAction (query protocols) or UnknownOperationException (JSON
// protocols) error, and the call is recorded in [Server.Unhandled] so a test
// can assert that none happened.
//
// The package does not import "testing": the demo binary links it.
package awsfake
