package daemon

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rotatord/rotatord/config"
	"github.com/rotatord/rotatord/internal/awscall"
)

// TargetAWS is how one target is reached: its AWS configuration (region,
// endpoint, HTTP client, retryer) and its credentials.
type TargetAWS struct {
	Config      aws.Config
	Credentials aws.CredentialsProvider
	// IAM is a client signed with Credentials, shared by the target's
	// rotations.
	IAM *iam.Client
}

// maxIdleConns is how many connections to one AWS endpoint are kept open
// between calls: more than the largest worker pool.
const maxIdleConns = 1024

// awsBase is the AWS configuration of a target without credentials. It is
// built explicitly, never from the environment, so that nothing but the
// rotatord configuration decides where calls go. IAM calls go through the
// SDK's standard retryer (throttling back-off included) without its
// client-side retry quota, which would fail calls under heavy throttling.
// Every call through it, retries included, ends within callTimeout
// (awscall.DefaultTimeout when 0): a silent endpoint cannot hold a worker,
// a lease or a shutdown.
func awsBase(t *config.Target, callTimeout time.Duration) aws.Config {
	c := aws.Config{
		Region: t.Region,
		HTTPClient: awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			// Every worker may talk to IAM at once: keep their connections
			// (and TLS sessions) instead of the default 10 per host.
			t.MaxIdleConnsPerHost = maxIdleConns
		}),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 6
				o.MaxBackoff = 20 * time.Second
				o.RateLimiter = ratelimit.None
			})
		},
	}
	if t.Endpoint != "" {
		c.BaseEndpoint = aws.String(t.Endpoint)
	}
	awscall.Bound(&c, callTimeout)
	return c
}

// connectTarget builds a target's AWS configuration and credentials: static
// keys, the SDK's default chain, and an assumed role on top of either.
// callTimeout bounds each AWS call (see awsBase).
func connectTarget(ctx context.Context, t *config.Target, callTimeout time.Duration) (*TargetAWS, error) {
	base := awsBase(t, callTimeout)
	var creds aws.CredentialsProvider
	switch t.Credentials {
	case config.CredentialsDefault:
		dc, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(t.Region))
		if err != nil {
			return nil, fmt.Errorf("target %s: load the default credential chain: %w", t.Name, err)
		}
		creds = dc.Credentials
	default:
		creds = credentials.NewStaticCredentialsProvider(t.AccessKeyID, t.SecretAccessKey.Reveal(), "")
	}
	if t.RoleARN != "" {
		withBase := base.Copy()
		withBase.Credentials = creds
		creds = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(withBase), t.RoleARN,
			func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = t.RoleSessionName
				if t.ExternalID != "" {
					o.ExternalID = aws.String(t.ExternalID)
				}
			}))
	}
	return &TargetAWS{Config: base, Credentials: creds}, nil
}

// StateAWS is how the DynamoDB state store is reached: through the
// connection of state.target, or the SDK's default credential chain in
// state.region, at state.endpoint when set. Each call ends within
// awscall.DefaultTimeout.
func StateAWS(ctx context.Context, c *config.Config) (aws.Config, error) {
	st := c.State
	if t := c.TargetByName(st.Target); t != nil {
		ta, err := connectTarget(ctx, t, awscall.DefaultTimeout)
		if err != nil {
			return aws.Config{}, fmt.Errorf("state: %w", err)
		}
		cfg := ta.Config.Copy()
		cfg.Credentials, cfg.Region = ta.Credentials, st.Region
		return cfg, nil
	}
	cfg := awsBase(&config.Target{Region: st.Region, Endpoint: st.Endpoint}, awscall.DefaultTimeout)
	dc, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(st.Region))
	if err != nil {
		return aws.Config{}, fmt.Errorf("state: load the default credential chain: %w", err)
	}
	cfg.Credentials = dc.Credentials
	return cfg, nil
}

// TargetIAM returns an IAM client for the named target of cfg, as a
// rotation reaches it: its credentials (static, the default chain, an
// assumed role), endpoint and region, each call bound by
// awscall.DefaultTimeout, the SDK's standard retryer, and a limiter of its
// own at the target's rate_limit. It is for one command's calls (`rotatord
// discover`): a running daemon's limiter is not shared, so both together
// may reach twice the rate. creds, when not nil, sign instead of the
// target's configured credentials, as the engine signs with the store's
// current key for a target whose own key rotatord rotates. It makes no
// AWS call.
func TargetIAM(ctx context.Context, cfg *config.Config, name string, creds aws.CredentialsProvider) (*iam.Client, error) {
	t := cfg.TargetByName(name)
	if t == nil {
		return nil, fmt.Errorf("no target %q in the configuration: name one of its targets: block", name)
	}
	ta, err := connectTarget(ctx, t, awscall.DefaultTimeout)
	if err != nil {
		return nil, err
	}
	c := ta.Config.Copy()
	c.Credentials = ta.Credentials
	if creds != nil {
		c.Credentials = creds
	}
	c.APIOptions = append(c.APIOptions, iamRateLimit(NewLimiter(t)))
	return iam.NewFromConfig(c), nil
}
