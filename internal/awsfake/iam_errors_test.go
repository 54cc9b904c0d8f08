package awsfake

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/rotatord/rotatord/internal/awsfake/awstest"
)

func TestIAMErrors(t *testing.T) {
	s, url := Start(t)
	admin := awstest.IAM(url, s.SeedUser("admin", true))
	alice := s.SeedUser("alice", false)
	bob := awstest.IAM(url, s.SeedUser("bob", false))
	aliceKey := aws.String(alice.AccessKeyID)
	const unknownKey = "AKIAAAAAAAAAAAAAAAAA"

	tests := []struct {
		name    string
		call    func(context.Context) error
		code    string
		status  int
		typed   func(error) bool // nil: a generic API error
		message string           // a part of the message
	}{
		{
			name: "create key for unknown user",
			call: func(ctx context.Context) error {
				_, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("nobody")})
				return err
			},
			code: "NoSuchEntity", status: 404, typed: awstest.IsType[*types.NoSuchEntityException],
			message: "The user with name nobody cannot be found.",
		},
		{
			name: "list keys of unknown user",
			call: func(ctx context.Context) error {
				_, err := admin.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("nobody")})
				return err
			},
			code: "NoSuchEntity", status: 404, typed: awstest.IsType[*types.NoSuchEntityException],
		},
		{
			name: "get unknown user",
			call: func(ctx context.Context) error {
				_, err := admin.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
				return err
			},
			code: "NoSuchEntity", status: 404, typed: awstest.IsType[*types.NoSuchEntityException],
		},
		{
			name: "delete unknown key",
			call: func(ctx context.Context) error {
				_, err := admin.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(unknownKey)})
				return err
			},
			code: "NoSuchEntity", status: 404, typed: awstest.IsType[*types.NoSuchEntityException],
			message: "The Access Key with id " + unknownKey + " cannot be found.",
		},
		{
			name: "update a key of another user than named",
			call: func(ctx context.Context) error {
				_, err := admin.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{
					UserName: aws.String("bob"), AccessKeyId: aliceKey, Status: types.StatusTypeInactive,
				})
				return err
			},
			code: "NoSuchEntity", status: 404, typed: awstest.IsType[*types.NoSuchEntityException],
		},
		{
			name: "delete a key of another user than the caller",
			call: func(ctx context.Context) error {
				_, err := admin.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aliceKey})
				return err
			},
			code: "NoSuchEntity", status: 404, typed: awstest.IsType[*types.NoSuchEntityException],
		},
		{
			name: "update to an invalid status",
			call: func(ctx context.Context) error {
				_, err := admin.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{
					UserName: aws.String("alice"), AccessKeyId: aliceKey, Status: "Paused",
				})
				return err
			},
			code: "ValidationError", status: 400,
		},
		{
			name: "create existing user",
			call: func(ctx context.Context) error {
				_, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
				return err
			},
			code: "EntityAlreadyExists", status: 409, typed: awstest.IsType[*types.EntityAlreadyExistsException],
			message: "User with name alice already exists.",
		},
		{
			name: "last used of unknown key",
			call: func(ctx context.Context) error {
				_, err := admin.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(unknownKey)})
				return err
			},
			code: "AccessDenied", status: 403,
			message: "User: arn:aws:iam::123456789012:user/admin is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key " + unknownKey,
		},
		{
			name: "non-admin creates a key for another user",
			call: func(ctx context.Context) error {
				_, err := bob.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
				return err
			},
			code: "AccessDenied", status: 403,
			message: "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:CreateAccessKey on resource: user alice",
		},
		{
			name: "non-admin lists another user's keys",
			call: func(ctx context.Context) error {
				_, err := bob.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")})
				return err
			},
			code: "AccessDenied", status: 403, message: "iam:ListAccessKeys on resource: user alice",
		},
		{
			name: "non-admin deletes another user's key",
			call: func(ctx context.Context) error {
				_, err := bob.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aliceKey})
				return err
			},
			code: "AccessDenied", status: 403, message: "iam:DeleteAccessKey on resource: user alice",
		},
		{
			name: "non-admin asks when another user's key was used",
			call: func(ctx context.Context) error {
				_, err := bob.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aliceKey})
				return err
			},
			code: "AccessDenied", status: 403, message: "iam:GetAccessKeyLastUsed on resource: user alice",
		},
		{
			name: "non-admin creates a user",
			call: func(ctx context.Context) error {
				_, err := bob.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("eve")})
				return err
			},
			code: "AccessDenied", status: 403, message: "iam:CreateUser on resource: user eve",
		},
		{
			name: "non-admin gets another user",
			call: func(ctx context.Context) error {
				_, err := bob.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
				return err
			},
			code: "AccessDenied", status: 403,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(t.Context())
			awstest.WantCode(t, err, tt.code)
			if tt.typed != nil && !tt.typed(err) {
				t.Errorf("got %T chain %v, want the SDK's typed error", err, err)
			}
			var re *awshttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != tt.status {
				t.Errorf("got %v, want HTTP %d", err, tt.status)
			}
			if re != nil && re.ServiceRequestID() == "" {
				t.Errorf("got no request id")
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("got %q, want it to contain %q", err, tt.message)
			}
		})
	}
	if ks := s.Keys("alice"); len(ks) != 1 || ks[0].Status != "Active" {
		t.Errorf("failed calls changed alice's keys: %+v", ks)
	}
	if _, ok := s.KeyOwner(alice.AccessKeyID); !ok {
		t.Error("alice's key is gone")
	}
	if u := s.Unhandled(); len(u) != 0 {
		t.Errorf("unhandled requests: %v", u)
	}
}
