package daemon

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	"github.com/prometheus/client_golang/prometheus"
)

// newAWSRequests is rotatord_aws_requests_total: each attempt of each AWS
// call a target's clients make (IAM, STS, and the target's Secrets Manager
// and SSM sinks), retries counted one by one, by result.
func newAWSRequests() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rotatord_aws_requests_total",
		Help: "AWS requests sent, each retry counted, by target, service (IAM, STS, …), operation and result: ok, throttled (the SDK retries it with back-off), error.",
	}, []string{"target", "service", "operation", "result"})
}

// observeAWS returns the API option that counts the requests of target's
// clients in m.awsRequests. It sits first in the deserialize step, which
// runs once per attempt below the retryer, so it sees each attempt's
// answer decoded.
func (m *metrics) observeAWS(target string) func(*middleware.Stack) error {
	count := middleware.DeserializeMiddlewareFunc("rotatord.CountRequests", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
		out, md, err := next.HandleDeserialize(ctx, in)
		m.awsRequests.WithLabelValues(target, awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), requestResult(err)).Inc()
		return out, md, err
	})
	return func(s *middleware.Stack) error { return s.Deserialize.Add(count, middleware.Before) }
}

// requestResult is a request's result label.
func requestResult(err error) string {
	switch {
	case err == nil:
		return "ok"
	case throttles.IsErrorThrottle(err) == aws.TrueTernary:
		return "throttled"
	default:
		return "error"
	}
}
