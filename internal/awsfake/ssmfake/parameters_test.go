package ssmfake

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/rotatord/rotatord/internal/awsfake"
	"github.com/rotatord/rotatord/internal/awsfake/awstest"
)

func TestPutParameterVersions(t *testing.T) {
	clock := awstest.NewClock()
	s, url := start(t, awsfake.WithClock(clock.Now))
	c := awstest.SSM(url, s.SeedUser("admin", true))
	ctx := t.Context()
	put := func(value string, overwrite bool) (*ssm.PutParameterOutput, error) {
		return c.PutParameter(ctx, &ssm.PutParameterInput{
			Name: aws.String("/team-a/deployer"), Value: aws.String(value), Type: types.ParameterTypeString, Overwrite: aws.Bool(overwrite),
		})
	}
	for i, v := range []string{"one", "two", "three"} {
		out, err := put(v, i > 0)
		if err != nil {
			t.Fatal(err)
		}
		if out.Version != int64(i+1) || out.Tier != types.ParameterTierStandard {
			t.Errorf("put %d: got version %d tier %s, want %d Standard", i+1, out.Version, out.Tier, i+1)
		}
	}
	if _, err := put("four", false); !awstest.IsType[*types.ParameterAlreadyExists](err) {
		t.Errorf("put without Overwrite: got %v, want ParameterAlreadyExists", err)
	}
	got, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/team-a/deployer")})
	if err != nil {
		t.Fatal(err)
	}
	p := got.Parameter
	if aws.ToString(p.Value) != "three" || p.Version != 3 || p.Type != types.ParameterTypeString {
		t.Errorf("got %q version %d type %s, want three version 3 String", aws.ToString(p.Value), p.Version, p.Type)
	}
	if arn := aws.ToString(p.ARN); arn != "arn:aws:ssm:us-east-1:123456789012:parameter/team-a/deployer" {
		t.Errorf("got ARN %q", arn)
	}
	if !p.LastModifiedDate.Equal(clock.Now()) {
		t.Errorf("got LastModifiedDate %v, want %v", p.LastModifiedDate, clock.Now())
	}
	if hp, err := s.Parameter("/team-a/deployer"); err != nil || hp.Version != 3 || hp.Value != "three" || hp.KeyID != "" {
		t.Errorf("Parameter() = %+v, %v", hp, err)
	}
}

func TestSecureStringParameter(t *testing.T) {
	s, url := start(t)
	c := awstest.SSM(url, s.SeedUser("admin", true))
	ctx := t.Context()
	const name, plain = "/app/secret", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	if _, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(plain), Type: types.ParameterTypeSecureString}); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Parameter(name); p.KeyID != "alias/aws/ssm" || p.Value != plain {
		t.Errorf("got key %q value %q, want alias/aws/ssm and the plaintext", p.KeyID, p.Value)
	}
	get := func(decrypt bool) string {
		out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(decrypt)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Parameter.Value)
	}
	enc := get(false)
	if raw, err := base64.StdEncoding.DecodeString(enc); err != nil || enc == plain || strings.Contains(string(raw), plain) {
		t.Errorf("without decryption got %q (%v), want opaque base64", enc, err)
	}
	if got := get(true); got != plain {
		t.Errorf("with decryption got %q, want the plaintext", got)
	}

	_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(plain), KeyId: aws.String("alias/team-a"), Overwrite: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Parameter(name); p.KeyID != "alias/team-a" || p.Type != "SecureString" || p.Version != 2 {
		t.Errorf("after overwrite: got %+v, want key alias/team-a, SecureString, version 2", p)
	}
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/plain"), Value: aws.String("v"), Type: types.ParameterTypeString, KeyId: aws.String("alias/x")})
	if !awstest.IsType[*types.ValidationException](err) {
		t.Errorf("KeyId on a String: got %v, want ValidationException", err)
	}
}

func TestParameterTiers(t *testing.T) {
	s, url := start(t)
	c := awstest.SSM(url, s.SeedUser("admin", true))
	put := func(name string, size int, tier types.ParameterTier) (*ssm.PutParameterOutput, error) {
		return c.PutParameter(t.Context(), &ssm.PutParameterInput{
			Name: aws.String(name), Value: aws.String(strings.Repeat("x", size)), Type: types.ParameterTypeString, Tier: tier, Overwrite: aws.Bool(true),
		})
	}
	tests := []struct {
		name     string
		param    string
		size     int
		tier     types.ParameterTier
		wantTier types.ParameterTier // "" for a ValidationException
	}{
		{"standard at the limit", "/std", 4096, "", types.ParameterTierStandard},
		{"standard over the limit", "/std-big", 4097, types.ParameterTierStandard, ""},
		{"advanced at the limit", "/adv", 8192, types.ParameterTierAdvanced, types.ParameterTierAdvanced},
		{"advanced over the limit", "/adv-big", 8193, types.ParameterTierAdvanced, ""},
		{"intelligent small", "/it-small", 10, types.ParameterTierIntelligentTiering, types.ParameterTierStandard},
		{"intelligent large", "/it-large", 5000, types.ParameterTierIntelligentTiering, types.ParameterTierAdvanced},
		{"no downgrade", "/adv", 10, types.ParameterTierStandard, ""},
		{"advanced stays advanced", "/adv", 10, "", types.ParameterTierAdvanced},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := put(tt.param, tt.size, tt.tier)
			if tt.wantTier == "" {
				if !awstest.IsType[*types.ValidationException](err) {
					t.Fatalf("got %v, want ValidationException", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.Tier != tt.wantTier {
				t.Errorf("got tier %s, want %s", out.Tier, tt.wantTier)
			}
			if p, _ := s.Parameter(tt.param); p.Tier != string(tt.wantTier) {
				t.Errorf("Parameter().Tier = %s, want %s", p.Tier, tt.wantTier)
			}
		})
	}
}

func TestParameterErrors(t *testing.T) {
	s, url := start(t)
	c := awstest.SSM(url, s.SeedUser("admin", true))
	ctx := t.Context()
	if _, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/a"), Value: aws.String("1"), Type: types.ParameterTypeStringList}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/missing")})
	if !awstest.IsType[*types.ParameterNotFound](err) || awstest.HTTPStatus(err) != 400 {
		t.Errorf("GetParameter(missing): got %v, want ParameterNotFound (400)", err)
	}
	many, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/a", "/missing"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(many.Parameters) != 1 || aws.ToString(many.Parameters[0].Value) != "1" || !slices.Equal(many.InvalidParameters, []string{"/missing"}) {
		t.Errorf("GetParameters: got %+v and invalid %q", many.Parameters, many.InvalidParameters)
	}
	if _, err := c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/a")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/a")}); !awstest.IsType[*types.ParameterNotFound](err) {
		t.Errorf("second delete: got %v, want ParameterNotFound", err)
	}
	if _, err := s.Parameter("/a"); err == nil {
		t.Error("Parameter() found a deleted parameter")
	}
	for _, name := range []string{"aws-thing", "/ssm/x", "a/b", "bad name"} {
		_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String("v"), Type: types.ParameterTypeString})
		if !awstest.IsType[*types.ValidationException](err) {
			t.Errorf("PutParameter(%q): got %v, want ValidationException", name, err)
		}
	}
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/new"), Value: aws.String("v")})
	if !awstest.IsType[*types.ValidationException](err) {
		t.Errorf("new parameter without type: got %v, want ValidationException", err)
	}
}
