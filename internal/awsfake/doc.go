// Package awsfake is an AWS endpoint for tests and for `rotatord demo`.
//
// A [Server] speaks the real wire protocols, so the real aws-sdk-go-v2
// clients work against it unchanged: point them at its URL with
// BaseEndpoint. It serves IAM and STS (the awsQuery protocol) itself;
// services that speak awsJson (X-Amz-Target and JSON bodies) are added to
// it with [Server.Handle], each by its own package: smfake (Secrets
// Manager), ssmfake (SSM Parameter Store) and dynamodbfake (DynamoDB).
// awsfaketest.Start runs a server with all of them. All services share one
// endpoint, told apart by the service name in the SigV4 credential scope.
// Every request must carry a valid SigV4 signature made with a key the
// server holds; the server recomputes the signature from the request, so
// a changed body or a wrong secret is rejected as AWS would reject it.
//
// The server models what rotatord depends on:
//   - IAM users, with paths and each with at most two access keys, and the
//     actions CreateUser, GetUser, ListUsers (by path prefix, paginated),
//     ListAccessKeys, CreateAccessKey, UpdateAccessKey, DeleteAccessKey and
//     GetAccessKeyLastUsed;
//   - each access key's last use as IAM tracks it: the date, service and
//     region of the first request it signed in each 15 minutes, for any
//     service the server speaks (IAM's own calls in us-east-1), visible
//     only after a reporting delay ([WithLastUsedDelay]);
//   - the credential report (GenerateCredentialReport, GetCredentialReport):
//     a CSV of every user's keys, base64 in the XML answer, regenerated at
//     most every four hours, with IAM's ReportNotPresent, ReportInProgress
//     and ReportExpired errors ([WithCredentialReportTime]);
//   - STS GetCallerIdentity and AssumeRole, with session credentials;
//   - eventual consistency: keys created through CreateAccessKey can be made
//     valid only some time after their creation ([Server.SetKeyDelay]);
//   - a two-level permission model: an admin principal may act on any user
//     and on anything of the added services, any other principal only on
//     its own keys and on what it created (a role session: what its role
//     created); see [Call.MayUse];
//   - fault injection per action, of any service: error responses, errors
//     after the action took effect, dropped connections, latency and
//     holds;
//   - the endpoints users really have: an account-wide IAM rate the
//     client is not told, answered with Throttling ([WithAccountRate]); a
//     connection closed after every answer ([WithConnectionClose]); and
//     answers indented as AWS sends them ([WithRealisticResponses]).
//
// Choices where AWS offers more than a test needs:
//   - permissions are not policies: a user or role is admin or not;
//   - any principal of the account may assume a role unless the role names
//     its trusted users (Role.TrustedUsers); a role with an ExternalID
//     demands it;
//   - users have no password, MFA device or signing certificate, so the
//     credential report says false or N/A for them; its <root_account>
//     line has no keys and is as old as the oldest user; ListUsers and the
//     report order users by name;
//   - the signature's date is not checked against the clock, so tests may
//     use a fake clock (WithClock) far from the SDK's real signing time;
//   - faults, latency and holds apply to the next calls of an action
//     whatever their credentials, before authentication;
//   - the JSON services answer in their own dialect: a wrong secret is
//     InvalidSignatureException, an unknown or deleted key
//     UnrecognizedClientException, a denial AccessDeniedException, all with
//     status 400; the Throttling and ServiceFailure faults become
//     ThrottlingException and the service's internal error
//     (Service.InternalError).
//
// An action the server does not implement fails loudly: the client gets an
// InvalidAction (query protocols) or UnknownOperationException (JSON
// protocols) error, and the call is recorded in [Server.Unhandled] so a test
// can assert that none happened.
//
// The package does not import "testing": the rotatord binary links it for
// the demo. It must not link the service packages (see
// TestProductLinksNoServiceFakes).
package awsfake
