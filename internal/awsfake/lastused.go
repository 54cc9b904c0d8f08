package awsfake

import (
	"time"
)

// useCoalescing is the span in which IAM records only the first use of an
// access key: "When an access key is used more than once in a 15-minute
// span, only the first use is recorded" (IAM User Guide, credential
// reports).
const useCoalescing = 15 * time.Minute

// globalRegion is the region IAM reports for the use of a global service
// (IAM itself), whose one endpoint is in us-east-1, whatever region the
// client signed for.
const globalRegion = "us-east-1"

// keyUse is one recorded use of an access key: when, and the service (its
// namespace, the SigV4 signing name: "iam", "sts", "secretsmanager", "ssm",
// "dynamodb") and region of the request.
type keyUse struct {
	at      time.Time
	service string
	region  string
}

// WithLastUsedDelay makes each use of an access key visible to
// GetAccessKeyLastUsed and the credential report only d after it happened,
// as IAM's last-used information lags behind (AWS documents up to about
// four hours). Until then the previous use, if any, is reported. The
// default, 0, shows a use at once.
func WithLastUsedDelay(d time.Duration) Option {
	return func(s *Server) { s.lastUsedDelay = max(d, 0) }
}

// recordUseLocked records that k signed a request at now for service in
// region, as IAM does: a use within useCoalescing of the last recorded one
// is not recorded. Uses that are visible but older than the newest visible
// one are dropped, so a key keeps at most the uses of one delay window
// (one per useCoalescing). s.mu must be held.
func (s *Server) recordUseLocked(k *accessKey, now time.Time, service, region string) {
	if n := len(k.uses); n > 0 && now.Before(k.uses[n-1].at.Add(useCoalescing)) {
		return
	}
	if service == iamService.signingName || region == "" {
		region = globalRegion
	}
	k.uses = append(k.uses, keyUse{at: now, service: service, region: region})
	visible := 0
	for i, u := range k.uses {
		if !u.at.Add(s.lastUsedDelay).After(now) {
			visible = i
		}
	}
	k.uses = k.uses[visible:]
}

// lastUseLocked returns k's last use as IAM reports it at now (the newest
// use older than the delay), or false if it shows none. s.mu must be held.
func (s *Server) lastUseLocked(k *accessKey, now time.Time) (keyUse, bool) {
	for i := len(k.uses) - 1; i >= 0; i-- {
		if u := k.uses[i]; !u.at.Add(s.lastUsedDelay).After(now) {
			return u, true
		}
	}
	return keyUse{}, false
}

// SetLastUsed makes at, in service and region, the access key's only
// recorded use, as if the key had signed a request then (truncated to the
// second): GetAccessKeyLastUsed and the credential report show it once the
// last-used delay has passed since at. A zero at erases the key's uses:
// it shows as never used.
func (s *Server) SetLastUsed(keyID string, at time.Time, service, region string) error {
	return s.withKey(keyID, func(k *accessKey) error {
		k.uses = nil
		if !at.IsZero() {
			k.uses = []keyUse{{at: at.UTC().Truncate(time.Second), service: service, region: region}}
		}
		return nil
	})
}
