package config

import (
	"strings"
	"testing"
)

func TestNotifyRules(t *testing.T) {
	n := func(fields string) string { return head + secret + "notify:\n  - " + fields + "\n" }
	runRules(t, []rule{
		{"ok", n("{url_file: /u, hmac_secret_env: H, events: [rotation.failed, drift.detected], format: slack, timeout: 5m}"), ""},
		{"url inline loopback ok", n("{url: 'http://127.0.0.1:9000/e'}"), ""},
		{"url required", n("{format: json}"), "notify[0].url: required; set url_file"},
		{"url and url_env", n("{url: 'https://h/x', url_env: U}"), "notify[0].url_env: set only one of url_file, url_env and url (url is set too)"},
		{"http public", n("{url: 'http://hooks.example.com/e'}"), "notify[0].url: is not https"},
		{"not a url", n("{url: 'mailto:ops@example.com'}"), "notify[0].url: is not an absolute https URL"},
		{"two hmac", n("{url_file: /u, hmac_secret_file: /h, hmac_secret_env: H}"), "notify[0].hmac_secret_env: set only one of hmac_secret_file"},
		{"retirement events", n("{url_file: /u, events: [retirement.held, retirement.forced]}"), ""},
		{"unknown event", n("{url_file: /u, events: [rotation.succeeded, rotation.done]}"), `notify[0].events[1]: "rotation.done" is not an event; the events are rotation.succeeded, rotation.failed, delivery.failed, drift.detected, rotation.upcoming, retirement.held, retirement.forced`},
		{"misspelt event", n("{url_file: /u, events: [rotation.faild]}"), `notify[0].events[0]: "rotation.faild" is not an event (did you mean rotation.failed?)`},
		{"event twice", n("{url_file: /u, events: [drift.detected, drift.detected]}"), `notify[0].events[1]: "drift.detected" is listed twice (also events[0])`},
		{"events not a list", n("{url_file: /u, events: drift.detected}"), `notify[0].events: expected a list, got "drift.detected"; write it in brackets, such as [drift.detected]`},
		{"format", n("{url_file: /u, format: teams}"), `notify[0].format: "teams" is not one of json, slack`},
		{"timeout", n("{url_file: /u, timeout: 0s}"), "notify[0].timeout: 0s is out of range 1s..5m"},
		{"unknown field", n("{url_file: /u, bearer_token: x}"), `notify[0]: unknown field "bearer_token"`},
		{"not a list", head + secret + "notify: {url_file: /u}\n", `notify: expected a list, got a mapping; start each entry with "- "`},
	})
}

func TestNotifyBeforeRules(t *testing.T) {
	auto := head + secret + "    auto_rotate: true\n    rotation_interval: 30\n"
	runRules(t, []rule{
		{"ok", auto + "    notify_before: [14, 7, 1]\n", ""},
		{"zero", auto + "    notify_before: [0]\n", "secrets[0].notify_before[0]: 0 is out of range 1..365 days"},
		{"too many days", auto + "    notify_before: [366]\n", "secrets[0].notify_before[0]: 366 is out of range 1..365 days"},
		{"twice", auto + "    notify_before: [7, 1, 7]\n", "secrets[0].notify_before[2]: 7 is listed twice (also notify_before[0])"},
		{"not an integer", auto + "    notify_before: [7, a week]\n", `secrets[0].notify_before[1]: "a week" is not an integer`},
		{"null entry", auto + "    notify_before: [7, ~]\n", "secrets[0].notify_before[1]: empty entry; write a value"},
		{"scalar", auto + "    notify_before: 7\n", "secrets[0].notify_before: expected a list, got 7; write it in brackets, such as [7]"},
	})
}

// warnings parses src, which must be valid, and returns its warnings.
func warnings(t *testing.T, src string) string {
	t.Helper()
	c := mustParse(t, src)
	var ws []string
	for _, w := range c.Warnings {
		ws = append(ws, w.Path+": "+w.Msg)
	}
	return strings.Join(ws, "\n")
}

func TestNotifyBeforeWarnings(t *testing.T) {
	auto := head + secret + "    auto_rotate: true\n    rotation_interval: 30\n"
	upcoming := "notify:\n  - {url_file: /u, events: [rotation.upcoming]}\n"
	for _, tt := range []struct{ name, src, want string }{
		{"received", auto + "    notify_before: [7]\n" + upcoming, ""},
		{"received by all events", auto + "    notify_before: [7]\nnotify:\n  - {url_file: /u}\n", ""},
		{"without auto_rotate", head + secret + "    notify_before: [7]\n" + upcoming, "secrets[0].notify_before: only applies with auto_rotate: true"},
		{"no receiver", auto + "    notify_before: [7]\n", "secrets[0].notify_before: no notify webhook receives rotation.upcoming"},
		{"receiver filters it out", auto + "    notify_before: [7]\nnotify:\n  - {url_file: /u, events: [rotation.failed]}\n", "no notify webhook receives rotation.upcoming"},
		{"not before the interval", auto + "    notify_before: [30]\n" + upcoming, "secrets[0].notify_before[0]: 30 days is not less than rotation_interval (30 days)"},
		{"placeholder url", head + secret + "notify:\n  - {url: '[redacted]'}\n", "notify[0].url: is [redacted], which `rotatord validate --print` writes in place of a secret"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := warnings(t, tt.src)
			if (tt.want == "" && got != "") || !strings.Contains(got, tt.want) {
				t.Errorf("got warnings:\n%s\nwant one with %q", got, tt.want)
			}
		})
	}
}
