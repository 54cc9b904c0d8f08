package config

import (
	"slices"
	"strings"
)

// notify checks every notify webhook.
func (k *checker) notify() {
	for i := range k.c.Notify {
		n, path := &k.c.Notify[i], indexPath("notify", i)
		if k.failed(path) {
			continue
		}
		k.webhookURL(path, n.URL, n.URLFile, n.URLEnv)
		k.atMostOne(path, "hmac_secret", k.refSet(path, "hmac_secret", n.HMACSecret, n.HMACSecretFile, n.HMACSecretEnv))
		k.events(path+".events", n.Events)
		k.enum(path+".format", n.Format, NotifyJSON, NotifySlack)
		k.durationRange(path+".timeout", n.Timeout, minWebhookTimeout, maxWebhookTimeout, "1s..5m")
	}
}

// events checks a notify webhook's list of events: known ones, each once.
func (k *checker) events(path string, list []string) {
	seen := map[string]int{}
	for i, e := range list {
		p := indexPath(path, i)
		if k.failed(p) {
			continue
		}
		first, dup := seen[e]
		switch {
		case dup:
			k.errorf(p, "%s is listed twice (also %s); remove one", quote(e), indexPath("events", first))
		case !slices.Contains(events, e) && closest(e, events) != "":
			k.errorf(p, "%s is not an event (did you mean %s?)", quote(e), closest(e, events))
		case !slices.Contains(events, e):
			k.errorf(p, "%s is not an event; the events are %s", quote(e), strings.Join(events, ", "))
		default:
			seen[e] = i
		}
	}
}

// notifyBefore checks the days before a due rotation at which
// rotation.upcoming is sent.
func (k *checker) notifyBefore(s *RotatedSecret, path string) {
	p := path + ".notify_before"
	if len(s.NotifyBefore) == 0 {
		return
	}
	seen := map[int]int{}
	for i, d := range s.NotifyBefore {
		ip := indexPath(p, i)
		if k.failed(ip) || !k.intRange(ip, d, 1, 365, "days") {
			continue
		}
		if first, dup := seen[d]; dup {
			k.errorf(ip, "%d is listed twice (also notify_before[%d]); remove one", d, first)
			continue
		}
		seen[d] = i
		if s.AutoRotate && s.RotationSchedule == "" && s.RotationInterval > 0 && d >= s.RotationInterval {
			k.warnf(ip, "%d days is not less than rotation_interval (%d days), so the event would come before the previous rotation; use fewer days", d, s.RotationInterval)
		}
	}
	switch {
	case !s.AutoRotate && !k.failed(path+".auto_rotate"):
		k.warnf(p, "only applies with auto_rotate: true; this secret never falls due, so no rotation.upcoming event is sent")
	case !k.upcomingReceived():
		k.warnf(p, "no notify webhook receives rotation.upcoming; add one under notify:")
	}
}

// upcomingReceived reports whether some notify webhook receives
// rotation.upcoming.
func (k *checker) upcomingReceived() bool {
	for i := range k.c.Notify {
		if k.c.Notify[i].Wants(EventRotationUpcoming) {
			return true
		}
	}
	return false
}
