package smfake

import (
	"regexp"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/rotatord/rotatord/internal/awsfake"
	"github.com/rotatord/rotatord/internal/awsfake/awstest"
)

var secretARNPattern = regexp.MustCompile(`^arn:aws:secretsmanager:us-east-1:123456789012:secret:team-a/deployer-[A-Za-z0-9]{6}$`)

func TestSecretStagesAcrossPuts(t *testing.T) {
	clock := awstest.NewClock()
	s, url := start(t, awsfake.WithClock(clock.Now))
	c := awstest.SecretsManager(url, s.SeedUser("admin", true))
	ctx := t.Context()

	created, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("team-a/deployer"), SecretString: aws.String("v1"), KmsKeyId: aws.String("alias/team-a"),
		Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("team-a")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if arn := aws.ToString(created.ARN); !secretARNPattern.MatchString(arn) {
		t.Errorf("got ARN %q, want %s", arn, secretARNPattern)
	}
	for _, v := range []string{"v2", "v3"} {
		clock.Advance(60e9)
		put, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: created.ARN, SecretString: aws.String(v)})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(put.VersionStages, []string{"AWSCURRENT"}) {
			t.Errorf("put %s: got stages %q, want [AWSCURRENT]", v, put.VersionStages)
		}
	}
	cur, prev := awstest.GetSecretValue(t, c, "team-a/deployer", "AWSCURRENT"), awstest.GetSecretValue(t, c, "team-a/deployer", "AWSPREVIOUS")
	if got := aws.ToString(cur.SecretString); got != "v3" {
		t.Errorf("AWSCURRENT is %q, want v3", got)
	}
	if got := aws.ToString(prev.SecretString); got != "v2" {
		t.Errorf("AWSPREVIOUS is %q, want v2", got)
	}
	if want := clock.Now(); !cur.CreatedDate.Equal(want) {
		t.Errorf("got CreatedDate %v, want %v", cur.CreatedDate, want)
	}

	desc, err := c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("team-a/deployer")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(desc.KmsKeyId); got != "alias/team-a" {
		t.Errorf("got KmsKeyId %q, want alias/team-a", got)
	}
	if len(desc.Tags) != 1 || aws.ToString(desc.Tags[0].Value) != "team-a" {
		t.Errorf("got tags %+v", desc.Tags)
	}
	want := map[string][]string{aws.ToString(cur.VersionId): {"AWSCURRENT"}, aws.ToString(prev.VersionId): {"AWSPREVIOUS"}}
	if len(desc.VersionIdsToStages) != 2 {
		t.Errorf("got VersionIdsToStages %v, want %v", desc.VersionIdsToStages, want)
	}
	for id, stages := range want {
		if !slices.Equal(desc.VersionIdsToStages[id], stages) {
			t.Errorf("version %s: got stages %q, want %q", id, desc.VersionIdsToStages[id], stages)
		}
	}

	sec, err := s.Secret(aws.ToString(created.ARN))
	if err != nil {
		t.Fatal(err)
	}
	if sec.KmsKeyID != "alias/team-a" || sec.Tags["owner"] != "team-a" || len(sec.Versions) != 3 {
		t.Fatalf("Secret() = %+v", sec)
	}
	if v := sec.Versions[0]; v.SecretString != "v1" || len(v.Stages) != 0 {
		t.Errorf("oldest version: got %q with stages %q, want v1 deprecated", v.SecretString, v.Stages)
	}
}

func TestSecretPendingThenPromote(t *testing.T) {
	s, url := start(t)
	c := awstest.SecretsManager(url, s.SeedUser("admin", true))
	ctx := t.Context()
	id := aws.String("app/key")
	v1, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: id, SecretString: aws.String("old")})
	if err != nil {
		t.Fatal(err)
	}
	pending, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: id, SecretString: aws.String("new"), VersionStages: []string{"AWSPENDING"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pending.VersionStages, []string{"AWSPENDING"}) {
		t.Errorf("got stages %q, want [AWSPENDING]", pending.VersionStages)
	}
	if got := aws.ToString(awstest.GetSecretValue(t, c, "app/key", "AWSCURRENT").SecretString); got != "old" {
		t.Errorf("AWSCURRENT moved to %q by a pending put", got)
	}
	if got := aws.ToString(awstest.GetSecretValue(t, c, "app/key", "AWSPENDING").SecretString); got != "new" {
		t.Errorf("AWSPENDING is %q, want new", got)
	}

	move := func(remove *string) error {
		_, err := c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
			SecretId: id, VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: pending.VersionId, RemoveFromVersionId: remove,
		})
		return err
	}
	if err := move(nil); !awstest.IsType[*types.InvalidParameterException](err) {
		t.Errorf("move without RemoveFromVersionId: got %v, want InvalidParameterException", err)
	}
	if err := move(pending.VersionId); !awstest.IsType[*types.InvalidParameterException](err) {
		t.Errorf("RemoveFromVersionId not holding the stage: got %v, want InvalidParameterException", err)
	}
	if err := move(v1.VersionId); err != nil {
		t.Fatal(err)
	}
	cur := awstest.GetSecretValue(t, c, "app/key", "AWSCURRENT")
	if got := aws.ToString(cur.SecretString); got != "new" || !slices.Equal(cur.VersionStages, []string{"AWSPENDING", "AWSCURRENT"}) {
		t.Errorf("AWSCURRENT is %q with stages %q, want new with [AWSPENDING AWSCURRENT]", got, cur.VersionStages)
	}
	prev := awstest.GetSecretValue(t, c, "app/key", "AWSPREVIOUS")
	if aws.ToString(prev.VersionId) != aws.ToString(v1.VersionId) || !slices.Equal(prev.VersionStages, []string{"AWSPREVIOUS"}) {
		t.Errorf("AWSPREVIOUS is on %s with %q, want %s with [AWSPREVIOUS]", aws.ToString(prev.VersionId), prev.VersionStages, aws.ToString(v1.VersionId))
	}

	// The next rotation's pending value takes AWSPENDING away.
	next, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: id, SecretString: aws.String("newer"), VersionStages: []string{"AWSPENDING"}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.SecretValue("app/key", "AWSPENDING")
	if err != nil || v.ID != aws.ToString(next.VersionId) {
		t.Errorf("SecretValue(AWSPENDING) = %+v, %v; want version %s", v, err, aws.ToString(next.VersionId))
	}
	if v, _ := s.SecretValue("app/key", "AWSCURRENT"); !slices.Equal(v.Stages, []string{"AWSCURRENT"}) {
		t.Errorf("current version's stages: got %q, want [AWSCURRENT]", v.Stages)
	}
}

func TestPutSecretValueIdempotent(t *testing.T) {
	s, url := start(t)
	c := awstest.SecretsManager(url, s.SeedUser("admin", true))
	ctx := t.Context()
	id := aws.String("idem")
	if _, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: id, SecretString: aws.String("a")}); err != nil {
		t.Fatal(err)
	}
	token := aws.String("11111111-2222-4333-8444-555555555555")
	put := func(value string) (*secretsmanager.PutSecretValueOutput, error) {
		return c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: id, SecretString: aws.String(value), ClientRequestToken: token})
	}
	first, err := put("b")
	if err != nil {
		t.Fatal(err)
	}
	again, err := put("b")
	if err != nil {
		t.Fatalf("same token, same value: %v", err)
	}
	if aws.ToString(first.VersionId) != *token || aws.ToString(again.VersionId) != *token {
		t.Errorf("got version ids %s and %s, want the token %s", aws.ToString(first.VersionId), aws.ToString(again.VersionId), *token)
	}
	if sec, _ := s.Secret("idem"); len(sec.Versions) != 2 {
		t.Errorf("got %d versions, want 2", len(sec.Versions))
	}
	if _, err := put("c"); !awstest.IsType[*types.ResourceExistsException](err) {
		t.Errorf("same token, other value: got %v, want ResourceExistsException", err)
	}
	_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: id, SecretString: aws.String("d"), ClientRequestToken: aws.String("short")})
	awstest.WantCode(t, err, "ValidationException")
}

func TestSecretsManagerErrors(t *testing.T) {
	s, url := start(t)
	c := awstest.SecretsManager(url, s.SeedUser("admin", true))
	ctx := t.Context()
	if _, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("x"), SecretString: aws.String("v")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("empty")}); err != nil {
		t.Fatal(err)
	}
	get := func(id string, versionID, stage *string) error {
		_, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id), VersionId: versionID, VersionStage: stage})
		return err
	}
	tests := []struct {
		name  string
		err   error
		typed func(error) bool
	}{
		{"unknown secret", get("nope", nil, nil), awstest.IsType[*types.ResourceNotFoundException]},
		{"unknown stage", get("x", nil, aws.String("AWSPENDING")), awstest.IsType[*types.ResourceNotFoundException]},
		{"unknown version", get("x", aws.String("00000000-0000-4000-8000-000000000000"), nil), awstest.IsType[*types.ResourceNotFoundException]},
		{"secret without a value", get("empty", nil, nil), awstest.IsType[*types.ResourceNotFoundException]},
		{"name exists", func() error {
			_, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("x"), SecretString: aws.String("w")})
			return err
		}(), awstest.IsType[*types.ResourceExistsException]},
		{"string and binary", func() error {
			_, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("y"), SecretString: aws.String("w"), SecretBinary: []byte{1}})
			return err
		}(), awstest.IsType[*types.InvalidParameterException]},
		{"bad name", func() error {
			_, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("a b"), SecretString: aws.String("w")})
			return err
		}(), awstest.IsType[*types.InvalidParameterException]},
		{"put to unknown secret", func() error {
			_, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("nope"), SecretString: aws.String("w")})
			return err
		}(), awstest.IsType[*types.ResourceNotFoundException]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.typed(tt.err) {
				t.Fatalf("got %T %v, want the typed error", tt.err, tt.err)
			}
			if got := awstest.HTTPStatus(tt.err); got != 400 {
				t.Errorf("got HTTP %d, want 400", got)
			}
			if awstest.Message(tt.err) == "" {
				t.Errorf("error %v has no message", tt.err)
			}
		})
	}

	// A secret is found by name, full ARN and ARN without the suffix.
	sec, _ := s.Secret("x")
	for _, id := range []string{sec.ARN, sec.ARN[:len(sec.ARN)-7]} {
		if err := get(id, nil, nil); err != nil {
			t.Errorf("GetSecretValue(%s): %v", id, err)
		}
	}
	if _, err := c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{}); awstest.Code(err) != "UnknownOperationException" {
		t.Errorf("ListSecrets: got %v, want UnknownOperationException", err)
	}
	if got := s.Unhandled(); !slices.Equal(got, []string{"secretsmanager:ListSecrets"}) {
		t.Errorf("Unhandled() = %q", got)
	}
}
